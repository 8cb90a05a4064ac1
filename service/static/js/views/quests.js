// Quests people can join (issue 14): the list and calendar with search and filters, a
// quest's page (sign-up, share link and QR, organiser's check-in and attendance), the
// form to post or propose one (or for an admin to edit one), and the check-in page a
// participant's phone opens from the organiser's QR code.
import { t, category, lang } from '../i18n.js';
import { get, R, enc } from '../api.js';
import { h, card, chip, field, fmtDate, fmtDateTime, emptyState, errorBox, showError, busy, toast, clearErrors, setFieldError } from '../ui.js';
import { state, hasRole, nameOf, policy, chooseRegion } from '../state.js';
import { act } from '../signer.js';

const ZERO32 = '0x' + '00'.repeat(32);
const ZERO_ADDRESS = '0x' + '00'.repeat(20);
const DAY = 86400;

function errorTo(box, form) {
  return (e) => {
    const [title, detail] = e.words ? e.words() : [t('err.generic'), String(e)];
    if (form && e.field) setFieldError(form, e.field, detail);
    showError(box, title, detail);
  };
}

async function run(button, box, form, fn) {
  clearErrors(form || box.parentElement);
  box.hidden = true;
  try { await busy(button, fn); } catch (e) { if (e.code !== 'sign-cancelled' && e.code !== 'record-cancelled') errorTo(box, form)(e); }
}

const locale = () => (lang() === 'ja' ? 'ja-JP' : 'en-GB');

/** "12月5日(土) 9:00–12:00" for an event on one day, a date range for a period. */
export function when(q) {
  const a = new Date(q.opensAt * 1000), b = new Date(q.closesAt * 1000);
  const sameDay = a.toDateString() === b.toDateString();
  if (sameDay) {
    const time = (d) => d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
    return `${fmtDate(q.opensAt)} ${time(a)}–${time(b)}`;
  }
  return `${fmtDate(q.opensAt)} – ${fmtDate(q.closesAt)}`;
}

function seats(q) {
  if (q.full) return chip(t('q.full'), 'bad');
  if (!q.capacity) return chip(t('q.signups', { n: q.signups }));
  return chip(t('q.seatsLeft', { n: q.capacity - q.signups, cap: q.capacity }));
}

function where(q) {
  return q.online ? t('q.online') : (q.place || t('q.placeTbd'));
}

function questCard(q) {
  return card(
    h('p', chip(category(q.category)), ' ', q.points ? chip(t('quests.bonus', { n: q.points }), 'level') : '', ' ', seats(q)),
    h('h2', h('a', { href: `#/quest?id=${q.id}`, 'data-quest': q.id }, q.title)),
    h('p', { class: 'meta' }, when(q), ' · ', where(q)),
    q.tags.length ? h('p', q.tags.map((x) => [h('a', { class: 'chip', href: `#/quests?tag=${enc(x)}` }, '#' + x), ' '])) : '');
}

