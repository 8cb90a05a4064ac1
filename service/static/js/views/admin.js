import { t, category, lang } from '../i18n.js';
import { get, all, maybe, put, R } from '../api.js';
import { h, card, errorBox, busy, toast, chip, fmtDate, fmtDateTime, fmtNum, field, modal, clearErrors, setFieldError, shortAddr } from '../ui.js';
import { state, nameOf, policy } from '../state.js';
import { act } from '../signer.js';
import { barChart, legend, hBars, color, fitWidth } from '../charts.js';
import { newCode, codeHash } from '../codes.js';
import { codeCard } from './cards.js';
import { report } from './home.js';
import { kpi } from './kpi.js';
import { memberList } from './members.js';
import { perkAdmin } from './perks.js';

const TABS = ['kpi', 'members', 'claims', 'quests', 'perks', 'policy', 'roles', 'invites', 'anchor'];

export async function viewAdmin(root, params, app) {
  const current = TABS.includes(params.get('tab')) ? params.get('tab') : 'kpi';
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, TABS.map((tab) => h('button', {
    type: 'button', role: 'tab', 'aria-selected': String(tab === current), 'data-tab': tab,
    onclick: () => app.go(`admin?tab=${tab}`),
  }, t('admin.tab.' + tab))));
  tabs.addEventListener('keydown', (e) => {
    const i = TABS.indexOf(current);
    if (e.key === 'ArrowRight') app.go(`admin?tab=${TABS[(i + 1) % TABS.length]}`);
    if (e.key === 'ArrowLeft') app.go(`admin?tab=${TABS[(i + TABS.length - 1) % TABS.length]}`);
  });
  const panel = h('div', { role: 'tabpanel' });
  root.append(h('h1', t('admin.title')), tabs, panel);
  await ({ kpi, members: memberList, claims, quests, perks: perkAdmin, policy: policyTab, roles, invites, anchor })[current](panel, app, params);
}

// -- revoking and reinstating ---------------------------------------------------------

async function claims(root, app) {
  const [approved, revoked] = await Promise.all([
    get(`${R(state.region)}/claims?status=approved&limit=30`),
    get(`${R(state.region)}/claims?status=revoked&limit=30`),
  ]);
  const row = (c, type) => {
    const reason = h('input', { type: 'text', maxlength: 500, 'aria-label': t('f.reason') });
    const box = errorBox();
    const b = h('button', { type: 'submit', class: type === 'Revocation' ? 'danger' : 'secondary', 'data-action': type }, t(type === 'Revocation' ? 'claims.revoke' : 'claims.reinstate'));
    const form = h('form', { class: 'inline-form', novalidate: true },
      h('div', { class: 'field', 'data-field': 'reason' }, reason, h('p', { class: 'field-error', role: 'alert', hidden: true })), b);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!reason.value.trim()) { setFieldError(form, 'reason', t('review.reasonRequired')); reason.focus(); return; }
      await busy(b, async () => {
        try {
          await act(type, { claim: c.id, reason: reason.value.trim() }, { claimTitle: c.title });
          toast(t('claims.done'));
          await app.render();
        } catch (err) { report(form, box, err); }
      });
    });
    return h('li', { 'data-claim': c.id },
      h('strong', c.title), ' ', chip(t('status.' + c.status), c.status === 'approved' ? 'ok' : 'bad'),
      h('div', { class: 'muted small' }, `${nameOf(c.contributor)} · ${category(c.category)} · ${fmtDate(c.occurredAt)}${c.points != null ? ` · ${c.points} ${t('pt')}` : ''}`),
      h('details', { class: 'revoke' }, h('summary', t(type === 'Revocation' ? 'claims.revoke' : 'claims.reinstate') + '…'),
        h('p', { class: 'muted small' }, t('f.reason')), form, box));
  };
  root.append(card(h('h2', t('claims.title')), h('p', { class: 'muted' }, t('claims.intro')),
    approved.items.length ? h('ul', { class: 'feed' }, approved.items.map((c) => row(c, 'Revocation'))) : h('p', { class: 'muted' }, '—')));
  if (revoked.items.length) {
    root.append(card(h('h2', t('status.revoked')), h('ul', { class: 'feed' }, revoked.items.map((c) => row(c, 'Reinstatement')))));
  }
}

