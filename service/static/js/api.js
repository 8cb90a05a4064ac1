// The HTTP API: JSON in and out, RFC 9457 problems turned into ApiError with a stable
// code and the words for it in the user's language.
import { lang, problemText, t } from './i18n.js';
import { busyMark } from './ui.js';

export class ApiError extends Error {
  constructor({ status = 0, code = 'network', title = '', detail = '', params = {}, field = null, raw = null }) {
    super(detail || title || code);
    Object.assign(this, { status, code, title, detail, params, field, raw });
  }

  /** [title, detail] in the user's language. */
  words() {
    if (this.code === 'network') return [t('err.generic'), t('err.network')];
    if (this.code === 'wallet-rejected') return [t('err.walletRejected'), ''];
    if (this.code === 'sign-cancelled') return [t('sign.cancelled'), ''];
    if (this.code === 'record-cancelled') return [t('plain.cancelled'), ''];
    if (this.code === 'wallet-failed') return [t('err.walletFailed'), this.detail];
    const known = problemText(this.code, { ...this.params, detail: this.detail });
    if (known) return known;
    if (this.status === 404 && this.missingRoute) return [t('err.missingRoute'), ''];
    // Unknown code: the server's own words (English), under a localized heading.
    return [lang() === 'en' && this.title ? this.title : t('err.generic'), this.detail || this.title];
  }
}

let token = null;
let onUnauthenticated = null;
export function setToken(tok) { token = tok; }
export function onSignedOut(fn) { onUnauthenticated = fn; }

function codeOf(type) {
  if (!type || type === 'about:blank') return null;
  const m = /([^:/]+)$/.exec(type);
  return m ? m[1] : null;
}

/** Which form field a problem is about (validation errors or a DomainError `field`). */
function fieldOf(body) {
  if (body.field && typeof body.field === 'string') return body.field;
  const p = body.params || {};
  if (typeof p.field === 'string') return p.field;
  if (Array.isArray(body.errors) && body.errors[0] && body.errors[0].field) {
    const parts = String(body.errors[0].field).split('.');
    return parts[parts.length - 1];
  }
  return null;
}

export async function request(method, path, opts = {}) {
  busyMark(1);
  try { return await send(method, path, opts); } finally { busyMark(-1); }
}

async function send(method, path, { body, headers = {}, raw = false, auth = true } = {}) {
  const h = { Accept: 'application/json, application/problem+json', 'Accept-Language': lang(), ...headers };
  if (body !== undefined && !(body instanceof Blob)) h['Content-Type'] = 'application/json';
  if (auth && token) h.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : (body instanceof Blob ? body : JSON.stringify(body)) });
  } catch (e) {
    throw new ApiError({ code: 'network', detail: String(e) });
  }
  if (res.ok) {
    if (raw) return res;
    if (res.status === 204) return null;
    const type = res.headers.get('content-type') || '';
    return type.includes('json') ? res.json() : res.text();
  }
  let data = {};
  try { data = await res.json(); } catch { data = {}; }
  const params = { ...(data.params || {}), ...Object.fromEntries(Object.entries(data).filter(([k]) => !['type', 'title', 'status', 'detail', 'instance', 'params', 'errors'].includes(k))) };
  const err = new ApiError({
    status: res.status, code: data.code || codeOf(data.type) || `http-${res.status}`,
    title: data.title || res.statusText, detail: data.detail || '', params, field: fieldOf(data), raw: data,
  });
  err.missingRoute = res.status === 404 && (err.code === 'http-404') && /not found/i.test(err.detail || 'not found');
  if (res.status === 401 && onUnauthenticated && auth && token) onUnauthenticated();
  throw err;
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts) => request('POST', path, { ...opts, body });
export const put = (path, body, opts) => request('PUT', path, { ...opts, body });

export const enc = encodeURIComponent;
export const R = (region) => `/v1/regions/${enc(region)}`;

/** GET that yields null on 404 (a record or route that is not there). */
export async function maybe(path, opts) {
  try { return await get(path, opts); } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** Every item of a paginated list ({total, offset, limit, items}) up to `max`. */
export async function all(path, max = 2000) {
  const out = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let offset = 0; offset < max;) {
    const page = await get(`${path}${sep}offset=${offset}&limit=500`);
    const items = Array.isArray(page) ? page : page.items || [];
    out.push(...items);
    if (Array.isArray(page) || items.length === 0 || out.length >= (page.total ?? 0)) break;
    offset += items.length;
  }
  return out;
}
