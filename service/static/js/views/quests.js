import { t, category } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, chip, fmtDate, emptyState } from '../ui.js';
import { state } from '../state.js';

export async function viewQuests(root) {
  const list = await get(`${R(state.region)}/quests?open=true&limit=100`);
  root.append(h('h1', t('quests.title')), h('p', { class: 'lead' }, t('quests.intro')));
  if (!list.items.length) { root.append(emptyState(t('quests.empty'))); return; }
  root.append(h('div', { class: 'grid two' }, list.items.map((q) => card(
    h('p', chip(category(q.category)), ' ', chip(t('quests.bonus', { n: q.points }), 'level')),
    h('h2', q.title),
    h('p', { class: 'muted' }, `${fmtDate(q.opensAt)} – ${fmtDate(q.closesAt)} · ${(q.claims === 1 ? t('quests.answers1') : t('quests.answers', { n: q.claims }))}`),
    state.me ? h('div', { class: 'actions' }, h('a', { class: 'button', href: `#/claim?quest=${q.id}` }, t('quests.answer'))) : ''))));
}
