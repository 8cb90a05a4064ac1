// The KPI page (admin → dashboard): relationship figures per month and over a period —
// the last 12 months, a fiscal year (年度, April–March) or a range of months — with
// each figure's definition, a CSV download of the table and a print layout
// (app.css, @media print) that a municipal officer can put in a report as it is.
import { t, category, lang } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, fmtNum, fmtDate } from '../ui.js';
import { state } from '../state.js';
import { barChart, legend, hBars, color, fitWidth } from '../charts.js';

const MONTH = /^(19|20|21)\d\d-(0[1-9]|1[0-2])$/;

function thisMonth() {
  const d = new Date(Date.now() + 9 * 3600 * 1000);  // the region's months are Japan time
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
const fiscalOf = (ym) => { const [y, m] = ym.split('-').map(Number); return m >= 4 ? y : y - 1; };

/** The period the page's address asks for: {fy} or {from, to}, else the last 12 months. */
export function periodOf(params) {
  const fy = Number.parseInt(params.get('fy') || '', 10);
  if (Number.isInteger(fy) && fy >= 1990 && fy <= 2199) return { fy };
  const from = params.get('from'), to = params.get('to');
  if (MONTH.test(from || '') && MONTH.test(to || '') && from <= to) return { from, to };
  return {};
}

function query(period) {
  if (period.fy) return `fiscalYear=${period.fy}`;
  if (period.from) return `from=${period.from}&to=${period.to}`;
  return 'months=12';
}

export function yearMonth(ym) {
  const [y, mo] = ym.split('-').map(Number);
  return new Date(y, mo - 1, 1).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB', { year: 'numeric', month: 'short' });
}

const hours = (byCategory) => Object.values(byCategory || {}).reduce((a, b) => a + b, 0) / 60;
const tile = (v, l, key) => h('div', { class: 'tile', 'data-kpi': key }, h('div', { class: 'v' }, v), h('div', { class: 'l' }, l));

function periodPicker(period, app) {
  const now = fiscalOf(thisMonth());
  const select = h('select', { 'aria-label': t('kpi.period'), 'data-testid': 'kpi-period' },
    h('option', { value: '' }, t('kpi.last12')),
    [0, 1, 2, 3, 4].map((i) => h('option', { value: `fy${now - i}`, selected: period.fy === now - i }, t('kpi.fiscalYear', { y: now - i }))),
    h('option', { value: 'range', selected: !!period.from }, t('kpi.range')));
  const to = thisMonth();
  const fromIn = h('input', { type: 'month', name: 'from', value: period.from || `${Number(to.slice(0, 4)) - 1}-${to.slice(5)}`, 'aria-label': t('kpi.from'), required: true });
  const toIn = h('input', { type: 'month', name: 'to', value: period.to || to, 'aria-label': t('kpi.to'), required: true });
  const show = h('button', { type: 'submit', class: 'secondary' }, t('kpi.show'));
  const range = h('span', { class: 'kpi-range', hidden: !period.from }, fromIn, ' 〜 ', toIn, ' ', show);
  select.addEventListener('change', () => {
    if (select.value === 'range') { range.hidden = false; fromIn.focus(); return; }
    app.go(select.value ? `admin?tab=kpi&fy=${select.value.slice(2)}` : 'admin?tab=kpi');
  });
  const form = h('form', { class: 'kpi-controls no-print', 'data-form': 'kpi-period', novalidate: true },
    h('label', { class: 'kpi-period' }, h('span', t('kpi.period')), ' ', select), ' ', range);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const [a, b] = [fromIn.value, toIn.value].sort();
    if (MONTH.test(a) && MONTH.test(b)) app.go(`admin?tab=kpi&from=${a}&to=${b}`);
  });
  return form;
}

function periodName(data, period) {
  if (period.fy) return `${t('kpi.fiscalYear', { y: period.fy })}（${yearMonth(data.from)} 〜 ${yearMonth(data.to)}）`;
  return `${yearMonth(data.from)} 〜 ${yearMonth(data.to)}`;
}

const COLUMNS = ['activeContributors', 'continuing', 'new', 'returning', 'residents', 'fromElsewhere', 'residenceUnknown', 'claims'];
// On a phone the table keeps these (app.css hides the others; CSV and print have all)
const PHONE = new Set(['activeContributors', 'continuing']);
const col = (k) => (PHONE.has(k) ? 'num' : 'num opt');

