// The single-page app: header, navigation, hash routes, and the views.
import { t, lang, setLang, setPlain } from './i18n.js';
import { wallet } from './signer.js';
import { ApiError, onSignedOut, post } from './api.js';
import { h, clear, card, showError, errorBox, busyMark } from './ui.js';
import { icon } from './icons.js';
import {
  state, loadSession, saveSession, loadRegions, loadRegion, loadMe, loadNames, chooseRegion, hasRole,
  loadUnread, textSize, setTextSize,
} from './state.js';
import { viewHome } from './views/home.js';
import { viewSignIn, viewRecover } from './views/signin.js';
import { viewClaim } from './views/claim.js';
import { viewMine } from './views/mine.js';
import { viewEndorse } from './views/endorse.js';
import { viewQuests, viewQuest, viewQuestForm, viewCheckIn } from './views/quests.js';
import { viewPerks } from './views/perks.js';
import { viewPoints } from './views/points.js';
import { viewReview, verifierOffer } from './views/review.js';
import { viewAdmin } from './views/admin.js';
import { viewAudit } from './views/audit.js';
import { viewConnections } from './views/connections.js';
import { viewDecide } from './views/decide.js';
import { viewNotices } from './views/notices.js';
import { viewMenu } from './views/menu.js';
import { viewCertificate } from './views/certificate.js';
import { viewCheck } from './views/check.js';

// `main`: one of the few places on a phone's bottom bar (the others are in the menu);
// `seen`: roles that see the place in the navigation (the page itself stays open).
const ROUTES = {
  '': { view: viewHome, nav: 'home', icon: '⌂', main: true },
  claim: { view: viewClaim, nav: 'claim', icon: '＋', member: true, main: true },
  mine: { view: viewMine, nav: 'mine', icon: '☰', member: true, main: true },
  notices: { view: viewNotices, nav: 'notices', member: true, main: true },
  endorse: { view: viewEndorse, nav: 'endorse', icon: '♡', member: true },
  quests: { view: viewQuests, nav: 'quests', icon: '★' },
  quest: { view: viewQuest, nav: null },
  'quest-new': { view: viewQuestForm, nav: null },
  checkin: { view: viewCheckIn, nav: null },
  perks: { view: viewPerks, nav: null },
  points: { view: viewPoints, nav: 'points', icon: '◎', member: true },
  connections: { view: viewConnections, nav: 'connections', icon: '⋈' },
  decide: { view: viewDecide, nav: 'decide', icon: '☑' },
  review: { view: viewReview, nav: 'review', icon: '✓', role: 'verifier' },
  admin: { view: viewAdmin, nav: 'admin', icon: '⚙', role: 'admin' },
  audit: { view: viewAudit, nav: 'audit', icon: '⛨', seen: ['auditor', 'admin'] },
  menu: { view: viewMenu, nav: 'menu', main: true, phone: true },
  certificate: { view: viewCertificate, nav: null, member: true },
  check: { view: viewCheck, nav: null },
  signin: { view: viewSignIn, nav: null },
  recover: { view: viewRecover, nav: null },
};

/** The places this person can go, in navigation order. */
function places() {
  return Object.entries(ROUTES).filter(([, r]) => r.nav
    && !(r.member && !state.me)
    // an admin sees the review page too: it offers her the verifier role
    && !(r.role && !hasRole(r.role) && !(r.role === 'verifier' && hasRole('admin')))
    && !(r.seen && !r.seen.some(hasRole)))
    .map(([path, r]) => ({ path, ...r }));
}

export function go(path) {
  const target = '#/' + path;
  if (location.hash === target) refresh(); else location.hash = target;
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  return { path: path.replace(/\/$/, ''), params: new URLSearchParams(query) };
}

function renderHeader() {
  const top = clear(document.getElementById('top'));
  const regionName = state.info ? state.info.name : '';
  const who = state.session ? (state.me ? state.me.displayName : `${state.session.address.slice(0, 6)}…`) : null;
  const regionPicker = state.regions.length > 1
    ? h('select', { class: 'region-select', 'aria-label': t('region'), onchange: async (e) => { chooseRegion(e.target.value); await refresh(); } },
      state.regions.map((r) => h('option', { value: r.region, selected: r.region === state.region }, r.name)))
    : h('span', { class: 'region-name' }, regionName);
  top.append(
    h('a', { class: 'brand', href: '#/' },
      h('img', { src: '/static/icon.svg', alt: '', width: 32, height: 32 }),
      h('span', { class: 'brand-text' }, h('strong', t('appName')), h('small', lang() === 'ja' ? 'Kakawari' : '関わり'))),
    h('div', { class: 'top-region' }, regionPicker),
    h('div', { class: 'top-actions' },
      h('button', { class: 'lang', type: 'button', 'aria-label': t('switchLangLabel'), onclick: () => { setLang(lang() === 'ja' ? 'en' : 'ja'); render(); } }, t('switchLang')),
      who
        ? h('span', { class: 'who' }, h('span', { class: 'who-name' }, who),
          h('button', { type: 'button', class: 'link', onclick: signOut }, t('signOut')))
        : h('a', { class: 'button small', href: '#/signin' }, t('signIn'))));
}

/** Places whose label is too long for a fifth of a phone's width. */
const BAR = { claim: true, mine: true };

