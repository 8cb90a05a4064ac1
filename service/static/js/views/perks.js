// Perks (特典, issue 14): a member's spendable balance, the perks to redeem, their own
// redemptions (cancel while not handed over); for admins a form to list a perk and the
// office's list of redemptions to hand over.
import { t } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, chip, field, fmtDate, fmtDateTime, fmtNum, emptyState, errorBox, showError, busy, toast, clearErrors } from '../ui.js';
import { state, hasRole } from '../state.js';
import { act } from '../signer.js';

const ZERO32 = '0x' + '00'.repeat(32);

async function run(button, box, fn) {
  clearErrors(box.parentElement);
  box.hidden = true;
  try { await busy(button, fn); } catch (e) {
    if (e.code === 'sign-cancelled' || e.code === 'record-cancelled') return;
    const [title, detail] = e.words ? e.words() : [t('err.generic'), String(e)];
    showError(box, title, detail);
  }
}

export async function viewPerks(root, params, app) {
  const region = R(state.region);
  const perks = (await get(`${region}/perks?valid=true`)).items;
  root.append(h('h1', t('nav.perks')), h('p', { class: 'lead' }, t('perk.intro')));
  let balance = null;
  if (state.me) {
    balance = await get(`${region}/members/${state.session.address}/balance`);
    root.append(card(
      h('p', { class: 'eyebrow' }, t('perk.spendable')),
      h('p', { class: 'big-number', 'data-balance': balance.spendablePoints }, fmtNum(balance.spendablePoints), h('small', ' ', t('perk.pt'))),
      h('p', { class: 'muted' }, t('perk.balanceLine', { lifetime: fmtNum(balance.lifetimePoints), redeemed: fmtNum(balance.redeemedPoints) })),
      h('p', { class: 'muted small' }, t('perk.noCash'))));
  }
  if (!perks.length) root.append(emptyState(t('perk.empty')));
  else {
    root.append(h('div', { class: 'grid two', 'data-list': 'perks' }, perks.map((p) => {
      const box = errorBox();
      const short = balance && balance.spendablePoints < p.cost;
      const button = h('button', { type: 'button', class: 'primary', 'data-action': 'redeem', 'data-perk': p.id,
        disabled: !state.me || !p.left || short ? true : null }, !p.left ? t('perk.soldOut') : t('perk.redeem', { n: p.cost }));
      button.addEventListener('click', () => run(button, box, async () => {
        await act('Redemption', { perk: p.id, cost: p.cost }, { perkTitle: p.title });
        toast(t('perk.redeemed', { place: p.place }));
        await app.refresh();
      }));
      return card(
        h('p', chip(t('perk.cost', { n: p.cost }), 'level'), ' ', chip(p.left ? t('perk.left', { n: p.left }) : t('perk.soldOut'), p.left ? '' : 'bad')),
        h('h2', p.title),
        p.description ? h('p', p.description) : '',
        h('p', { class: 'meta' }, p.place, ' · ', t('perk.until', { date: fmtDate(p.validUntil) })),
        short && p.left ? h('p', { class: 'muted small' }, t('perk.short', { n: p.cost - balance.spendablePoints })) : '',
        h('div', { class: 'actions' }, button), box,
        hasRole('admin') ? editFold(app, p) : '');
    })));
  }
  if (state.me) {
    const mine = (await get(`${region}/redemptions?member=${state.session.address}`)).items;
    if (mine.length) root.append(card(h('h2', t('perk.mine')), redemptionList(mine, app, false)));
  }
  if (hasRole('admin')) {
    const office = (await get(`${region}/redemptions?status=requested`)).items;
    root.append(card(h('h2', t('perk.office')), office.length ? redemptionList(office, app, true) : h('p', { class: 'muted' }, t('perk.officeEmpty'))));
    root.append(card(h('h2', t('perk.new')), perkForm(app)));
  }
}

