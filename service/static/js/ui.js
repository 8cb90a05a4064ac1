// Small DOM helpers: elements, SVG, dialogs, toasts, forms with errors next to fields.
import { t, lang } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function put(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false || c === true) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function attrs(el, a) {
  for (const [k, v] of Object.entries(a || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') { el[k] = !!v; if (v) el.setAttribute(k, ''); }
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** h('div', {class: 'x'}, child, ...) → HTMLElement */
export function h(tag, a, ...children) {
  if (a instanceof Node || Array.isArray(a) || typeof a !== 'object' || a === null) {
    children.unshift(a); a = {};
  }
  const el = document.createElement(tag);
  attrs(el, a);
  return put(el, children);
}

/** s('rect', {...}) → SVGElement */
export function s(tag, a, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(a || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, String(v));
  }
  return put(el, children);
}

/** How much is in flight (requests, renders): body[data-busy] while any is, so a
 *  person's assistive tech and the browser tests can tell when the page has settled. */
let inflight = 0;
export function busyMark(delta) {
  inflight = Math.max(0, inflight + delta);
  if (inflight) document.body.dataset.busy = String(inflight); else delete document.body.dataset.busy;
  document.getElementById('main')?.setAttribute('aria-busy', inflight ? 'true' : 'false');
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

let uid = 0;
export const nextId = (p = 'f') => `${p}-${++uid}`;

/** A labelled form field; `control` is an input/select/textarea. The error slot sits
 *  right under the control and is linked with aria-describedby. */
export function field(label, control, { hint, name } = {}) {
  const id = control.id || nextId(name || 'f');
  control.id = id;
  if (name) control.name = name;
  const err = h('p', { class: 'field-error', id: id + '-err', role: 'alert', hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: id + '-hint' }, hint) : null;
  control.setAttribute('aria-describedby', [hintEl && hintEl.id, err.id].filter(Boolean).join(' '));
  const wrap = h('div', { class: 'field', 'data-field': name || '' },
    h('label', { for: id }, label), hintEl, control, err);
  return wrap;
}

export function setFieldError(form, name, message) {
  const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!wrap) return false;
  const err = wrap.querySelector('.field-error');
  const control = wrap.querySelector('input,select,textarea');
  err.textContent = message; err.hidden = !message;
  if (control) control.setAttribute('aria-invalid', message ? 'true' : 'false');
  return true;
}

export function clearErrors(root) {
  for (const e of root.querySelectorAll('.field-error, .form-error')) { e.textContent = ''; e.hidden = true; }
  for (const c of root.querySelectorAll('[aria-invalid]')) c.setAttribute('aria-invalid', 'false');
}

/** The error box of a form or card (shown above its buttons). */
export function errorBox() { return h('div', { class: 'form-error', role: 'alert', hidden: true }); }

export function showError(box, title, detail) {
  clear(box);
  box.append(h('strong', title), detail ? h('span', ' ' + detail) : '');
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast ${kind}` }, message);
  box.append(el);
  setTimeout(() => el.classList.add('out'), 3800);
  setTimeout(() => el.remove(), 4400);
}

/** Busy state on a button while `fn` runs. */
export async function busy(button, fn) {
  const old = button.textContent;
  button.disabled = true; button.setAttribute('aria-busy', 'true');
  button.textContent = t('working');
  busyMark(1);
  try { return await fn(); } finally {
    button.disabled = false; button.removeAttribute('aria-busy'); button.textContent = old;
    busyMark(-1);
  }
}

let modals = 0;
/** A modal dialog; resolves with the value passed to close(value). */
export function modal(build) {
  const dlg = document.getElementById('dialog');
  clear(dlg);
  return new Promise((resolve) => {
    let done = false;
    const close = (value) => { if (done) return; done = true; dlg.close(); resolve(value); };
    dlg.onclose = () => close(undefined);
    dlg.oncancel = () => close(undefined);
    dlg.append(build(close));
    dlg.dataset.modal = String(++modals);
    dlg.showModal();
    const first = dlg.querySelector('[autofocus]') || dlg.querySelector('button.primary') || dlg.querySelector('input, button');
    if (first) first.focus();
  });
}

// -- formatting ----------------------------------------------------------------------

export function shortAddr(a) { return a ? `${a.slice(0, 6)}…${a.slice(-4)}` : ''; }

export function fmtDate(ts) {
  if (!ts) return '';
  return new Date(ts * 1000).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB',
    { year: 'numeric', month: 'short', day: 'numeric' });
}

export function fmtDateTime(ts) {
  if (!ts) return '';
  return new Date(ts * 1000).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB',
    { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtNum(n, digits = 0) {
  return Number(n || 0).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB',
    { maximumFractionDigits: digits });
}

export function fmtMinutes(m) {
  const hours = Math.floor(m / 60), mins = m % 60;
  if (lang() === 'ja') return (hours ? `${hours}時間` : '') + (mins || !hours ? `${mins}分` : '');
  return [hours ? `${hours} h` : '', mins || !hours ? `${mins} min` : ''].filter(Boolean).join(' ');
}

export function download(name, data, type = 'application/json') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

export function emptyState(text, action) {
  return h('div', { class: 'empty' }, h('p', text), action || '');
}

export function chip(text, kind = '') { return h('span', { class: `chip ${kind}` }, text); }

export function card(...children) { return h('section', { class: 'card' }, ...children); }