let currentPath = '';
function renderNav(current = currentPath) {
  currentPath = current;
  const nav = clear(document.getElementById('nav'));
  const ul = h('ul');
  for (const r of places()) {
    const active = current === r.path;
    const count = r.nav === 'notices' && state.unread ? state.unread : 0;
    const kind = [r.main ? 'main' : 'more', r.phone ? 'phone-only' : '', active ? 'active' : ''].filter(Boolean).join(' ');
    ul.append(h('li', { class: kind },
      h('a', { href: '#/' + r.path, 'aria-current': active ? 'page' : null, class: active ? 'active' : '', 'data-place': r.path || 'home' },
        h('span', { class: 'nav-icon', 'aria-hidden': 'true' }, icon(r.nav),
          count ? h('span', { class: 'badge', 'data-testid': 'unread' }, String(count)) : ''),
        // on a phone's bottom bar a short label, one line within a fifth of the screen
        // (the full one wrapped onto two in Japanese at 390 px)
        r.main && BAR[r.nav]
          ? h('span', { class: 'nav-label' }, h('span', { class: 'label-long' }, t('nav.' + r.nav)),
            h('span', { class: 'label-short' }, t('bar.' + r.nav)))
          : h('span', { class: 'nav-label' }, t('nav.' + r.nav)),
        count ? h('span', { class: 'visually-hidden' }, ` (${t('unread', { n: count })})`) : '')));
  }
  nav.append(ul);
}

function signOut() {
  // revoke the token on the server too (a copy of it is then worthless); signed out here
  // whatever the answer
  post('/v1/auth/signout', {}).catch(() => {});
  saveSession(null);
  state.me = null;
  go('');
}

let rendering = 0;
let navigated = false;
export async function render() {
  busyMark(1);
  try { await renderNow(); } finally { busyMark(-1); }
}

async function renderNow() {
  const { path, params } = parseHash();
  // The address this render is for: a view marks itself rendered for it, so a reader
  // (or a test) can tell the page now shown from the one left behind a moment ago.
  const address = location.hash;
  const route = ROUTES[path];
  document.documentElement.lang = lang();
  // plain words for a member the service signs for, or for anyone without a wallet
  setPlain(state.session ? Boolean(state.session.managed) : !wallet());
  document.querySelector('.skip').textContent = t('skip');
  document.getElementById('nav').setAttribute('aria-label', t('mainNav'));
  renderHeader();
  renderNav(path);
  const main = clear(document.getElementById('main'));
  const ticket = ++rendering;
  if (!route) { main.append(card(h('h1', t('err.notFoundPage')), h('a', { href: '#/' }, t('nav.home')))); return; }
  document.title = `${route.nav ? t('nav.' + route.nav) + ' · ' : ''}${t('appName')} Kakawari`;
  if (!state.region) { main.append(card(h('h1', t('chooseRegion')), h('p', t('noRegions')))); return; }
  if ((route.member || route.role) && !state.session) {
    main.append(card(h('h1', t('nav.' + route.nav)), h('p', t('signin.needed')), h('a', { class: 'button', href: '#/signin' }, t('signIn'))));
    return;
  }
  if (route.role === 'verifier' && !hasRole('verifier') && hasRole('admin')) {
    const view = h('div', { class: 'view', 'data-view': path, 'data-address': address });
    main.append(view);
    verifierOffer(view, { go, refresh, render });
    view.dataset.rendered = 'true';
    return;
  }
  if (route.role && !hasRole(route.role)) {
    main.append(card(h('h1', t('nav.' + route.nav)), h('p', route.role === 'verifier' ? t('review.notVerifier') : t('admin.notAdmin'))));
    return;
  }
  if (route.member && !state.me) { go(''); return; }
  const view = h('div', { class: 'view', 'data-view': path || 'home', 'data-address': address });
  main.append(view);
  try {
    await route.view(view, params, { go, refresh, render, places, renderNav: () => renderNav() });
    if (ticket === rendering) view.dataset.rendered = 'true';
  } catch (e) {
    if (ticket !== rendering) return;
    console.warn(e);
    const box = errorBox();
    view.append(box);
    const [title, detail] = e instanceof ApiError ? e.words() : [t('err.generic'), String(e)];
    showError(box, title, detail);
    view.dataset.rendered = 'error';
  }
  // After a navigation, focus the new page's content (as a page load would put the
  // reader at its start); on the first load, leave focus where the browser put it.
  if (ticket === rendering && navigated && document.activeElement === document.body) main.focus({ preventScroll: true });
}

/** Reload the region, the member and the names, then render. */
export async function refresh() {
  busyMark(1);
  try {
    await loadRegion();
    await loadNames();
    await loadMe();
    await loadUnread();
    await render();
  } finally { busyMark(-1); }
}

async function start() {
  setLang(lang());
  setTextSize(textSize());
  // The skip link moves focus; it must not change the route (#main is not a page).
  document.querySelector('.skip').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  loadSession();
  onSignedOut(() => { saveSession(null); state.me = null; render(); });
  try {
    await loadRegions();
    if (state.region) { await loadRegion(); await loadNames(); await loadMe(); await loadUnread(); }
  } catch (e) {
    console.warn(e);
  }
  // Every navigation reloads the region, the names and the member (roles may have been
  // granted, people may have joined meanwhile).
  window.addEventListener('hashchange', () => { navigated = true; }, { capture: true });
  window.addEventListener('hashchange', () => refresh().catch((e) => { console.warn(e); render(); }));
  await render();
  document.body.dataset.ready = 'true';
}

start();
