// The check a certificate's QR code opens: the receipt of one activity, checked here in
// the browser against the region's signed record — the checkpoint's signature with the
// region's key, and every entry's inclusion proof in that checkpoint's tree.
import { t } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, fmtNum } from '../ui.js';
import { state } from '../state.js';
import { verifyNote, parseCheckpoint, verifyInclusion, leafHash, b64 } from '../verify.js';

function line(ok, text, id) {
  return h('div', { class: `status-line ${ok ? 'ok' : 'bad'}`, 'data-testid': id, 'data-ok': String(ok) },
    h('span', { class: 'mark', 'aria-hidden': 'true' }, ok ? '✓' : '✗'), h('span', text));
}

export async function viewCheck(root, params) {
  const region = params.get('region') || state.region;
  const claim = params.get('claim') || '';
  const member = (params.get('member') || '').toLowerCase();
  root.append(h('h1', t('check.title')), h('p', { class: 'lead' }, t('check.intro')));
  const receipt = await get(`${R(region)}/claims/${encodeURIComponent(claim)}/receipt?member=${encodeURIComponent(member)}`);
  const listed = state.regions.find((r) => r.region === region) || {};
  const sig = listed.vkey === receipt.checkpointKey && await verifyNote(receipt.checkpoint, listed.vkey) === true;
  const cp = parseCheckpoint(receipt.checkpoint);
  const root64 = b64(cp.root);
  let included = cp.size === receipt.size && receipt.entries.length > 0;
  for (const e of receipt.entries) {
    const leaf = await leafHash(new TextEncoder().encode(e.entry));
    const ok = leaf.every((v, i) => v === b64(e.leafHash)[i]) &&
      await verifyInclusion(e.seq, receipt.size, leaf, e.proof.map(b64), root64);
    included = included && ok;
  }
  const parsed = receipt.entries.map((e) => JSON.parse(e.entry));
  const recognised = parsed.some((e) => e.type === 'Recognition' && e.message.member === member && e.message.claim === claim);
  const name = state.names.get(member) || '';
  root.append(card(
    recognised && sig && included
      ? h('p', { class: 'big-check', 'data-testid': 'check-summary' }, t('check.found', { title: receipt.title, name, points: fmtNum(receipt.points ?? 0) }))
      : '',
    line(sig, sig ? t('check.sig') : t('check.sigBad'), 'check-signature'),
    line(included, included ? t('check.included', { n: receipt.entries.length }) : t('check.notIncluded'), 'check-inclusion'),
    line(recognised, recognised ? t('check.recognised') : t('check.notRecognised'), 'check-recognised'),
    h('p', { class: 'muted small' }, t('check.offline'))));
}
