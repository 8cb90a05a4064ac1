// Paper for members: the printable card of an invitation or recovery code (its QR code
// opens the link that carries the code), and a member's own card with her number.
import { t } from '../i18n.js';
import { post, R } from '../api.js';
import { h, clear } from '../ui.js';
import { state } from '../state.js';

/** Print only `el` (a copy of it in #print-root; app.css hides the rest on paper). */
export function printOnly(el) {
  let root = document.getElementById('print-root');
  if (!root) { root = h('div', { id: 'print-root' }); document.body.append(root); }
  clear(root).append(el.cloneNode(true));
  document.body.classList.add('printing');
  const done = () => { document.body.classList.remove('printing'); window.removeEventListener('afterprint', done); };
  window.addEventListener('afterprint', done);
  window.print();
}

function svgImage(svg, alt) {
  const bytes = new TextEncoder().encode(svg);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return h('img', { class: 'qr', src: 'data:image/svg+xml;base64,' + btoa(bin), alt, width: 180, height: 180 });
}

/** The card of a code the log has issued: {kind: 'invitation'|'recovery', code}. */
export async function codeCard(kind, code) {
  const out = await post(`${R(state.region)}/cards`, { kind, code });
  const paper = h('div', { class: 'paper-card', 'data-testid': `${kind}-card` },
    h('p', { class: 'paper-region' }, state.info.name),
    h('h2', t(`card.${kind}.title`)),
    out.label ? h('p', { class: 'paper-for' }, t('card.for', { name: out.label })) : '',
    svgImage(out.qrSvg, t('card.qrAlt')),
    h('p', t(`card.${kind}.scan`)),
    h('p', { class: 'paper-code' }, h('span', { class: 'muted small' }, t(`card.${kind}.code`)), ' ',
      h('code', { 'data-testid': `${kind}-code` }, out.code)),
    h('p', { class: 'muted small paper-link', 'data-testid': `${kind}-link` }, out.link));
  const button = h('button', { type: 'button', class: 'primary', 'data-action': 'print' }, t('card.print'));
  button.addEventListener('click', () => printOnly(paper));
  return { paper, button, link: out.link };
}

/** A member's own card: region, name and member number, and how to sign in with it. */
export function memberCard(me) {
  return h('div', { class: 'paper-card member-card', 'data-testid': 'member-card' },
    h('p', { class: 'paper-region' }, state.info.name),
    h('h2', t('card.member.title')),
    h('p', { class: 'paper-name' }, me.displayName),
    h('p', { class: 'member-number', 'data-testid': 'member-number' }, me.number),
    h('p', t('card.member.howto')),
    h('p', { class: 'muted small' }, location.origin + '/'));
}

/** On the home page: her number, large, and the way to print her card. */
export function memberNumberBox(me) {
  const button = h('button', { type: 'button', class: 'secondary', 'data-action': 'print-member-card' }, t('card.member.print'));
  button.addEventListener('click', () => printOnly(memberCard(me)));
  return h('section', { class: 'card number-card' },
    h('h2', { class: 'eyebrow' }, t('card.member.yours')),
    h('p', { class: 'member-number large', 'data-testid': 'home-member-number' }, me.number),
    h('p', { class: 'muted' }, t('card.member.hint')),
    h('div', { class: 'actions' }, button));
}