// -- quests ----------------------------------------------------------------------------

function dateInput(daysFromNow) {
  const d = new Date(Date.now() + daysFromNow * 86400000);
  return h('input', { type: 'date', value: `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}` });
}
const dayStart = (v) => { const [y, m, d] = v.split('-').map(Number); return Math.floor(new Date(y, m - 1, d, 0, 0, 0).getTime() / 1000); };
const dayEnd = (v) => dayStart(v) + 86399;

async function quests(root, app) {
  const pol = policy();
  const list = await get(`${R(state.region)}/quests?limit=100`);
  const title = h('input', { type: 'text', maxlength: 200 });
  const cat = h('select', Object.keys(pol.categories).map((c) => h('option', { value: c }, category(c))));
  const points = h('input', { type: 'number', min: 0, max: 10000, value: 30, inputmode: 'numeric' });
  const opens = dateInput(0), closes = dateInput(30);
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary' }, t('quests.new'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'quest' },
    field(t('quests.name'), title, { name: 'title' }),
    h('div', { class: 'row' }, field(t('claim.category'), cat, { name: 'category' }), field(t('f.points'), points, { name: 'points' })),
    h('div', { class: 'row' }, field(t('quests.opens'), opens, { name: 'opensAt' }), field(t('quests.closes'), closes, { name: 'closesAt' })),
    box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!title.value.trim()) { setFieldError(form, 'title', t('err.required')); title.focus(); return; }
    if (!/^\d+$/.test(points.value)) { setFieldError(form, 'points', t('err.number')); points.focus(); return; }
    await busy(button, async () => {
      try {
        await act('Quest', { title: title.value.trim(), category: cat.value, points: Number(points.value),
          opensAt: dayStart(opens.value), closesAt: dayEnd(closes.value), detailsHash: '0x' + '00'.repeat(32) });
        toast(t('quests.posted'));
        await app.render();
      } catch (err) { report(form, box, err); }
    });
  });
  root.append(card(h('h2', t('quests.new')),
    h('p', { class: 'muted' }, t('q.adminFull')), h('div', { class: 'actions start' }, h('a', { class: 'button primary', href: '#/quest-new' }, t('q.postFull'))), form),
    card(h('h2', t('quests.title')), h('p', { class: 'muted small' }, t('q.adminEditHint')), list.items.length ? h('ul', { class: 'feed' }, list.items.map((q) => h('li',
      h('a', { href: `#/quest?id=${q.id}` }, h('strong', q.title)), ' ', q.status && q.status !== 'open' ? [chip(t('q.status.' + q.status), 'wait'), ' '] : '', chip(category(q.category)), ' ', chip(`+${q.points}`, 'level'),
      h('div', { class: 'muted small' }, `${fmtDate(q.opensAt)} – ${fmtDate(q.closesAt)} · ${(q.claims === 1 ? t('quests.answers1') : t('quests.answers', { n: q.claims }))}`)))) : h('p', { class: 'muted' }, t('quests.empty'))));
}

// -- points policy ---------------------------------------------------------------------

