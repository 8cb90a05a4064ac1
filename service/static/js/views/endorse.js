import { t, category } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, errorBox, busy, toast, chip, fmtDate, fmtMinutes, emptyState, field } from '../ui.js';
import { state, nameOf } from '../state.js';
import { act } from '../signer.js';
import { report } from './home.js';

export async function viewEndorse(root, _params, app) {
  const me = state.me.address;
  const [budget, pending, approved, involved] = await Promise.all([
    get(`${R(state.region)}/members/${me}/budget`),
    get(`${R(state.region)}/claims?status=pending&limit=50`),
    get(`${R(state.region)}/claims?status=approved&limit=50`),
    get(`${R(state.region)}/claims?member=${me}&limit=200`),
  ]);
  const mine = new Set(involved.items.map((c) => c.id));
  const claims = [...pending.items, ...approved.items].sort((a, b) => b.seq - a.seq);
  const budgetEl = h('span', { class: 'budget', 'data-testid': 'budget' }, t('endorse.left', { left: budget.left, budget: budget.budget }));
  root.append(h('h1', t('endorse.title')),
    card(h('p', t('endorse.intro', { date: fmtDate(budget.epochEnd) })), h('p', budgetEl)));
  const others = claims.filter((c) => !mine.has(c.id));
  if (!others.length) { root.append(emptyState(t('endorse.empty'))); return; }
  // who thanked each activity, and whether you did (from the activity's own record)
  const full = new Map((await Promise.all(claims.map((c) => get(`${R(state.region)}/claims/${c.id}`)))).map((c) => [c.id, c]));
  const list = h('ul', { class: 'claims' });
  for (const c of claims) list.append(h('li', endorseCard(full.get(c.id) || c, mine.has(c.id), budget, budgetEl, app)));
  root.append(list);
}

function endorseCard(c, mine, budget, budgetEl, app) {
  const head = [h('div', { class: 'claim-head' }, h('h3', c.title), chip(t('status.' + c.status), c.status === 'approved' ? 'ok' : 'wait')),
    h('p', { class: 'meta' }, `${nameOf(c.contributor)} · ${category(c.category)} · ${fmtDate(c.occurredAt)} · ${fmtMinutes(c.minutes)}`)];
  const given = (c.endorsements || []);
  const mineGiven = given.filter((e) => e.endorser === state.me.address);
  const youThanked = mineGiven.length ? h('p', { class: 'thanked', 'data-testid': 'you-thanked' }, '♡ ',
    t('endorse.youThanked', { n: mineGiven.reduce((a, e) => a + e.amount, 0) }),
    mineGiven.filter((e) => e.note).map((e) => h('span', { class: 'thanks-note' }, ` 「${e.note}」`))) : '';
  const others = given.filter((e) => e.endorser !== state.me.address);
  const thanksList = others.length ? h('details', { class: 'thanks-list' }, h('summary', t('endorse.thanksList'), ` (${others.length})`),
    h('ul', { class: 'thanks' }, others.map((e) => h('li', t('mine.thanksFrom', { name: nameOf(e.endorser) }), ` (${e.amount})`,
      e.note ? h('span', { class: 'thanks-note' }, `「${e.note}」`) : '')))) : '';
  head.push(youThanked, thanksList);
  if (mine) return h('article', { class: 'claim', 'data-claim': c.id }, head, h('p', { class: 'muted small' }, t('endorse.own')));
  const amount = h('input', { type: 'number', min: 1, max: Math.max(budget.left, 1), value: Math.min(3, Math.max(budget.left, 1)), inputmode: 'numeric', 'aria-label': t('endorse.amount') });
  const minus = h('button', { type: 'button', class: 'secondary', 'aria-label': '−1', onclick: () => { amount.value = Math.max(1, Number(amount.value) - 1); } }, '−');
  const plus = h('button', { type: 'button', class: 'secondary', 'aria-label': '+1', onclick: () => { amount.value = Number(amount.value) + 1; } }, '+');
  const note = h('input', { type: 'text', maxlength: 280 });
  const box = errorBox();
  const send = h('button', { type: 'submit', class: 'primary' }, '♡ ', t('endorse.send'));
  const form = h('form', { class: 'endorse-form', novalidate: true, 'data-form': 'endorse' },
    h('div', { class: 'field', 'data-field': 'amount' }, h('span', { class: 'label' }, t('endorse.amount')),
      h('div', { class: 'stepper' }, minus, amount, plus), h('p', { class: 'field-error', role: 'alert', hidden: true })),
    field(t('endorse.note'), note, { name: 'note' }),
    box, h('div', { class: 'actions' }, send));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    box.hidden = true;
    await busy(send, async () => {
      try {
        await act('Endorsement', { claim: c.id, amount: Number(amount.value), note: note.value.trim() }, { claimTitle: c.title });
        toast(t('endorse.sent'));
        budget.left -= Number(amount.value);
        budgetEl.textContent = t('endorse.left', { left: budget.left, budget: budget.budget });
        note.value = '';
        await app.refresh();
      } catch (err) {
        if (err.code === 'budget-exceeded') Object.assign(err.params, { left: budget.left, budget: budget.budget, amount: amount.value });
        report(form, box, err);
      }
    });
  });
  return h('article', { class: 'claim', 'data-claim': c.id }, head, form);
}
