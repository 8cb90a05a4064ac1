import { t, category } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, errorBox, busy, toast, chip, fmtDate, fmtMinutes, fmtNum, download, emptyState, modal } from '../ui.js';

const ZERO32 = '0x' + '00'.repeat(32);
import { state, nameOf, policy } from '../state.js';
import { act } from '../signer.js';
import { buildReceipt } from '../receipt.js';
import { report } from './home.js';

const STATUS_KIND = { pending: 'wait', approved: 'ok', rejected: 'bad', revoked: 'bad' };

export async function viewMine(root, params, app) {
  const me = state.me;
  const list = await get(`${R(state.region)}/claims?member=${me.address}&limit=200`);
  root.append(h('h1', t('mine.title')));
  if (!list.items.length) {
    root.append(emptyState(t('mine.empty'), h('a', { class: 'button', href: '#/claim' }, t('nav.claim'))));
    return;
  }
  const full = await Promise.all(list.items.map((c) => get(`${R(state.region)}/claims/${c.id}`)));
  const pol = policy();
  const confirm = [], rest = [];
  for (const c of full) {
    const p = c.people.find((x) => x.address === me.address);
    if (c.contributor !== me.address && p && p.confirmedSeq == null && !['rejected', 'revoked'].includes(c.status)) confirm.push(c);
    else rest.push(c);
  }
  if (confirm.length) {
    root.append(h('section', { class: 'attention' }, h('h2', t('mine.confirmTitle')),
      confirm.map((c) => confirmCard(c, app))));
  }
  root.append(h('ul', { class: 'claims' }, rest.map((c) => h('li', claimCard(c, pol, params.get('new') === c.id, app)))));
}

function confirmCard(c, app) {
  const box = errorBox();
  const button = h('button', { type: 'button', class: 'primary' }, t('mine.confirm'));
  button.addEventListener('click', () => busy(button, async () => {
    try {
      await act('Confirmation', { claim: c.id }, { claimTitle: c.title });
      toast(t('mine.confirmed'));
      await app.refresh();
    } catch (err) { report(null, box, err); }
  }));
  return card(
    h('h3', c.title),
    h('p', t('mine.confirmText', { name: nameOf(c.contributor) })),
    h('p', { class: 'muted' }, `${category(c.category)} · ${fmtDate(c.occurredAt)} · ${fmtMinutes(c.minutes)}`),
    box, h('div', { class: 'actions' }, button));
}

function claimCard(c, pol, fresh, app) {
  const me = state.me.address;
  const others = c.people.filter((p) => p.address !== me).map((p) => nameOf(p.address));
  const needed = c.points != null && pol ? (c.points >= pol.review.threshold ? pol.review.approvals : 1) : null;
  const endorsed = c.endorsements.reduce((a, e) => a + e.amount, 0);
  const box = errorBox();
  const actions = [];
  if (c.status === 'approved') {
    actions.push(h('a', { class: 'button', href: `#/certificate?claim=${c.id}`, 'data-action': 'certificate' }, t('mine.certificate')));
    const b = h('button', { type: 'button', class: 'secondary', 'data-action': 'receipt' }, '⤓ ', t('mine.receiptJson'));
    b.addEventListener('click', () => busy(b, async () => {
      try {
        const receipt = await buildReceipt(c.id, me);
        download(`kakawari-receipt-${state.region}-${c.id.slice(2, 10)}.json`, JSON.stringify(receipt, null, 2));
        toast(t('mine.receiptDone'));
      } catch (err) { report(null, box, err); }
    }));
    actions.push(b);
  }
  const detailsSlot = h('div', { class: 'details-slot' });
  if (c.contributor === me && c.detailsHash !== ZERO32 && !c.detailsErased) {
    const show = h('button', { type: 'button', class: 'link' }, t('mine.showDetails'));
    show.addEventListener('click', async () => {
      try {
        const d = await get(`${R(state.region)}/details/${c.detailsHash}`);
        detailsSlot.replaceChildren(
          d.details.text ? h('p', { class: 'private-text' }, d.details.text) : '',
          ...(d.details.files || []).filter((f) => /^image\//.test(f.type)).map((f) => h('img', { class: 'evidence', src: `data:${f.type};base64,${f.data}`, alt: f.name })));
        show.remove();
      } catch (err) { report(null, box, err); }
    });
    const erase = h('button', { type: 'button', class: 'secondary', 'data-action': 'erase' }, t('mine.erase'));
    erase.addEventListener('click', async () => {
      const ok = await modal((close) => h('div', { class: 'sign-dialog' }, h('h2', t('mine.erase')), h('p', t('mine.eraseConfirm')),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, t('cancel')),
          h('button', { type: 'button', class: 'danger', onclick: () => close(true) }, t('mine.erase')))));
      if (!ok) return;
      await busy(erase, async () => {
        try {
          await act('Erasure', { detailsHash: c.detailsHash, reason: 'Erased at the request of the contributor' }, { claimTitle: c.title });
          toast(t('mine.eraseDone'));
          await app.refresh();
        } catch (err) { report(null, box, err); }
      });
    });
    actions.unshift(erase);
    detailsSlot.append(show);
  }
  return h('article', { class: `claim ${fresh ? 'fresh' : ''}`, 'data-claim': c.id, 'data-status': c.status },
    h('div', { class: 'claim-head' },
      h('h3', c.title),
      chip(t('status.' + c.status), STATUS_KIND[c.status])),
    h('p', { class: 'meta' },
      h('span', category(c.category)), ' · ', h('span', fmtDate(c.occurredAt)), ' · ', h('span', fmtMinutes(c.minutes)),
      others.length ? [' · ', h('span', t('mine.with', { names: others.join('、') }))] : ''),
    h('p', { class: 'meta' },
      c.points != null ? h('strong', { class: 'pts' }, `${fmtNum(c.points)} ${t('points')}`) : '',
      c.status === 'pending' && c.expectedPoints != null ? h('strong', { class: 'pts expected', 'data-testid': 'expected' }, t('mine.expected', { n: fmtNum(c.expectedPoints) })) : '',
      c.status === 'pending' && needed ? h('span', { class: 'muted' }, ' ', t('mine.approvals', { n: c.approvals, m: needed })) : '',
      endorsed ? h('span', { class: 'muted' }, ' · ♡ ', t('mine.thanks', { n: endorsed })) : ''),
    c.reviews.length ? h('ul', { class: 'reviews' }, c.reviews.map((r) => h('li',
      chip(r.approve ? t('approve') : t('reject'), r.approve ? 'ok' : 'bad'), ' ',
      nameOf(r.reviewer), r.reason ? `：「${r.reason}」` : ''))) : '',
    c.endorsements.length ? h('ul', { class: 'thanks', 'data-testid': 'thanks' }, c.endorsements.map((e) => h('li',
      h('span', { class: 'thanks-from' }, '♡ ', t('mine.thanksFrom', { name: nameOf(e.endorser) }), ` (${e.amount})`),
      e.note ? h('span', { class: 'thanks-note' }, `「${e.note}」`) : ''))) : '',
    c.detailsErased ? h('p', { class: 'muted small' }, t('mine.erased')) : detailsSlot,
    box, actions.length ? h('div', { class: 'actions' }, actions) : '');
}