async function policyTab(root, app) {
  const current = await get(`${R(state.region)}/policy`);
  const p = current.policy;
  const next = current.version + 1;
  const num = (v, name, attrs = {}) => h('input', { type: 'number', min: 0, value: v ?? '', inputmode: 'numeric', name, ...attrs });
  const catRows = Object.entries(p.categories).map(([c, r]) => h('tr', { 'data-cat': c },
    h('th', category(c)),
    h('td', num(r.base, `base-${c}`, { 'aria-label': `${category(c)} ${t('policy.base')}` })),
    h('td', num(r.perHour, `perHour-${c}`, { 'aria-label': `${category(c)} ${t('policy.perHour')}` }))));
  const inputs = {
    endorsementWeight: num(p.endorsementWeight), endorsementBudget: num(p.endorsementBudget), epochDays: num(p.epochDays, null, { min: 1 }),
    capClaim: num(p.caps.claim, null, { min: 1 }), capEndorse: num(p.caps.endorsementsPerClaim), decay: num(p.decayHalfLifeDays, null, { min: 1 }),
    levels: h('input', { type: 'text', value: p.levels.join(', ') }), threshold: num(p.review.threshold), approvals: num(p.review.approvals, null, { min: 1, max: 5 }),
    maxMinutes: num(p.maxMinutes, null, { min: 1 }),
  };
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary' }, t('policy.publish', { v: next }));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'policy' },
    h('div', { class: 'table-wrap' }, h('table', h('thead', h('tr', h('th', t('policy.category')), h('th', t('policy.base')), h('th', t('policy.perHour')))), h('tbody', catRows))),
    h('div', { class: 'row' }, field(t('policy.weight'), inputs.endorsementWeight, { name: 'endorsementWeight' }), field(t('policy.budget'), inputs.endorsementBudget, { name: 'endorsementBudget' })),
    h('div', { class: 'row' }, field(t('policy.epochDays'), inputs.epochDays, { name: 'epochDays' }), field(t('policy.decay'), inputs.decay, { name: 'decayHalfLifeDays' })),
    h('div', { class: 'row' }, field(t('policy.capClaim'), inputs.capClaim, { name: 'claim' }), field(t('policy.capEndorse'), inputs.capEndorse, { name: 'endorsementsPerClaim' })),
    h('div', { class: 'row' }, field(t('policy.threshold'), inputs.threshold, { name: 'threshold' }), field(t('policy.approvals'), inputs.approvals, { name: 'approvals' })),
    h('div', { class: 'row' }, field(t('policy.levels'), inputs.levels, { name: 'levels' }), field(t('policy.maxMinutes'), inputs.maxMinutes, { name: 'maxMinutes' })),
    box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const int = (el) => Number.parseInt(el.value, 10);
    const categories = {};
    for (const tr of catRows) {
      const c = tr.dataset.cat;
      categories[c] = { base: int(tr.querySelector(`[name="base-${c}"]`)), perHour: int(tr.querySelector(`[name="perHour-${c}"]`)) };
    }
    const levels = inputs.levels.value.split(/[,、\s]+/).filter(Boolean).map(Number);
    if (levels.some((v) => !Number.isInteger(v))) { setFieldError(form, 'levels', t('err.number')); return; }
    const text = JSON.stringify({
      categories, endorsementWeight: int(inputs.endorsementWeight), endorsementBudget: int(inputs.endorsementBudget), epochDays: int(inputs.epochDays),
      caps: { claim: int(inputs.capClaim), endorsementsPerClaim: int(inputs.capEndorse) },
      decayHalfLifeDays: inputs.decay.value ? int(inputs.decay) : null, levels,
      review: { threshold: int(inputs.threshold), approvals: int(inputs.approvals) }, maxMinutes: int(inputs.maxMinutes),
      ...(p.governance ? { governance: p.governance } : {}), // kept as published (proposals and votes)
    });
    await busy(button, async () => {
      try {
        await act('Policy', { version: next, policy: text });
        toast(t('policy.published', { v: next }));
        await app.refresh();
      } catch (err) { report(form, box, err); }
    });
  });
  root.append(card(h('h2', t('policy.title')), h('p', { class: 'muted' }, current.default ? t('policy.default') : t('policy.current', { v: current.version })), form));
}

// -- roles -----------------------------------------------------------------------------

