// Charts drawn as SVG, by hand: a step line over time, grouped/stacked bars by month,
// horizontal bars, and a force-directed graph. Each chart has a <title> and a table
// fallback for screen readers (aria-describedby) where it matters.
import { s, h } from './ui.js';
import { lang } from './i18n.js';

const COLORS = ['#0e7c86', '#f4a261', '#e76f51', '#2a9d8f', '#8ab17d', '#6d597a', '#b56576', '#457b9d'];
export const color = (i) => COLORS[i % COLORS.length];

/** Axis scale: a round step (1, 2 or 5 × 10^k) giving about five intervals. */
function scale(v) {
  const top = Math.max(v, 1);
  const raw = top / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw);
  const whole = Math.max(1, step >= 1 ? Math.round(step) : step);
  const max = Math.ceil(top / whole) * whole;
  const ticks = [];
  for (let x = 0; x <= max + 1e-9; x += whole) ticks.push(x);
  return { max, ticks };
}

/** "Dec", "12月"; with the year for January and the first month shown. */
export function monthLabel(ym, withYear) {
  const [y, m] = ym.split('-').map(Number);
  const d = new Date(y, m - 1, 1);
  const month = d.toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB', { month: 'short' });
  return withYear || m === 1 ? [month, String(y)] : [month, ''];
}

/** A chart width that draws text at its real size in `container` (px). */
export function fitWidth(container, fraction = 1, min = 300, max = 760) {
  const w = (container && container.clientWidth) || 640;
  return Math.round(Math.max(min, Math.min(max, w * fraction - 48)));
}

const fmt = (v) => (Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v * 10) / 10));

