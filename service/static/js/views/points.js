import { t, category } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, chip, fmtDate, fmtNum, emptyState } from '../ui.js';
import { state } from '../state.js';
import { lineChart, fitWidth } from '../charts.js';

export async function viewPoints(root) {
  const me = state.me;
  const base = `${R(state.region)}/members/${me.address}/points`;
  const [first, involved] = await Promise.all([
    get(`${base}?limit=500`),
    get(`${R(state.region)}/claims?member=${me.address}&status=pending&limit=100`),
  ]);
  const waiting = involved.items;
  const lines = first.total > first.lines.length ? await allLines(base, first) : first.lines;
  const titles = new Map();
  const claimIds = [...new Set(lines.map((l) => l.claim).filter(Boolean))].slice(0, 200);
  await Promise.all(claimIds.map(async (id) => {
    try { const c = await get(`${R(state.region)}/claims/${id}`); titles.set(id, c); } catch { /* shown by id */ }
  }));
  root.append(h('h1', t('points.title')));
  root.append(h('div', { class: 'kpi-tiles' },
    tile(fmtNum(first.points, 1), t('points.current'), 'points-current'),
    tile(fmtNum(first.lifetimePoints), t('points.lifetime'), 'points-lifetime'),
    tile(t('level', { n: me.level }), me.nextLevelAt ? t('home.nextLevel', { n: me.nextLevelAt - me.lifetimePoints, level: me.level + 1 }) : t('home.maxLevel'))));
  if (first.decayHalfLifeDays) root.append(h('p', { class: 'muted' }, t('points.decay', { n: first.decayHalfLifeDays })));
  if (waiting.length) {
    const total = waiting.reduce((a, c) => a + (c.expectedPoints || 0), 0);
    root.append(h('section', { class: 'card pending', 'data-testid': 'points-pending' },
      h('h2', t('points.pending')), h('p', h('strong', t('points.pendingTotal', { n: fmtNum(total) }))),
      h('p', { class: 'muted' }, t('points.pendingText')),
      h('ul', { class: 'feed' }, waiting.map((c) => h('li', { 'data-claim': c.id },
        h('strong', c.title), ' ', chip(t('status.pending'), 'wait'), ' ',
        h('span', { class: 'pts' }, t('mine.expected', { n: fmtNum(c.expectedPoints || 0) })))))));
  }
  if (!lines.length) {
    if (!waiting.length) root.append(emptyState(t('points.empty'), h('a', { class: 'button', href: '#/claim' }, t('nav.claim'))));
    return;
  }
  let total = 0;
  const series = [...lines].sort((a, b) => a.time - b.time || a.seq - b.seq).map((l) => ({ time: l.time, value: (total += l.points) }));
  root.append(card(h('h2', t('points.chart')), lineChart(series, { label: t('points.chart'), width: fitWidth(root), height: 220 })));
  root.append(card(h('h2', t('points.lines')), h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'point-lines' },
    h('thead', h('tr', h('th', t('points.col.what')), h('th', { class: 'num' }, t('points.col.points')))),
    h('tbody', [...lines].reverse().map((l) => {
      const c = titles.get(l.claim);
      return h('tr',
        h('td', h('strong', t('points.kind.' + l.kind)), c ? [' — ', c.title, ' ', chip(category(c.category))] : '',
          h('div', { class: 'muted small' }, fmtDate(l.time))),
        h('td', { class: `num ${l.points < 0 ? 'neg' : ''}` }, (l.points > 0 ? '+' : '') + fmtNum(l.points)));
    }))))));
  // where each line comes from in the region's record, behind one fold
  root.append(h('details', { class: 'tech card', 'data-testid': 'points-tech' }, h('summary', t('plain.tech')),
    h('ul', { class: 'small' }, [...lines].reverse().map((l) => h('li',
      fmtDate(l.time), ' · ', t('points.kind.' + l.kind), ' · ', t('points.entry', { seq: l.seq }), ' · ', t('points.policyV', { v: l.policyVersion }))))));
  if (me.badges && me.badges.length) {
    root.append(card(h('h2', t('points.badges')), h('ul', me.badges.map((b) => h('li', `#${b.tokenId} · ${b.contract.slice(0, 10)}…`)))));
  }
}

async function allLines(base, first) {
  const out = [...first.lines];
  while (out.length < first.total && out.length < 5000) {
    const page = await get(`${base}?offset=${out.length}&limit=500`);
    if (!page.lines.length) break;
    out.push(...page.lines);
  }
  return out;
}

function tile(v, l, id) {
  return h('div', { class: 'tile', 'data-testid': id || null }, h('div', { class: 'v' }, v), h('div', { class: 'l' }, l));
}