async function roles(root, app) {
  const members = await all(`${R(state.region)}/members`);
  const holders = {};
  for (const role of ['admin', 'verifier', 'auditor']) {
    holders[role] = new Set((await all(`${R(state.region)}/members?role=${role}`)).map((m) => m.address));
  }
  const box = errorBox();
  const toggle = (m, role) => {
    const has = holders[role].has(m.address);
    const b = h('button', { type: 'button', class: has ? 'primary' : 'secondary', 'aria-pressed': String(has), 'data-role': role, 'data-member': m.address },
      has ? `✓ ${t('role.' + role)}` : t('role.' + role));
    b.addEventListener('click', () => busy(b, async () => {
      try {
        await act('Role', { member: m.address, role, granted: !has });
        toast(t('roles.changed'));
        await app.refresh();
      } catch (err) { report(null, box, err); }
    }));
    return b;
  };
  root.append(card(h('h2', t('roles.title')), box, h('div', { class: 'table-wrap' }, h('table',
    h('tbody', members.map((m) => h('tr',
      h('th', m.displayName, h('div', { class: 'muted small' }, shortAddr(m.address), m.managed ? ' · ✉' : '')),
      h('td', h('div', { class: 'inline' }, ['verifier', 'auditor', 'admin'].map((r) => toggle(m, r)))))))))));
}

// -- invitations and recovery codes -------------------------------------------------------

async function invites(root, app) {
  const label = h('input', { type: 'text', maxlength: 200, placeholder: t('invite.labelExample') });
  const days = h('input', { type: 'number', min: 1, max: 90, value: 30, inputmode: 'numeric' });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary' }, t('invite.create'));
  const made = h('div', { class: 'made-card', 'data-testid': 'made-card' });
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'invite' },
    field(t('invite.label'), label, { name: 'label', hint: t('invite.labelHint') }),
    field(t('invite.days'), days, { name: 'expiresAt' }), box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const n = Number(days.value);
    if (!Number.isInteger(n) || n < 1 || n > 90) { setFieldError(form, 'expiresAt', t('err.number')); return; }
    await busy(button, async () => {
      try {
        const code = newCode();
        const digest = await codeHash(code);
        await act('Invitation', { codeHash: digest, expiresAt: Math.floor(Date.now() / 1000) + n * 86400 });
        if (label.value.trim()) await put(`${R(state.region)}/invitations/${digest}/label`, { label: label.value.trim() });
        const { paper, button: print } = await codeCard('invitation', code);
        made.replaceChildren(h('h2', t('invite.created')), h('p', t('invite.hand')), paper, h('div', { class: 'actions' }, print));
        label.value = '';
      } catch (err) { report(form, box, err); }
    });
  });
  const list = await maybe(`${R(state.region)}/invitations?limit=50`);
  const status = (i) => {
    if (i.member) return chip(t('invite.used', { name: nameOf(i.member) }), 'ok');
    if (i.revokedSeq != null) return chip(t('invite.revoked'), 'bad');
    return chip(t('invite.open', { date: fmtDate(i.expiresAt) }), 'wait');
  };
  const revoke = (i) => {
    const b = h('button', { type: 'button', class: 'link', 'data-action': 'InvitationRevocation' }, t('invite.revoke'));
    b.addEventListener('click', () => busy(b, async () => {
      try { await act('InvitationRevocation', { codeHash: i.codeHash, reason: '' }); await app.render(); } catch (err) { report(null, box, err); }
    }));
    return b;
  };
  root.append(card(h('h2', t('invite.title')), h('p', { class: 'muted' }, t('invite.intro')), form, made),
    list && list.items.length ? card(h('h2', t('invite.list')), h('ul', { class: 'feed' }, list.items.map((i) => h('li', { 'data-invitation': i.codeHash },
      h('strong', i.label || t('invite.noLabel')), ' ', status(i), ' ',
      !i.member && i.revokedSeq == null && i.expiresAt * 1000 > Date.now() ? revoke(i) : '')))) : '',
    await recoveries(app));
}