function table(data, period) {
  const row = (label, m, cls) => h('tr', { class: cls || '' }, h('th', label),
    COLUMNS.map((k) => h('td', { class: col(k) }, fmtNum(m[k]))),
    h('td', { class: 'num' }, fmtNum(hours(m.minutesByCategory), 1)));
  const total = period.fy ? t('kpi.totalFiscal', { y: period.fy }) : t('kpi.totalPeriod');
  return h('div', { class: 'table-wrap' }, h('p', { class: 'muted small phone-only-note' }, t('kpi.moreColumns')), h('table', { class: 'kpi-table', 'data-testid': 'kpi-table' },
    h('thead', h('tr', h('th', t('kpi.month')), COLUMNS.map((k) => h('th', { class: col(k) }, t('kpi.col.' + k))),
      h('th', { class: 'num' }, t('kpi.col.hours')))),
    h('tbody', data.months.map((m) => row(yearMonth(m.month), m))),
    h('tfoot', row(total, data.period, 'total'))));
}

function definitions() {
  const items = ['activeContributors', 'continuing', 'new', 'returning', 'residence', 'claims', 'hours', 'members'];
  return card(h('h3', t('kpi.defsTitle')), h('dl', { class: 'kpi-defs', 'data-testid': 'kpi-defs' },
    items.flatMap((k) => [h('dt', t('kpi.def.' + k + '.term')), h('dd', { 'data-def': k }, t('kpi.def.' + k))])));
}

/** Cross-region KPIs (issue 16): people active in both partner regions, and new
 *  people who came through a partner, month by month and over the period. */
function partnersCard(partners, months, period) {
  const keys = ['activeInBoth', 'newThroughPartner'];
  const total = period.fy ? t('kpi.totalFiscal', { y: period.fy }) : t('kpi.totalPeriod');
  return card(h('h3', t('kpi.partners')), h('p', { class: 'muted' }, t('kpi.partnersIntro', { n: fmtNum(partners.linkedMembers) })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'kpi-table', 'data-testid': 'kpi-partners' },
      h('thead', h('tr', h('th', t('kpi.month')), keys.map((k) => h('th', { class: 'num' }, t('kpi.col.' + k))))),
      h('tbody', months.map((m) => h('tr', h('th', yearMonth(m.month)), keys.map((k) => h('td', { class: 'num' }, fmtNum(m[k])))))),
      h('tfoot', h('tr', { class: 'total' }, h('th', total), keys.map((k) => h('td', { class: 'num' }, fmtNum(partners.period[k]))))))),
    h('dl', { class: 'kpi-defs' }, keys.flatMap((k) => [h('dt', t('kpi.def.' + k + '.term')), h('dd', { 'data-def': k }, t('kpi.def.' + k))])));
}

