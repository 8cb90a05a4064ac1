import { t } from '../i18n.js';
import { get, R } from '../api.js';
import { h, s, card, emptyState } from '../ui.js';
import { state } from '../state.js';
import { layout, color } from '../charts.js';

export async function viewConnections(root) {
  const g = await get(`${R(state.region)}/connections`);
  root.append(h('h1', t('conn.title')), h('p', { class: 'lead' }, t('conn.intro')));
  if (!g.nodes.length) { root.append(emptyState(t('conn.empty'))); return; }
  const narrow = root.clientWidth < 600;
  const W = narrow ? 420 : 860, H = narrow ? 520 : 560;
  const nodes = g.nodes.map((n) => ({ ...n, id: n.address }));
  const weights = new Map();
  for (const e of g.edges) {
    const key = e.from < e.to ? `${e.from}|${e.to}` : `${e.to}|${e.from}`;
    weights.set(key, (weights.get(key) || 0) + (e.kind === 'together' ? e.count * 2 : e.count));
  }
  const pos = layout(nodes, [...weights.entries()].map(([k, w]) => { const [a, b] = k.split('|'); return { a, b, weight: w }; }), W, H);
  const at = new Map(nodes.map((n, i) => [n.address, pos[i]]));
  const me = state.me && state.me.address;
  const radius = (n) => 7 + Math.sqrt(n.claims * 3 + n.endorsementsReceived / 2);

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'graph', role: 'group', 'aria-label': t('conn.title') },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0 0 L10 5 L0 10 z', fill: '#e76f51' }))));
  const edgeEls = [];
  for (const e of g.edges) {
    const a = at.get(e.from), b = at.get(e.to);
    if (!a || !b) continue;
    let el;
    if (e.kind === 'together') {
      el = s('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'edge-together', 'stroke-width': Math.min(1.5 + e.count * 1.5, 8) },
        s('title', {}, t('conn.edgeTogether', { a: nameFor(g, e.from), b: nameFor(g, e.to), n: e.count })));
    } else {
      const target = nodes.find((n) => n.address === e.to);
      const dx = b.x - a.x, dy = b.y - a.y, d = Math.hypot(dx, dy) || 1;
      const r = radius(target) + 3;
      const ex = b.x - (dx / d) * r, ey = b.y - (dy / d) * r;
      const mx = (a.x + ex) / 2 - (dy / d) * 24, my = (a.y + ey) / 2 + (dx / d) * 24;
      el = s('path', { d: `M${a.x} ${a.y} Q${mx} ${my} ${ex} ${ey}`, class: 'edge-endorsed', 'stroke-width': Math.min(1 + e.amount / 4, 5), 'marker-end': 'url(#arrow)' },
        s('title', {}, t('conn.edgeThanks', { a: nameFor(g, e.from), b: nameFor(g, e.to), n: e.amount })));
    }
    el.dataset.from = e.from; el.dataset.to = e.to;
    edgeEls.push(el); svg.append(el);
  }
  const nodeEls = [];
  nodes.forEach((n, i) => {
    const p = pos[i];
    const label = `${n.displayName}: ${n.claims} · ♡${n.endorsementsReceived}`;
    const el = s('g', { class: 'node', transform: `translate(${p.x} ${p.y})`, tabindex: 0, role: 'button', 'aria-label': label, 'data-address': n.address },
      s('circle', { r: radius(n), fill: n.address === me ? '#f4a261' : n.resident === true ? color(3) : n.resident === false ? color(5) : '#8a9a9e' }),
      s('text', { y: radius(n) + 14, 'text-anchor': 'middle' }, n.displayName.length > 10 ? n.displayName.slice(0, 9) + '…' : n.displayName),
      s('title', {}, label));
    const select = () => focusNode(n.address, el);
    el.addEventListener('click', select);
    el.addEventListener('focus', select);
    el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') { clearFocus(); el.blur(); }
    });
    nodeEls.push(el); svg.append(el);
  });
  const detail = h('div', { class: 'conn-detail', 'aria-live': 'polite' });
  function clearFocus() {
    for (const e of edgeEls) e.classList.remove('dim');
    for (const e of nodeEls) e.classList.remove('dim', 'selected');
    detail.replaceChildren();
  }
  function focusNode(address, el) {
    const linked = new Set([address]);
    for (const e of edgeEls) {
      const on = e.dataset.from === address || e.dataset.to === address;
      e.classList.toggle('dim', !on);
      if (on) { linked.add(e.dataset.from); linked.add(e.dataset.to); }
    }
    for (const n of nodeEls) { n.classList.toggle('dim', !linked.has(n.dataset.address)); n.classList.remove('selected'); }
    el.classList.add('selected');
    const mine = g.edges.filter((e) => e.from === address || e.to === address);
    detail.replaceChildren(h('h3', nameFor(g, address)), h('ul', mine.map((e) => h('li', e.kind === 'together'
      ? t('conn.edgeTogether', { a: nameFor(g, e.from), b: nameFor(g, e.to), n: e.count })
      : t('conn.edgeThanks', { a: nameFor(g, e.from), b: nameFor(g, e.to), n: e.amount })))));
  }
  const key = h('ul', { class: 'legend' },
    h('li', h('span', { class: 'swatch', style: { background: color(0), height: '4px', verticalAlign: 'middle' } }), t('conn.together')),
    h('li', h('span', { class: 'swatch', style: { background: '#e76f51', height: '4px', verticalAlign: 'middle' } }), '→ ', t('conn.thanked')),
    h('li', h('span', { class: 'swatch', style: { background: color(3), borderRadius: '50%' } }), t('kpi.residents')),
    h('li', h('span', { class: 'swatch', style: { background: color(5), borderRadius: '50%' } }), t('kpi.elsewhere')),
    me ? h('li', h('span', { class: 'swatch', style: { background: '#f4a261', borderRadius: '50%' } }), t('you')) : '');
  root.append(card(svg, key, detail),
    h('details', { class: 'card' }, h('summary', t('conn.list')), h('ul', g.edges.map((e) => h('li', e.kind === 'together'
      ? t('conn.edgeTogether', { a: nameFor(g, e.from), b: nameFor(g, e.to), n: e.count })
      : t('conn.edgeThanks', { a: nameFor(g, e.from), b: nameFor(g, e.to), n: e.amount }))))));
}

function nameFor(g, address) {
  const n = g.nodes.find((x) => x.address === address);
  return n ? n.displayName : address.slice(0, 8);
}
