import { t } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, fmtNum, download, busy, toast, errorBox } from '../ui.js';
import { state, apiPaths, hasRole } from '../state.js';
import { verifyNote, parseCheckpoint, verifyConsistency, b64, fromHex } from '../verify.js';
import { anchorStatus } from './admin.js';
import { report } from './home.js';

function line(ok, text, id) {
  const kind = ok === true ? 'ok' : ok === false ? 'bad' : 'unknown';
  return h('div', { class: `status-line ${kind}`, 'data-testid': id, 'data-ok': String(ok) },
    h('span', { class: 'mark', 'aria-hidden': 'true' }, ok === true ? '✓' : ok === false ? '✗' : '?'), h('span', text));
}

export async function viewAudit(root) {
  const region = state.regions.find((r) => r.region === state.region);
  const note = await get(`${R(state.region)}/checkpoint`);
  const cp = parseCheckpoint(note);
  root.append(h('h1', t('audit.title')), h('p', { class: 'lead' }, t('audit.intro')));

  const sig = await verifyNote(note, region.vkey);
  const checks = [line(sig, sig === true ? t('audit.sigOk') : sig === false ? t('audit.sigBad') : t('audit.sigUnknown'), 'checkpoint-signature')];
  const anchor = await get(`${R(state.region)}/anchors/latest`);
  if (anchor.anchor && anchor.anchor.size <= cp.size) {
    const a = anchor.anchor;
    const proof = await get(`${R(state.region)}/proofs/consistency?first=${a.size}&second=${cp.size}`);
    const ok = proof.secondRoot === cp.root &&
      await verifyConsistency(a.size, cp.size, fromHex(a.root), b64(cp.root), proof.proof.map(b64));
    checks.push(line(ok, ok ? t('audit.consistent', { a: fmtNum(a.size) }) : t('audit.inconsistent'), 'anchor-consistency'));
  }
  root.append(card(h('h2', t('audit.checkpoint')), h('p', h('strong', t('audit.size', { n: fmtNum(cp.size) }))),
    ...checks, h('pre', { class: 'note', 'data-testid': 'checkpoint' }, note),
    h('p', { class: 'muted small' }, t('audit.key'), ': ', h('code', region.vkey))));
  root.append(card(h('h2', t('anchor.title')), await anchorStatus()));
  root.append(await partnersCard());

  const paths = await apiPaths();
  const exportPath = paths.find((p) => /^\/v1\/regions\/\{region\}\/(export|audit)/.test(p) && !p.includes('accounts'));
  const box = errorBox();
  if (exportPath && !hasRole('auditor')) {
    root.append(card(h('h2', t('audit.export')), h('p', { class: 'muted' }, t('audit.auditorsOnly'))));
  } else if (exportPath) {
    const b = h('button', { type: 'button', class: 'primary', 'data-action': 'export' }, t('audit.export'));
    b.addEventListener('click', () => busy(b, async () => {
      try {
        const res = await get(exportPath.replace('{region}', encodeURIComponent(state.region)), { raw: true });
        const blob = await res.blob();
        const cd = res.headers.get('content-disposition') || '';
        const name = (/filename="?([^";]+)"?/.exec(cd) || [])[1] || `kakawari-${state.region}-export`;
        download(name, blob);
        toast(t('audit.export'));
      } catch (err) { report(null, box, err); }
    }));
    root.append(card(h('h2', t('audit.export')), h('p', t('audit.exportText')), h('p', { class: 'muted small' }, t('audit.exportHint')), box, h('div', { class: 'actions' }, b)));
  }
  // The raw log, always: every entry and the signed checkpoint it ends at.
  const logBox = errorBox();
  const logB = h('button', { type: 'button', class: exportPath ? 'secondary' : 'primary', 'data-action': 'log' }, '⤓ ', t('audit.log'));
  logB.addEventListener('click', () => busy(logB, async () => {
    try {
      const lines = [];
      for (let start = 0; start < cp.size;) {
        const page = await get(`${R(state.region)}/entries?start=${start}&limit=1000`);
        for (const e of page.entries) if (e.seq < cp.size) lines.push(e.entry);
        if (!page.entries.length) break;
        start += page.entries.length;
      }
      download(`kakawari-${state.region}-${cp.size}.entries.jsonl`, lines.join('\n') + '\n', 'application/jsonl');
      download(`kakawari-${state.region}-${cp.size}.checkpoint`, note, 'text/plain');
    } catch (err) { report(null, logBox, err); }
  }));
  root.append(card(h('h2', t('audit.log')), h('p', { class: 'muted' }, t('audit.logHint')),
    exportPath ? '' : h('p', { class: 'muted small' }, t('audit.noExport')), logBox, h('div', { class: 'actions' }, logB)));
}

// The region's partner regions, as its signed Partnership entries name them.
async function partnersCard() {
  const partners = await get(`${R(state.region)}/partners`);
  const rows = partners.map((p) => h('li', { 'data-partner': p.partner },
    h('strong', p.name), ' ', h('code', p.partner), ' — ',
    p.active ? t('partners.active', { seq: p.seq }) : t('partners.ended', { seq: p.endedSeq }),
    h('div', { class: 'muted small' }, h('a', { href: p.url, rel: 'noopener' }, p.url))));
  return h('section', { class: 'card', 'data-testid': 'partners' }, h('h2', t('partners.title')),
    rows.length ? h('ul', ...rows) : h('p', { class: 'muted' }, t('partners.none')));
}