/** Cumulative points over time: points = [{time, value}] sorted by time. */
export function lineChart(points, { label, width = 640, height = 240 } = {}) {
  const pad = { l: 44, r: 16, t: 16, b: 32 };
  const W = width - pad.l - pad.r, H = height - pad.t - pad.b;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart line', role: 'img', 'aria-label': label });
  svg.append(s('title', {}, label));
  if (!points.length) return svg;
  const now = Date.now() / 1000;
  const t1 = Math.max(now, points[points.length - 1].time + 1);
  const t0 = Math.min(points[0].time, t1 - 30 * 86400);  // at least a month wide
  const { max: maxV, ticks: yTicks } = scale(Math.max(...points.map((p) => p.value), 1));
  const x = (tm) => pad.l + ((tm - t0) / (t1 - t0 || 1)) * W;
  const y = (v) => pad.t + H - (Math.max(v, 0) / maxV) * H;
  for (const v of yTicks) {
    svg.append(s('line', { x1: pad.l, x2: pad.l + W, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, fmt(v)));
  }
  const fmtD = (tm) => new Date(tm * 1000).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB', { month: 'short', day: 'numeric' });
  for (const tm of [t0, (t0 + t1) / 2, t1]) {
    svg.append(s('text', { x: x(tm), y: height - 8, 'text-anchor': tm === t0 ? 'start' : tm === t1 ? 'end' : 'middle', class: 'axis' }, fmtD(tm)));
  }
  let d = `M ${x(t0)} ${y(0)}`;
  let prev = 0;
  for (const p of points) { d += ` L ${x(p.time)} ${y(prev)} L ${x(p.time)} ${y(p.value)}`; prev = p.value; }
  d += ` L ${x(t1)} ${y(points[points.length - 1].value)}`;
  const area = `${d} L ${x(t1)} ${y(0)} Z`;
  svg.append(s('path', { d: area, class: 'area' }), s('path', { d, class: 'stroke' }));
  for (const p of points) svg.append(s('circle', { cx: x(p.time), cy: y(p.value), r: 4, class: 'dot' }, s('title', {}, `${fmtD(p.time)}: ${fmt(p.value)}`)));
  return svg;
}

/** Bars per month: series = [{name, values[]}]; stacked or side by side. */
export function barChart(labels, series, { label, stacked = false, width = 640, height = 240, colors } = {}) {
  const pad = { l: 34, r: 8, t: 12, b: 42 };
  const W = width - pad.l - pad.r, H = height - pad.t - pad.b;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart bars', role: 'img', 'aria-label': label });
  svg.append(s('title', {}, label));
  const totals = labels.map((_, i) => (stacked ? series.reduce((a, se) => a + (se.values[i] || 0), 0) : Math.max(0, ...series.map((se) => se.values[i] || 0))));
  const { max: maxV, ticks: yTicks } = scale(Math.max(1, ...totals));
  const y = (v) => pad.t + H - (v / maxV) * H;
  for (const v of yTicks) {
    svg.append(s('line', { x1: pad.l, x2: pad.l + W, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, fmt(v)));
  }
  const slot = W / Math.max(labels.length, 1);
  const bw = stacked ? slot * 0.62 : (slot * 0.74) / Math.max(series.length, 1);
  labels.forEach((lab, i) => {
    let base = 0;
    series.forEach((se, j) => {
      const v = se.values[i] || 0;
      const x0 = pad.l + slot * i + (stacked ? (slot - bw) / 2 : slot * 0.13 + j * bw);
      const top = stacked ? base + v : v;
      const hgt = (v / maxV) * H;
      if (v > 0) {
        svg.append(s('rect', { x: x0, y: y(top), width: Math.max(bw - 2, 1), height: hgt, rx: 3, fill: (colors && colors[j]) || color(j) },
          s('title', {}, `${lab} · ${se.name}: ${fmt(v)}`)));
      }
      if (stacked) base += v;
    });
    const every = Math.ceil(labels.length / Math.max(2, Math.floor(W / 34)));
    if ((labels.length - 1 - i) % every === 0) {
      const [month, year] = monthLabel(lab, i < every);
      svg.append(s('text', { x: pad.l + slot * i + slot / 2, y: height - 24, 'text-anchor': 'middle', class: 'axis' }, month),
        year ? s('text', { x: pad.l + slot * i + slot / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis year' }, year) : '');
    }
  });
  return svg;
}

export function legend(names, colors) {
  return h('ul', { class: 'legend' }, names.map((n, i) => h('li', h('span', { class: 'swatch', style: { background: (colors && colors[i]) || color(i) } }), n)));
}

/** Horizontal bars: items = [{name, value}] */
export function hBars(items, { label, unit = '' } = {}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return h('ul', { class: 'hbars', 'aria-label': label }, items.map((it, i) => h('li',
    h('span', { class: 'hb-name' }, it.name),
    h('span', { class: 'hb-track' }, h('span', { class: 'hb-bar', style: { width: `${(it.value / max) * 100}%`, background: color(i) } })),
    h('span', { class: 'hb-value' }, `${fmt(it.value)}${unit}`))));
}

/** Force-directed layout (Fruchterman–Reingold; deterministic: seeded on a circle,
 *  fixed iterations, cooling temperature). edges = [{a, b, weight}]. */
export function layout(nodes, edges, width, height) {
  const n = nodes.length;
  const margin = 46;
  const pos = nodes.map((_, i) => {
    const a = (2 * Math.PI * i) / Math.max(n, 1);
    return { x: width / 2 + width * 0.3 * Math.cos(a), y: height / 2 + height * 0.3 * Math.sin(a), dx: 0, dy: 0 };
  });
  const index = new Map(nodes.map((nd, i) => [nd.id, i]));
  const links = edges.map((e) => [index.get(e.a), index.get(e.b), Math.min(e.weight || 1, 6)]).filter(([a, b]) => a != null && b != null && a !== b);
  const area = (width - 2 * margin) * (height - 2 * margin);
  const k = 0.8 * Math.sqrt(area / Math.max(n, 1));
  let temp = width / 8;
  const iterations = 400;
  for (let it = 0; it < iterations; it++) {
    for (const p of pos) { p.dx = 0; p.dy = 0; }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let x = pos[i].x - pos[j].x, y = pos[i].y - pos[j].y;
        let d = Math.hypot(x, y);
        if (d < 0.01) { x = 0.01 * (i - j + 0.5); y = 0.01; d = Math.hypot(x, y); }
        const f = (k * k) / d;
        pos[i].dx += (x / d) * f; pos[i].dy += (y / d) * f;
        pos[j].dx -= (x / d) * f; pos[j].dy -= (y / d) * f;
      }
    }
    for (const [a, b, w] of links) {
      const x = pos[a].x - pos[b].x, y = pos[a].y - pos[b].y;
      const d = Math.hypot(x, y) || 0.01;
      const f = ((d * d) / k) * (0.5 + w / 4);
      pos[a].dx -= (x / d) * f; pos[a].dy -= (y / d) * f;
      pos[b].dx += (x / d) * f; pos[b].dy += (y / d) * f;
    }
    for (const p of pos) {
      p.dx += (width / 2 - p.x) * 0.05 * k / 10; p.dy += (height / 2 - p.y) * 0.05 * k / 10;
      const d = Math.hypot(p.dx, p.dy) || 1;
      p.x += (p.dx / d) * Math.min(d, temp); p.y += (p.dy / d) * Math.min(d, temp);
      p.x = Math.min(width - margin, Math.max(margin, p.x)); p.y = Math.min(height - margin, Math.max(margin - 16, p.y));
    }
    temp = Math.max(temp * 0.985, 0.5);
  }
  // Fill the drawing: scale the layout to the box (keeping its aspect within reason).
  const xs = pos.map((p) => p.x), ys = pos.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (width - 2 * margin) / Math.max(x1 - x0, 1), sy = (height - 2 * margin - 10) / Math.max(y1 - y0, 1);
  for (const p of pos) {
    p.x = n > 1 ? margin + (p.x - x0) * sx : width / 2;
    p.y = n > 1 ? margin - 10 + (p.y - y0) * sy : height / 2;
  }
  return pos;
}
