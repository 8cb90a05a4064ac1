// The admin's member list: find people by name, kana reading, member number or
// address; copy a member's full number and address; members who share a display name
// are marked, and told apart by their number.
import { t } from '../i18n.js';
import { all, R } from '../api.js';
import { h, card, toast, chip, fmtDate, fmtNum, field } from '../ui.js';
import { state } from '../state.js';

/** Text folded for finding: NFKC (full-width letters and half-width kana alike),
 *  lower case, katakana as hiragana, without spaces, dots and hyphens. */
export function fold(text) {
  return String(text || '').normalize('NFKC').toLowerCase()
    .replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60))
    .replace(/[\s・･\-‐]/g, '');
}

export function matches(m, query) {
  const q = fold(query);
  if (!q) return true;
  return fold(m.displayName).includes(q) || fold(m.reading).includes(q)
    || (m.number && fold(m.number).includes(q)) || m.address.toLowerCase().includes(q);
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // no clipboard permission: select the text, so that Ctrl+C / long-press copies it
    const sel = window.getSelection();
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling);
    sel.removeAllRanges();
    sel.addRange(range);
    if (!document.execCommand('copy')) return;
  }
  button.dataset.copied = 'true';
  toast(t('members.copied'));
}

function copyable(label, value, name, kind) {
  const b = h('button', { type: 'button', class: 'secondary small copy', 'data-copy': kind,
    'aria-label': t('members.copyWhat', { what: label, name }) }, t('members.copy'));
  b.addEventListener('click', () => copy(value, b));
  return h('div', { class: 'copy-line' }, h('span', { class: 'copy-label' }, label),
    h('code', { class: 'copy-value', 'data-value': kind }, value), b);
}

export async function memberList(root) {
  const members = await all(`${R(state.region)}/members`);
  const roles = new Map();
  for (const role of ['admin', 'verifier', 'auditor']) {
    for (const m of await all(`${R(state.region)}/members?role=${role}`)) {
      roles.set(m.address, [...(roles.get(m.address) || []), role]);
    }
  }
  const byName = new Map();
  for (const m of members) byName.set(fold(m.displayName), (byName.get(fold(m.displayName)) || 0) + 1);
  const items = members.map((m) => {
    const same = byName.get(fold(m.displayName)) > 1;
    const held = roles.get(m.address) || [];
    const li = h('li', { class: 'member-row', 'data-member': m.address },
      h('div', { class: 'member-name' }, h('strong', m.displayName), ' ',
        m.reading ? h('span', { class: 'reading', lang: 'ja' }, m.reading) : h('span', { class: 'muted small' }, t('members.noReading')),
        same ? [' ', chip(t('members.sameName'), 'wait')] : ''),
      m.number ? copyable(t('members.number'), m.number, m.displayName, 'number') : '',
      copyable(t('members.address'), m.address, m.displayName, 'address'),
      h('div', { class: 'muted small' }, [t('members.joined', { date: fmtDate(m.joinedAt) }),
        t('members.level', { n: m.level }), `${fmtNum(m.lifetimePoints)} ${t('pt')}`,
        ...held.map((r) => t('role.' + r)), m.managed ? t('members.managed') : ''].filter(Boolean).join(' · ')));
    return { m, li };
  });
  const search = h('input', { type: 'search', autocomplete: 'off', enterkeyhint: 'search', 'data-testid': 'member-search' });
  const count = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'member-count' });
  const none = h('p', { class: 'muted', hidden: true }, t('members.none'));
  const list = h('ul', { class: 'member-list' }, items.map((i) => i.li));
  const filter = () => {
    let n = 0;
    for (const { m, li } of items) { const hit = matches(m, search.value); li.hidden = !hit; if (hit) n += 1; }
    count.textContent = t('members.count', { n, total: items.length });
    none.hidden = n > 0;
  };
  search.addEventListener('input', filter);
  filter();
  root.append(card(h('h2', t('members.title')), h('p', { class: 'muted' }, t('members.intro')),
    h('form', { role: 'search', onsubmit: (e) => e.preventDefault() },
      field(t('members.search'), search, { name: 'q', hint: t('members.searchHint') })),
    count, none, list));
}
