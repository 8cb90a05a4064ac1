import { t, category } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, errorBox, busy, toast, chip, fmtDate, fmtMinutes, emptyState, field, setFieldError, clearErrors } from '../ui.js';
import { state, nameOf, policy } from '../state.js';
import { act } from '../signer.js';
import { report } from './home.js';

const ZERO32 = '0x' + '00'.repeat(32);

export async function viewReview(root, _params, app) {
  const list = await get(`${R(state.region)}/claims?status=pending&limit=100`);
  root.append(h('h1', t('review.title')), h('p', { class: 'lead' }, t('review.intro')));
  if (!list.items.length) { root.append(emptyState(t('review.empty'))); return; }
  const full = await Promise.all(list.items.map((c) => get(`${R(state.region)}/claims/${c.id}`)));
  const quests = new Map();
  for (const c of full) {
    if (c.quest && c.quest !== ZERO32 && !quests.has(c.quest)) {
      try { quests.set(c.quest, await get(`${R(state.region)}/quests/${c.quest}`)); } catch { /* unknown */ }
    }
  }
  root.append(h('ul', { class: 'claims' }, full.reverse().map((c) => h('li', reviewCard(c, quests.get(c.quest), app)))));
}

function approvalsNeeded(c, quest) {
  const pol = policy();
  const rate = pol.categories[c.category] || { base: 0, perHour: 0 };
  const pts = Math.min(rate.base + Math.floor((c.minutes * rate.perHour) / 60) + (quest ? quest.points : 0), pol.caps.claim);
  return [pts, pts >= pol.review.threshold ? pol.review.approvals : 1];
}

function reviewCard(c, quest, app) {
  const me = state.me.address;
  const involved = c.people.some((p) => p.address === me);
  const reviewed = c.reviews.some((r) => r.reviewer === me);
  const [pts, needed] = approvalsNeeded(c, quest);
  const others = c.people.filter((p) => !p.contributor);
  const reason = h('textarea', { rows: 2, maxlength: 500 });
  const box = errorBox();
  const approveB = h('button', { type: 'button', class: 'primary', 'data-action': 'approve', disabled: involved || reviewed }, '✓ ', t('review.approve'));
  const rejectB = h('button', { type: 'button', class: 'secondary', 'data-action': 'reject', disabled: involved || reviewed }, t('review.reject'));
  const detailsSlot = h('div', { class: 'details-slot' });
  const decide = (approve, button) => busy(button, async () => {
    clearErrors(form);
    if (!approve && !reason.value.trim()) { setFieldError(form, 'reason', t('review.reasonRequired')); reason.focus(); return; }
    try {
      await act('Review', { claim: c.id, approve, reason: reason.value.trim() }, { claimTitle: c.title });
      toast(approve ? t('review.approved') : t('review.rejected'));
      await app.refresh();
    } catch (err) { report(form, box, err); }
  });
  approveB.addEventListener('click', () => decide(true, approveB));
  rejectB.addEventListener('click', () => decide(false, rejectB));
  const form = h('form', { class: 'stack', novalidate: true, onsubmit: (e) => e.preventDefault() },
    involved ? h('p', { class: 'blocked', role: 'note', 'data-testid': 'conflict' }, t('review.conflict'))
      : reviewed ? h('p', { class: 'blocked', role: 'note' }, t('review.already'))
        : field(t('review.reason'), reason, { name: 'reason', hint: t('review.reasonHint') }),
    box, h('div', { class: 'actions' }, rejectB, approveB));
  let showB = '';
  if (c.detailsHash && c.detailsHash !== ZERO32 && !c.detailsErased) {
    showB = h('button', { type: 'button', class: 'link' }, t('review.showDetails'));
    showB.addEventListener('click', async () => {
      try {
        const d = await get(`${R(state.region)}/details/${c.detailsHash}`);
        detailsSlot.replaceChildren(
          d.details.text ? h('p', { class: 'private-text' }, d.details.text) : '',
          ...(d.details.files || []).filter((f) => /^image\//.test(f.type)).map((f) => h('img', { class: 'evidence', src: `data:${f.type};base64,${f.data}`, alt: f.name })));
        showB.remove();
      } catch (err) { report(null, box, err); }
    });
  }
  return h('article', { class: 'claim', 'data-claim': c.id },
    h('div', { class: 'claim-head' }, h('h3', c.title), chip(`${pts} ${t('pt')}`, 'level')),
    h('p', { class: 'meta' }, h('strong', t('review.by', { name: nameOf(c.contributor) })), ' · ', category(c.category), ' · ',
      fmtDate(c.occurredAt), ' · ', fmtMinutes(c.minutes), quest ? [' · ★ ', quest.title] : ''),
    others.length ? h('p', { class: 'meta' }, t('mine.with', { names: others.map((p) => nameOf(p.address) + (p.confirmedSeq != null ? ' ✓' : '')).join('、') })) : '',
    h('p', { class: 'meta' }, t('mine.approvals', { n: c.approvals, m: needed })),
    showB, detailsSlot, form);
}

/** For an admin without the verifier role: one click grants it to herself (a signed
 *  `Role` entry like any other grant; she can give it back on the Roles tab). */
export function verifierOffer(root, app) {
  const box = errorBox();
  const b = h('button', { type: 'button', class: 'primary', 'data-action': 'become-verifier' }, t('review.adminGrant'));
  b.addEventListener('click', () => busy(b, async () => {
    try {
      await act('Role', { member: state.me.address, role: 'verifier', granted: true });
      toast(t('roles.changed'));
      await app.refresh();
    } catch (err) { report(null, box, err); }
  }));
  root.append(h('h1', t('review.title')), card(h('h2', t('review.adminTitle')), h('p', t('review.adminText')), box,
    h('div', { class: 'actions' }, b)));
}