function redemptionList(items, app, office) {
  return h('ul', { class: 'feed', 'data-list': office ? 'office' : 'my-redemptions' }, items.map((r) => {
    const box = errorBox();
    const buttons = [];
    if (r.status === 'requested') {
      if (office) {
        const given = h('button', { type: 'button', class: 'primary small', 'data-action': 'hand-over' }, t('perk.handOver'));
        given.addEventListener('click', () => run(given, box, async () => {
          await act('RedemptionStatus', { redemption: r.id, status: 'handed-over', reason: '' }, { perkTitle: r.perkTitle });
          toast(t('perk.handedOver')); await app.refresh();
        }));
        buttons.push(given);
      }
      const cancel = h('button', { type: 'button', class: 'secondary small', 'data-action': 'cancel-redemption' }, t('perk.cancel'));
      cancel.addEventListener('click', () => run(cancel, box, async () => {
        await act('RedemptionStatus', { redemption: r.id, status: 'cancelled', reason: '' }, { perkTitle: r.perkTitle });
        toast(t('perk.cancelled')); await app.refresh();
      }));
      buttons.push(cancel);
    }
    return h('li', { 'data-redemption': r.id, 'data-status': r.status },
      h('strong', r.perkTitle), ' ', chip(t('perk.status.' + r.status), r.status === 'cancelled' ? 'bad' : r.status === 'requested' ? 'wait' : 'ok'),
      h('div', { class: 'muted small' }, office ? `${r.displayName} · ` : '', t('perk.cost', { n: r.cost }), ' · ', fmtDateTime(r.time), ' · ', r.place),
      buttons.length ? h('div', { class: 'actions start' }, buttons) : '', box);
  }));
}

function dateValue(ts) {
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The form that lists a perk, or (with `perk`) changes it: a `Perk` entry naming its id,
 *  every field as the office wants it now (redemptions so far stay as they were). */
export function perkForm(app, perk = null) {
  const title = h('input', { type: 'text', maxlength: 200, value: perk ? perk.title : '' });
  const description = h('textarea', { rows: 2, maxlength: 4000 }, perk ? perk.description : '');
  const cost = h('input', { type: 'number', min: 1, inputmode: 'numeric', value: perk ? perk.cost : 50 });
  const stock = h('input', { type: 'number', min: 0, inputmode: 'numeric', value: perk ? perk.stock : 10 });
  const until = h('input', { type: 'date' });
  until.value = dateValue(perk ? perk.validUntil : Date.now() / 1000 + 90 * 86400);
  const place = h('input', { type: 'text', maxlength: 200, value: perk ? perk.place : '' });
  const box = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary' }, perk ? t('perk.save') : t('perk.list'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': perk ? 'perk-edit' : 'perk', 'data-perk': perk ? perk.id : null },
    field(t('perk.name'), title, { name: 'title' }), field(t('f.description'), description, { name: 'description' }),
    h('div', { class: 'row' }, field(t('f.cost'), cost, { name: 'cost' }),
      field(t('f.stock'), stock, { name: 'stock', hint: perk && perk.redeemed ? t('perk.stockHint', { n: perk.redeemed }) : null })),
    h('div', { class: 'row' }, field(t('f.validUntil'), until, { name: 'validUntil' }), field(t('perk.where'), place, { name: 'place' })),
    h('div', { class: 'actions' }, submit), box);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(submit, box, async () => {
      await act('Perk', {
        perk: perk ? perk.id : ZERO32, title: title.value.trim(), description: description.value.trim(), cost: Number(cost.value),
        stock: Number(stock.value), validUntil: Math.floor(new Date(until.value + 'T23:59:59').getTime() / 1000), place: place.value.trim(),
      }, perk ? { perkTitle: perk.title } : {});
      toast(perk ? t('perk.changed') : t('perk.listed')); await app.refresh();
    });
  });
  return form;
}

/** A perk's change form behind a fold (admins). */
function editFold(app, p) {
  return h('details', { class: 'perk-edit', 'data-edit': p.id }, h('summary', t('perk.edit')), perkForm(app, p));
}

/** The admin page's perks tab: every perk (past ones too) to change, and a new one. */
export async function perkAdmin(root, app) {
  const perks = (await get(`${R(state.region)}/perks`)).items;
  const now = Date.now() / 1000;
  root.append(h('p', { class: 'muted' }, t('perk.adminIntro'), ' ', h('a', { href: '#/perks' }, t('perk.toPage'))));
  if (!perks.length) root.append(emptyState(t('perk.empty')));
  for (const p of perks) {
    root.append(h('section', { class: 'card', 'data-perk': p.id },
      h('h2', p.title),
      h('p', chip(t('perk.cost', { n: p.cost }), 'level'), ' ', chip(p.left ? t('perk.left', { n: p.left }) : t('perk.soldOut'), p.left ? '' : 'bad'),
        ' ', chip(t('perk.redeemedN', { n: p.redeemed, stock: p.stock })), p.validUntil <= now ? [' ', chip(t('perk.expired'), 'bad')] : ''),
      h('p', { class: 'meta' }, p.place, ' · ', t('perk.until', { date: fmtDate(p.validUntil) })),
      editFold(app, p)));
  }
  root.append(card(h('h2', t('perk.new')), perkForm(app)));
}