export async function kpi(root, app, params = new URLSearchParams()) {
  const period = periodOf(params);
  const q = query(period);
  const data = await get(`${R(state.region)}/kpis?${q}`);
  const whole = !!(period.fy || period.from);
  // The last 12 months: from the first month with any activity (at least six months).
  let months = data.months;
  if (!whole) {
    const first = months.findIndex((m) => m.activeContributors || m.claims);
    months = months.slice(first < 0 ? -6 : Math.min(first, months.length - 6));
  }
  const shown = { ...data, months };
  const labels = months.map((m) => m.month);
  const last = months[months.length - 1] || {};
  const cats = new Map();
  for (const m of months) for (const [c, v] of Object.entries(m.minutesByCategory)) cats.set(c, (cats.get(c) || 0) + v);
  const wide = root.clientWidth >= 760;
  const size = { width: fitWidth(root, wide ? 0.5 : 1), height: 230 };
  const csv = `${R(state.region)}/kpis.csv?${q}&lang=${lang()}`;
  const tiles = whole
    ? [tile(fmtNum(data.period.activeContributors), t('kpi.tile.activePeriod'), 'active'),
      tile(fmtNum(data.period.continuing), t('kpi.tile.continuingPeriod'), 'continuing'),
      tile(fmtNum(hours(data.period.minutesByCategory), 1), t('kpi.tile.hoursPeriod'), 'hours')]
    : [tile(fmtNum(last.activeContributors), `${t('kpi.active')} (${t('kpi.thisMonth')})`, 'active'),
      tile(fmtNum(last.continuing), t('kpi.continuing'), 'continuing'),
      tile(fmtNum(hours(last.minutesByCategory), 1), `${t('kpi.hours')} (${t('kpi.thisMonth')})`, 'hours')];
  root.append(
    h('div', { class: 'kpi-head' },
      h('div', h('h2', t('kpi.title')),
        h('p', { class: 'kpi-subtitle', 'data-testid': 'kpi-subtitle' }, `${state.info ? state.info.name : ''} · ${periodName(data, period)}`),
        h('p', { class: 'muted' }, t('kpi.intro'), ' ', h('span', { class: 'print-only' }, t('kpi.printedOn', { date: fmtDate(Math.floor(Date.now() / 1000)) })))),
      h('div', { class: 'kpi-actions no-print' },
        h('a', { class: 'button secondary', href: csv, download: '', 'data-testid': 'kpi-csv' }, t('kpi.csv')),
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'kpi-print', onclick: () => window.print() }, t('kpi.print')))),
    periodPicker(period, app),
    h('div', { class: 'kpi-tiles', 'data-testid': 'kpi-tiles' }, ...tiles, tile(fmtNum(state.names.size), t('kpi.members'), 'members')),
    h('div', { class: 'grid two' },
      card(h('h3', t('kpi.active')), barChart(labels, [
        { name: t('kpi.active'), values: months.map((m) => m.activeContributors) },
        { name: t('kpi.continuing'), values: months.map((m) => m.continuing) }], { label: t('kpi.active'), ...size }),
      legend([t('kpi.active'), t('kpi.continuing')])),
      card(h('h3', t('kpi.newReturning')), barChart(labels, [
        { name: t('kpi.new'), values: months.map((m) => m.new) },
        { name: t('kpi.returning'), values: months.map((m) => m.returning) }], { label: t('kpi.newReturning'), stacked: true, ...size, colors: [color(1), color(0)] }),
      legend([t('kpi.new'), t('kpi.returning')], [color(1), color(0)])),
      card(h('h3', t('kpi.residence')), barChart(labels, [
        { name: t('kpi.residents'), values: months.map((m) => m.residents) },
        { name: t('kpi.elsewhere'), values: months.map((m) => m.fromElsewhere) },
        { name: t('kpi.unknown'), values: months.map((m) => m.residenceUnknown) }], { label: t('kpi.residence'), stacked: true, ...size, colors: [color(3), color(2), '#c9c2b2'] }),
      legend([t('kpi.residents'), t('kpi.elsewhere'), t('kpi.unknown')], [color(3), color(2), '#c9c2b2'])),
      card(h('h3', t('kpi.minutes')), cats.size
        ? hBars([...cats.entries()].sort((a, b) => b[1] - a[1]).map(([c, v]) => ({ name: category(c), value: v / 60 })), { label: t('kpi.minutes'), unit: t('kpi.hoursUnit') })
        : h('p', { class: 'muted' }, '—'))),
    card(h('h3', t('kpi.table')), table(whole ? data : shown, whole ? period : { last12: true })),
    definitions());
  const partners = data.partners;
  if (partners && partners.partnerRegions) root.append(partnersCard(partners, whole ? partners.months : partners.months.slice(-months.length), period));
  const decisions = data.decisions || [];
  if (decisions.length) {
    root.append(card(h('h3', t('decide.health')), h('div', { class: 'table-wrap' }, h('table', { class: 'kpi-table', 'data-testid': 'decision-health' },
      h('thead', h('tr', h('th', t('decide.f.title')), ['turnout', 'top10', 'nakamoto', 'changed'].map((k) => h('th', { class: 'num' }, t('decide.' + k))))),
      h('tbody', [...decisions].reverse().map((d) => h('tr',
        h('th', h('a', { href: `#/decide?id=${d.proposal}` }, d.title)),
        h('td', { class: 'num' }, `${d.turnoutPercent}%`), h('td', { class: 'num' }, `${d.top10Percent}%`),
        h('td', { class: 'num' }, String(d.nakamoto)), h('td', { class: 'num' }, String(d.changedLast24h)))))))));
  }
}