function dateInput(ts) {
  if (!ts) return '';
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function fromDate(text, endOfDay = false) {
  if (!text) return null;
  const d = new Date(text + (endOfDay ? 'T23:59:59' : 'T00:00:00'));
  return Number.isNaN(d.getTime()) ? null : Math.floor(d.getTime() / 1000);
}

function calendar(items, monthText) {
  const base = monthText ? new Date(monthText + '-01T00:00:00') : new Date();
  const year = base.getFullYear(), month = base.getMonth();
  const first = new Date(year, month, 1), days = new Date(year, month + 1, 0).getDate();
  const label = first.toLocaleDateString(locale(), { year: 'numeric', month: 'long' });
  const shift = (n) => { const d = new Date(year, month + n, 1); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`; };
  const byDay = new Map();
  for (const q of items) {
    for (let d = 1; d <= days; d++) {
      const start = new Date(year, month, d).getTime() / 1000;
      if (q.opensAt < start + DAY && q.closesAt >= start) {
        if (!byDay.has(d)) byDay.set(d, []);
        byDay.get(d).push(q);
      }
    }
  }
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const link = (m) => { params.set('month', m); params.set('show', 'calendar'); return '#/quests?' + params; };
  const cells = [];
  for (let i = 0; i < first.getDay(); i++) cells.push(h('span', { class: 'cal-day blank' }));
  for (let d = 1; d <= days; d++) {
    const has = byDay.get(d);
    cells.push(h(has ? 'a' : 'span', { class: 'cal-day' + (has ? ' has' : ''), href: has ? `#cal-${d}` : null, 'data-day': d }, String(d)));
  }
  const agenda = [...byDay.entries()].map(([d, qs]) => h('li', { id: `cal-${d}` },
    h('strong', new Date(year, month, d).toLocaleDateString(locale(), { month: 'short', day: 'numeric', weekday: 'short' })),
    h('ul', { class: 'feed' }, qs.map((q) => h('li', h('a', { href: `#/quest?id=${q.id}` }, q.title), h('span', { class: 'muted small' }, ' · ', where(q)))))));
  return h('section', { class: 'card cal-card' },
    h('div', { class: 'cal-head' }, h('a', { class: 'button secondary small', href: link(shift(-1)) }, '‹'), h('h2', label), h('a', { class: 'button secondary small', href: link(shift(1)) }, '›')),
    h('div', { class: 'cal-grid', 'aria-hidden': 'true' }, ['日', '月', '火', '水', '木', '金', '土'].map((x, i) => h('span', { class: 'cal-dow' }, t('q.dow' + i) || x)), cells),
    agenda.length ? h('ul', { class: 'cal-agenda' }, agenda) : h('p', { class: 'muted' }, t('q.noneThisMonth')));
}

export async function viewQuests(root, params, app) {
  const query = new URLSearchParams({ limit: '200' });
  const show = params.get('show') || 'list';
  const status = params.get('status') || 'open';
  query.set('status', status);
  for (const k of ['q', 'tag', 'place']) if (params.get(k)) query.set(k, params.get(k));
  const from = fromDate(params.get('from')), until = fromDate(params.get('until'), true);
  if (from != null) query.set('from', String(from));
  else if (status === 'open' && show === 'list') query.set('from', String(Math.floor(Date.now() / 1000)));
  if (until != null) query.set('until', String(until));
  const list = await get(`${R(state.region)}/quests?${query}`);
  const items = [...list.items].sort((a, b) => a.opensAt - b.opensAt);

  const text = h('input', { type: 'search', value: params.get('q') || '', placeholder: t('q.searchHint'), enterkeyhint: 'search' });
  const place = h('input', { type: 'text', value: params.get('place') || '' });
  const fromIn = h('input', { type: 'date', value: params.get('from') || '' });
  const untilIn = h('input', { type: 'date', value: params.get('until') || '' });
  const tag = h('input', { type: 'text', value: params.get('tag') || '' });
  const form = h('form', { class: 'stack filters', role: 'search', 'data-form': 'quest-filter', onsubmit: (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (text.value.trim()) next.set('q', text.value.trim());
    if (place.value.trim()) next.set('place', place.value.trim());
    if (tag.value.trim()) next.set('tag', tag.value.trim().replace(/^#/, ''));
    if (fromIn.value) next.set('from', fromIn.value);
    if (untilIn.value) next.set('until', untilIn.value);
    if (show !== 'list') next.set('show', show);
    app.go('quests?' + next);
  } },
  field(t('q.search'), text, { name: 'q' }),
  h('details', { class: 'more-filters', open: params.get('place') || params.get('tag') || params.get('from') || params.get('until') ? true : null },
    h('summary', t('q.moreFilters')),
    h('div', { class: 'row' }, field(t('q.from'), fromIn, { name: 'from' }), field(t('q.until'), untilIn, { name: 'until' })),
    h('div', { class: 'row' }, field(t('f.place'), place, { name: 'place' }), field(t('f.tags'), tag, { name: 'tag' }))),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('q.find'))));

  const tabs = new URLSearchParams(params);
  const tabLink = (v) => { tabs.set('show', v); return '#/quests?' + tabs; };
  root.append(
    h('h1', t('quests.title')), h('p', { class: 'lead' }, t('q.intro')),
    h('div', { class: 'actions start' },
      state.me ? h('a', { class: 'button primary', href: '#/quest-new' }, '＋ ', hasRole('admin') ? t('quests.new') : t('q.propose')) : '',
      h('a', { class: 'button secondary', href: '#/perks' }, t('nav.perks'))),
    card(form),
    h('div', { class: 'view-tabs', role: 'tablist' },
      h('a', { role: 'tab', href: tabLink('list'), class: show === 'list' ? 'active' : '', 'aria-selected': String(show === 'list') }, t('q.list')),
      h('a', { role: 'tab', href: tabLink('calendar'), class: show === 'calendar' ? 'active' : '', 'aria-selected': String(show === 'calendar') }, t('q.calendar'))));
  if (show === 'calendar') root.append(calendar(items, params.get('month')));
  else if (!items.length) root.append(emptyState(t('quests.empty')));
  else root.append(h('div', { class: 'grid two', 'data-list': 'quests' }, items.map(questCard)));

  if (hasRole('admin') || hasRole('verifier')) {
    const proposed = (await get(`${R(state.region)}/quests?status=proposed&limit=100`)).items;
    if (proposed.length) {
      root.append(card(h('h2', t('q.proposedTitle')), h('ul', { class: 'feed', 'data-list': 'proposed' }, proposed.map((q) => h('li',
        h('a', { href: `#/quest?id=${q.id}` }, q.title), h('span', { class: 'muted small' }, ' · ', nameOf(q.author), ' · ', when(q)))))));
    }
  }
}

// -- one quest ---------------------------------------------------------------------------

function isOrganiser(q) {
  const me = state.session && state.session.address;
  return !!me && (me === q.author || me === q.contact || hasRole('admin'));
}

function shareLink(q) {
  return `${location.origin}/#/quest?id=${q.id}&region=${enc(state.region)}`;
}

/** A link from a poster or QR code names its region: switch to it first. */
async function regionOf(params, app) {
  const wanted = params.get('region');
  if (wanted && wanted !== state.region && state.regions.some((r) => r.region === wanted)) {
    chooseRegion(wanted);
    await app.refresh();
    return false;
  }
  return true;
}

export async function viewQuest(root, params, app) {
  if (!(await regionOf(params, app))) return;
  const id = (params.get('id') || '').toLowerCase();
  const q = await get(`${R(state.region)}/quests/${id}`);
  const signups = await get(`${R(state.region)}/quests/${id}/signups`);
  const me = state.me && state.session.address;
  const mine = !!me && signups.items.some((s) => s.member === me);
  const box = errorBox();

  const statusChip = q.status === 'open' ? '' : chip(t('q.status.' + q.status), q.status === 'proposed' ? 'wait' : 'bad');
  root.append(
    h('p', h('a', { href: '#/quests' }, '‹ ', t('quests.title'))),
    h('h1', q.title),
    h('p', statusChip, ' ', chip(category(q.category)), ' ', q.points ? chip(t('quests.bonus', { n: q.points }), 'level') : '', ' ', seats(q)),
    card(
      h('dl', { class: 'facts' },
        h('dt', t('q.when')), h('dd', { 'data-fact': 'when' }, when(q)),
        h('dt', t('q.where')), h('dd', { 'data-fact': 'where' }, where(q), q.geo ? [' ', h('a', { href: `https://www.openstreetmap.org/?mlat=${q.geo.split(',')[0]}&mlon=${q.geo.split(',')[1]}#map=16/${q.geo.replace(',', '/')}`, rel: 'noopener', target: '_blank' }, t('q.map'))] : ''),
        h('dt', t('f.capacity')), h('dd', q.capacity ? t('q.capacityOf', { n: q.signups, cap: q.capacity }) : t('q.signups', { n: q.signups })),
        h('dt', t('f.contact')), h('dd', nameOf(q.contact || q.author)),
        q.tags.length ? [h('dt', t('f.tags')), h('dd', q.tags.map((x) => [h('a', { class: 'chip', href: `#/quests?tag=${enc(x)}` }, '#' + x), ' ']))] : ''),
      q.description ? h('p', { class: 'description' }, q.description) : '',
      q.status === 'declined' || q.status === 'closed' ? h('p', { class: 'notice' }, t('q.status.' + q.status), q.reason ? `: ${q.reason}` : '') : ''));

  // the organiser's check-in and attendance come first on their phone
  const organiserSlot = h('div', { 'data-slot': 'organiser' });
  root.append(organiserSlot);

  // sign up / cancel
  if (state.me && q.status === 'open') {
    const button = mine
      ? h('button', { type: 'button', class: 'secondary big', 'data-action': 'cancel-signup' }, t('q.cancelSignup'))
      : h('button', { type: 'button', class: 'primary big', 'data-action': 'signup', disabled: q.full ? true : null }, q.full ? t('q.full') : t('q.signup'));
    button.addEventListener('click', () => run(button, box, null, async () => {
      await act('SignUp', { quest: q.id, joined: !mine }, { questTitle: q.title });
      toast(mine ? t('q.cancelled') : t('q.signedUp'));
      await app.refresh();
    }));
    root.append(card(h('h2', mine ? t('q.youAreIn') : t('q.join')), h('div', { class: 'actions start' }, button,
      mine ? h('a', { class: 'button secondary big', href: `#/claim?quest=${q.id}` }, t('quests.answer')) : ''), box));
  } else if (!state.me && q.status === 'open') {
    root.append(card(h('p', t('q.signInToJoin')), h('a', { class: 'button primary', href: '#/signin' }, t('signIn'))));
  }

  // share (once it is open)
  const link = shareLink(q);
  if (q.status === 'open') root.append(card(h('h2', t('q.share')),
    h('p', { class: 'share-link' }, h('input', { type: 'text', readonly: true, value: link, 'data-share': 'link', 'aria-label': t('q.share'), onfocus: (e) => e.target.select() })),
    h('div', { class: 'actions start' }, h('button', { type: 'button', class: 'secondary', onclick: async () => { try { await navigator.clipboard.writeText(link); toast(t('q.copied')); } catch { /* no clipboard */ } } }, t('q.copy'))),
    h('img', { class: 'quest-qr', src: `${R(state.region)}/quests/${q.id}/qr.svg`, alt: t('q.qrAlt'), width: 220, height: 220 })));

  // who signed up (the log is public; the organiser works from this list)
  root.append(card(h('h2', t('q.signupList', { n: signups.items.length })),
    signups.items.length ? h('ul', { class: 'feed', 'data-list': 'signups' }, signups.items.map((s) => h('li', { 'data-member': s.member },
      s.displayName, s.recorded ? [' ', chip(t('q.recorded'), 'ok')] : ''))) : h('p', { class: 'muted' }, t('q.noSignups'))));

  if (state.me) await organiserTools(root, q, app, organiserSlot);
}

async function decide(root, q, app) {
  const reason = h('textarea', { rows: 2 });
  const box = errorBox();
  const form = h('form', { class: 'stack', 'data-form': 'decision', onsubmit: (e) => e.preventDefault() });
  const publish = h('button', { type: 'button', class: 'primary', 'data-action': 'publish' }, t('q.publish'));
  const decline = h('button', { type: 'button', class: 'secondary', 'data-action': 'decline' }, t('q.decline'));
  publish.addEventListener('click', () => run(publish, box, form, async () => {
    await act('QuestDecision', { quest: q.id, publish: true, reason: reason.value.trim() }, { questTitle: q.title });
    toast(t('q.published')); await app.refresh();
  }));
  decline.addEventListener('click', () => run(decline, box, form, async () => {
    await act('QuestDecision', { quest: q.id, publish: false, reason: reason.value.trim() }, { questTitle: q.title });
    toast(t('q.declined')); await app.refresh();
  }));
  form.append(field(t('q.reasonForDecline'), reason, { name: 'reason' }), h('div', { class: 'actions' }, decline, publish), box);
  root.append(card(h('h2', t('q.decideTitle')), h('p', { class: 'muted' }, t('q.decideIntro', { name: nameOf(q.author) })), form));
}

async function organiserTools(root, q, app, slot) {
  const me = state.session.address;
  if (q.status === 'proposed' && (hasRole('admin') || hasRole('verifier')) && q.author !== me) await decide(root, q, app);
  if (hasRole('admin') && (q.status === 'open' || q.status === 'proposed')) {
    const reason = h('input', { type: 'text' });
    const box = errorBox();
    const close = h('button', { type: 'button', class: 'secondary', 'data-action': 'close-quest' }, t('q.close'));
    close.addEventListener('click', () => run(close, box, null, async () => {
      await act('QuestClosure', { quest: q.id, reason: reason.value.trim() }, { questTitle: q.title });
      toast(t('q.closed')); await app.refresh();
    }));
    root.append(card(h('h2', t('q.adminTitle')),
      h('div', { class: 'actions start' }, h('a', { class: 'button secondary', href: `#/quest-new?edit=${q.id}`, 'data-action': 'edit-quest' }, t('q.edit'))),
      field(t('q.closeReason'), reason, { name: 'reason' }), h('div', { class: 'actions' }, close), box));
  }
  if (q.status === 'open' && isOrganiser(q)) await checkInPanel(slot, q, app);
}

// -- the organiser's check-in and attendance ------------------------------------------------

async function checkInPanel(root, q, app) {
  const now = Math.floor(Date.now() / 1000);
  const w = q.checkIn;
  const open = w && w.opensAt <= now && now <= w.closesAt;
  const box = errorBox();
  const panel = card(h('h2', t('q.checkinTitle')));
  root.append(panel);
  if (!open) {
    const hours = h('select', [1, 2, 3, 6, 12].map((n) => h('option', { value: n, selected: n === 3 ? true : null }, t('q.hours', { n }))));
    const start = h('button', { type: 'button', class: 'primary big', 'data-action': 'open-checkin' }, t('q.openCheckin'));
    start.addEventListener('click', () => run(start, box, null, async () => {
      const from = Math.floor(Date.now() / 1000);
      await act('CheckInWindow', { quest: q.id, opensAt: from, closesAt: from + Number(hours.value) * 3600 }, { questTitle: q.title });
      await app.refresh();
    }));
    panel.append(h('p', { class: 'muted' }, t('q.checkinIntro')), field(t('q.checkinFor'), hours, { name: 'hours' }), h('div', { class: 'actions start' }, start), box);
  } else {
    const img = h('img', { class: 'checkin-qr', alt: t('q.checkinQrAlt'), width: 280, height: 280 });
    const code = h('p', { class: 'checkin-code', 'aria-live': 'polite' });
    const until = h('p', { class: 'muted small' }, t('q.checkinUntil', { time: fmtDateTime(w.closesAt) }));
    panel.append(h('p', t('q.checkinShow')), img, code, until, box);
    let timer = null;
    const tick = async () => {
      if (!panel.isConnected) { clearInterval(timer); return; }
      try {
        const c = await get(`${R(state.region)}/quests/${q.id}/checkin-code`);
        img.src = c.qr;
        img.dataset.url = c.url;
        code.textContent = t('q.checkinCode', { code: c.code });
        panel.dataset.checkinUrl = c.url;
      } catch (e) { clearInterval(timer); errorTo(box)(e); }
    };
    await tick();
    timer = setInterval(tick, 5000);
  }
  if (hasRole('verifier')) await attendance(root, q, app);
}

async function attendance(root, q, app) {
  const me = state.session.address;
  const pending = (await get(`${R(state.region)}/claims?quest=${q.id}&status=pending&limit=200`)).items;
  const others = pending.filter((c) => c.contributor !== me);
  const box = errorBox();
  const panel = card(h('h2', t('q.attendanceTitle', { n: others.length })));
  root.append(panel);
  if (!others.length) { panel.append(h('p', { class: 'muted' }, t('q.noAttendance'))); return; }
  const checks = others.map((c) => h('input', { type: 'checkbox', checked: true, value: c.id }));
  const confirm = h('button', { type: 'button', class: 'primary big', 'data-action': 'confirm-attendance' }, t('q.confirmAll'));
  confirm.addEventListener('click', () => run(confirm, box, null, async () => {
    const chosen = others.filter((_, i) => checks[i].checked);
    for (const c of chosen) {
      await act('Review', { claim: c.id, approve: true, reason: t('q.attendanceReason') }, { claimTitle: c.title }, { confirmed: true });
    }
    toast(t('q.attendanceDone', { n: chosen.length })); await app.refresh();
  }));
  panel.append(h('p', { class: 'muted' }, t('q.attendanceIntro')),
    h('ul', { class: 'choices', 'data-list': 'attendance' }, others.map((c, i) => h('li', h('label', checks[i], nameOf(c.contributor), h('span', { class: 'muted small' }, ` · ${fmtDateTime(c.createdAt)}`))))),
    h('div', { class: 'actions' }, confirm), box);
}

// -- posting, proposing, editing -----------------------------------------------------------

function localInput(ts) {
  if (!ts) return '';
  const d = new Date(ts * 1000);
  return `${dateInput(ts)}T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export async function viewQuestForm(root, params, app) {
  if (!state.me) {
    root.append(card(h('h1', t('q.propose')), h('p', t('signin.needed')), h('a', { class: 'button', href: '#/signin' }, t('signIn'))));
    return;
  }
  const editing = params.get('edit');
  const q = editing ? await get(`${R(state.region)}/quests/${editing}`) : null;
  const admin = hasRole('admin');
  const cats = Object.keys((policy() || {}).categories || { other: 1 });
  const soon = Math.floor(Date.now() / 1000 / 3600 + 24) * 3600;
  const title = h('input', { type: 'text', maxlength: 200, required: true, value: q ? q.title : '' });
  const cat = h('select', cats.map((c) => h('option', { value: c, selected: q && q.category === c ? true : null }, category(c))));
  const description = h('textarea', { rows: 4, maxlength: 4000 }, q ? q.description : '');
  const place = h('input', { type: 'text', maxlength: 200, value: q ? q.place : '' });
  const geo = h('input', { type: 'text', maxlength: 40, inputmode: 'decimal', placeholder: '36.09,133.09', value: q && q.geo ? q.geo : '' });
  const online = h('input', { type: 'checkbox', checked: q && q.online ? true : null });
  const starts = h('input', { type: 'datetime-local', required: true, value: localInput(q ? q.opensAt : soon) });
  const ends = h('input', { type: 'datetime-local', required: true, value: localInput(q ? q.closesAt : soon + 3 * 3600) });
  const capacity = h('input', { type: 'number', min: 0, max: 100000, inputmode: 'numeric', value: q ? q.capacity : 0 });
  const tags = h('input', { type: 'text', maxlength: 200, placeholder: t('q.tagsHint'), value: q ? q.tags.join(', ') : '' });
  const points = h('input', { type: 'number', min: 0, max: 10000, inputmode: 'numeric', value: q ? q.points : 0 });
  const contactSelf = h('input', { type: 'checkbox', checked: !q || q.contact ? true : null });
  const box = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary big' }, editing ? t('q.saveEdit') : admin ? t('quests.new') : t('q.propose'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'quest-post' },
    field(t('quests.name'), title, { name: 'title' }),
    field(t('f.category'), cat, { name: 'category' }),
    field(t('f.description'), description, { name: 'description' }),
    h('div', { class: 'row' }, field(t('q.starts'), starts, { name: 'opensAt' }), field(t('q.ends'), ends, { name: 'closesAt', hint: t('q.endsHint') })),
    h('div', { class: 'inline' }, h('label', online, t('q.onlineLabel'))),
    field(t('f.place'), place, { name: 'place' }),
    field(t('f.geo'), geo, { name: 'geo', hint: t('q.geoHint') }),
    h('div', { class: 'row' }, field(t('f.capacity'), capacity, { name: 'capacity', hint: t('q.capacityHint') }), admin ? field(t('f.points'), points, { name: 'points' }) : ''),
    field(t('f.tags'), tags, { name: 'tags' }),
    h('div', { class: 'inline' }, h('label', contactSelf, t('q.contactMe'))),
    h('div', { class: 'actions' }, submit), box);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(submit, box, form, async () => {
      const opensAt = Math.floor(new Date(starts.value).getTime() / 1000);
      const closesAt = Math.floor(new Date(ends.value).getTime() / 1000);
      if (!title.value.trim()) { setFieldError(form, 'title', t('err.required')); throw Object.assign(new Error('title'), { code: 'sign-cancelled' }); }
      const fields = {
        title: title.value.trim(), category: cat.value, points: admin ? Number(points.value || 0) : (q ? q.points : 0),
        opensAt, closesAt, description: description.value.trim(), place: place.value.trim(), geo: geo.value.replace(/\s/g, ''),
        online: online.checked, capacity: Number(capacity.value || 0),
        contact: contactSelf.checked ? (q && q.contact ? q.contact : state.session.address) : ZERO_ADDRESS,
        tags: tags.value.split(/[,、]/).map((x) => x.trim().replace(/^#/, '')).filter(Boolean).join(','),
      };
      if (editing) {
        await act('QuestEdit', { quest: editing, ...fields }, { questTitle: q.title });
        toast(t('q.edited'));
        app.go(`quest?id=${editing}`);
      } else {
        const out = await act('QuestPost', { ...fields, detailsHash: ZERO32 });
        toast(admin ? t('quests.posted') : t('q.proposed'));
        app.go(`quest?id=${out.id}`);
      }
    });
  });
  root.append(h('h1', editing ? t('q.edit') : admin ? t('quests.new') : t('q.propose')),
    h('p', { class: 'lead' }, editing ? '' : admin ? t('q.postIntro') : t('q.proposeIntro')), card(form));
}

// -- the participant's check-in ---------------------------------------------------------------

export async function viewCheckIn(root, params, app) {
  if (!(await regionOf(params, app))) return;
  const id = (params.get('quest') || '').toLowerCase();
  const code = params.get('code') || '';
  const q = await get(`${R(state.region)}/quests/${id}`);
  root.append(h('h1', t('q.checkinHello')), h('p', { class: 'lead' }, q.title));
  if (!state.me) {
    root.append(card(h('p', t('q.checkinSignIn')), h('a', { class: 'button primary big', href: '#/signin' }, t('signIn'))));
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const minutes = Math.max(15, Math.min(q.closesAt - q.opensAt > DAY ? 120 : Math.round((q.closesAt - q.opensAt) / 60), 480));
  const me = state.session.address;
  const signups = (await get(`${R(state.region)}/quests/${id}/signups`)).items.filter((s) => s.member !== me);
  const others = signups.map((s) => h('input', { type: 'checkbox', value: s.member }));
  const hours = Math.floor(minutes / 60), mins = minutes % 60;
  const box = errorBox();
  const record = h('button', { type: 'button', class: 'primary big', 'data-action': 'record-checkin' }, t('q.recordNow'));
  const fields = () => ({
    category: q.category, title: q.title, minutes, occurredAt: now - 60, quest: q.id,
    coContributors: others.filter((x) => x.checked).map((x) => x.value), detailsHash: ZERO32,
  });
  record.addEventListener('click', () => run(record, box, null, async () => {
    await act('Claim', fields(), { questTitle: q.title }, { checkin: code, confirmed: true });
    root.replaceChildren(h('h1', t('q.checkedIn')), card(h('p', { class: 'big-number', 'data-done': 'checkin' }, '✓'),
      h('p', t('q.checkedInText', { title: q.title })), h('div', { class: 'actions start' }, h('a', { class: 'button primary', href: '#/mine' }, t('nav.mine')))));
  }));
  root.append(card(
    h('dl', { class: 'facts', 'data-prefilled': 'checkin' },
      h('dt', t('f.title')), h('dd', q.title),
      h('dt', t('f.occurredAt')), h('dd', fmtDate(now)),
      h('dt', t('f.minutes')), h('dd', hours ? t('q.hm', { h: hours, m: mins }) : t('q.m', { m: mins })),
      h('dt', t('f.category')), h('dd', category(q.category)),
      h('dt', t('q.where')), h('dd', where(q))),
    signups.length ? field(t('f.coContributors'), h('div', { class: 'people' }, signups.map((s, i) => h('label', { class: 'person' }, others[i], s.displayName))), { name: 'coContributors', hint: t('q.togetherHint') }) : '',
    h('p', { class: 'muted small' }, t('q.checkinNote')),
    h('div', { class: 'actions' }, record), box));
}
