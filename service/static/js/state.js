// Shared state: the region, the signed-in person, their membership, caches.
import { get, maybe, R, setToken, all } from './api.js';

const SESSION_KEY = 'kakawari.session';
const REGION_KEY = 'kakawari.region';
const ACCOUNT_KEY = 'kakawari.account';

export const state = {
  regions: [],
  region: null,        // id
  info: null,          // GET /v1/regions/{region}
  session: null,       // {token, address, managed, region, expiresAt}
  me: null,            // GET members/{address} or null when not a member
  names: new Map(),    // address → display name
  typed: null,         // GET /v1/typed-data?region=
};

const listeners = new Set();
export function onChange(fn) { listeners.add(fn); }
export function changed() { for (const fn of listeners) fn(); }

export function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    if (s && s.token && s.expiresAt * 1000 > Date.now()) { state.session = s; setToken(s.token); }
  } catch { /* ignore a damaged value */ }
}

export function saveSession(s) {
  state.session = s;
  setToken(s ? s.token : null);
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
  if (s && s.managed) localStorage.setItem(ACCOUNT_KEY, s.address);
}

export function rememberedAccount() { return localStorage.getItem(ACCOUNT_KEY) || ''; }

export function chooseRegion(id) {
  state.region = id;
  localStorage.setItem(REGION_KEY, id);
}

export async function loadRegions() {
  state.regions = (await get('/v1/regions')).filter((r) => r.status === 'ok');
  const saved = localStorage.getItem(REGION_KEY);
  const ids = state.regions.map((r) => r.region);
  if (saved && ids.includes(saved)) state.region = saved;
  else if (ids.length) state.region = ids[0];
  return state.regions;
}

export async function loadRegion() {
  if (!state.region) return;
  state.info = await get(R(state.region));
  state.typed = null;
}

export async function loadMe() {
  state.me = null;
  if (!state.session || !state.region) return null;
  if (state.session.managed && state.session.region && state.session.region !== state.region) return null;
  // Membership from the member list (loaded first), so a non-member causes no 404.
  if (!state.names.has(state.session.address) && state.names.size < 2000) return null;
  state.me = await maybe(`${R(state.region)}/members/${state.session.address}`);
  if (state.me) state.names.set(state.me.address, state.me.displayName);
  return state.me;
}

export async function loadNames() {
  state.names = new Map();
  const members = await all(`${R(state.region)}/members`);
  for (const m of members) state.names.set(m.address, m.displayName);
  return members;
}

export function nameOf(address) {
  if (!address) return '';
  const a = address.toLowerCase();
  return state.names.get(a) || `${a.slice(0, 6)}…${a.slice(-4)}`;
}

export function hasRole(role) { return !!(state.me && state.me.roles && state.me.roles.includes(role)); }

export async function typedData() {
  if (!state.typed) state.typed = await get(`/v1/typed-data?region=${encodeURIComponent(state.region)}`);
  return state.typed;
}

export function policy() { return (state.info && state.info.policy && state.info.policy.policy) || null; }

let paths = null;
/** The API's paths, from its OpenAPI document (to offer only what this server has). */
export async function apiPaths() {
  if (!paths) paths = Object.keys((await get('/openapi.json')).paths || {});
  return paths;
}

// -- settings kept on this device ---------------------------------------------------------

const TEXT_KEY = 'kakawari.textSize';
export const TEXT_SIZES = ['normal', 'large', 'xlarge'];

/** The text size chosen on this device (normal | large | xlarge). */
export function textSize() {
  const saved = localStorage.getItem(TEXT_KEY);
  return TEXT_SIZES.includes(saved) ? saved : 'normal';
}

export function setTextSize(size) {
  const value = TEXT_SIZES.includes(size) ? size : 'normal';
  localStorage.setItem(TEXT_KEY, value);
  document.documentElement.dataset.textSize = value;
}

/** How many of the signed-in member's notices are unread (null: not known). */
export async function loadUnread() {
  state.unread = null;
  if (!state.me) return null;
  try {
    const out = await get(`${R(state.region)}/notices?limit=100`);
    state.unread = out.unread;
  } catch { state.unread = null; }
  return state.unread;
}