/** The office issues a recovery code for a managed member who lost her passphrase. */
async function recoveries(app) {
  const members = (await all(`${R(state.region)}/members`)).filter((m) => m.managed);
  if (!members.length) return '';
  const who = h('select', {}, h('option', { value: '' }, '—'),
    members.map((m) => h('option', { value: m.address }, `${m.number} ${m.displayName}`)));
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary' }, t('recovery.create'));
  const made = h('div', { class: 'made-card', 'data-testid': 'made-recovery' });
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'recovery' },
    field(t('recovery.member'), who, { name: 'member' }), box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!who.value) { setFieldError(form, 'member', t('err.required')); return; }
    await busy(button, async () => {
      try {
        const code = newCode();
        await act('Recovery', { member: who.value, codeHash: await codeHash(code), expiresAt: Math.floor(Date.now() / 1000) + 7 * 86400 });
        const { paper, button: print } = await codeCard('recovery', code);
        made.replaceChildren(h('p', t('recovery.hand')), paper, h('div', { class: 'actions' }, print));
      } catch (err) { report(form, box, err); }
    });
  });
  return card(h('h2', t('recovery.title')), h('p', { class: 'muted' }, t('recovery.intro')), form, made);
}

// -- anchoring -------------------------------------------------------------------------

const EXPLORERS = {
  1: 'https://etherscan.io/tx/', 11155111: 'https://sepolia.etherscan.io/tx/', 17000: 'https://holesky.etherscan.io/tx/',
  10: 'https://optimistic.etherscan.io/tx/', 137: 'https://polygonscan.com/tx/', 8453: 'https://basescan.org/tx/',
  84532: 'https://sepolia.basescan.org/tx/', 42161: 'https://arbiscan.io/tx/', 100: 'https://gnosisscan.io/tx/',
};

export function txLink(chainId, txHash) {
  const base = EXPLORERS[chainId];
  return base ? h('a', { href: base + txHash, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'tx-link' }, t('anchor.tx'), ' ↗')
    : h('span', t('anchor.txLabel'), ' ', h('code', { 'data-testid': 'tx-link' }, txHash));
}

export async function anchorStatus() {
  const data = await maybe(`${R(state.region)}/anchors/latest`);
  if (!data || !data.anchor) return h('p', { class: 'muted', 'data-testid': 'anchor-status' }, t('anchor.none'));
  const a = data.anchor;
  return h('div', { 'data-testid': 'anchor-status' },
    h('p', h('strong', t('anchor.latest', { size: fmtNum(a.size), block: fmtNum(a.blockNumber) }))),
    h('p', { class: 'muted' }, fmtDateTime(a.time), ' · ', t('anchor.chain', { id: a.chainId }), ' · ', (data.behind === 1 ? t('anchor.behind1') : t('anchor.behind', { n: data.behind }))),
    h('p', txLink(a.chainId, a.txHash)));
}

/** How anchoring runs by itself (kakawari serve's schedule) and how its last run went. */
export async function anchorSchedule() {
  const health = await get('/v1/health');
  const a = health.anchoring;
  const out = h('div', { 'data-testid': 'anchor-schedule' });
  if (!a) return out.append(h('p', { class: 'muted' }, t('anchor.off'))), out;
  out.append(h('p', a.scheduled
    ? t('anchor.scheduled', { min: fmtNum(Math.max(1, Math.round(a.interval / 60))), n: fmtNum(a.minEntries) })
    : t('anchor.manual')));
  const run = a.regions[state.region];
  if (!run) return out;
  out.append(h('p', { class: 'muted' }, t('anchor.lastRun', { time: fmtDateTime(run.checkedAt) }), ' · ', t('anchor.outcome.' + run.outcome)));
  if (run.error) out.append(h('p', { class: 'form-error', role: 'alert', 'data-testid': 'anchor-failure' }, t('anchor.failed', { n: run.failures }), ' ', h('code', run.error)));
  if (run.note) out.append(h('p', { class: 'muted' }, run.note));
  return out;
}

async function anchor(root) {
  root.append(card(h('h2', t('anchor.title')), h('p', { class: 'muted' }, t('anchor.intro')), await anchorStatus(), await anchorSchedule()));
}
