// Notices: what happened to you in the region (approved, not approved and why, thanks,
// a shared activity to confirm, a new quest), newest first. Opening the page marks them
// read. Where the server sends e-mail, the same notices can come by e-mail too.
import { t, lang } from '../i18n.js';
import { get, post, put, request, R } from '../api.js';
import { h, card, chip, field, errorBox, busy, toast, fmtDate, emptyState, clearErrors, setFieldError } from '../ui.js';
import { state, chooseRegion } from '../state.js';
import { report } from './home.js';

const ICON = { approved: '✓', rejected: '✗', thanked: '♡', confirm: '？', quest: '★', signup: '＋' };

function text(n) {
  const who = n.byName || '';
  switch (n.kind) {
    case 'approved': return [t('notices.approved', { title: n.title, points: n.points })];
    case 'rejected': return [t('notices.rejected', { title: n.title }), t('notices.rejectedWhy', { name: who, reason: n.reason })];
    case 'thanked': return [t('notices.thanked', { name: who, title: n.title, n: n.amount }), n.note ? `「${n.note}」` : ''];
    case 'confirm': return [t('notices.confirm', { name: who, title: n.title }), n.done ? t('notices.confirmDone') : t('notices.confirmAsk')];
    case 'quest': return [t('notices.quest', { title: n.title, points: n.points })];
    case 'signup': return [t('notices.signup', { name: who, title: n.title })];
    default: return [n.kind];
  }
}

function link(n) {
  if (n.kind === 'quest') return `#/claim?quest=${n.quest}`;
  if (n.kind === 'signup') return `#/quest?id=${n.quest}`;
  if (n.kind === 'thanked' || n.kind === 'approved' || n.kind === 'rejected') return `#/mine?new=${n.claim}`;
  return '#/mine';
}

export async function viewNotices(root, params, app) {
  // the link in a notice e-mail names its region
  const wanted = params.get('region');
  if (wanted && wanted !== state.region && state.regions.some((r) => r.region === wanted)) {
    chooseRegion(wanted);
    await app.refresh();
    return;
  }
  const list = await get(`${R(state.region)}/notices?limit=100`);
  root.append(h('h1', t('notices.title')));
  if (!list.items.length) root.append(emptyState(t('notices.empty')));
  else {
    root.append(h('ul', { class: 'notices', 'data-testid': 'notices' }, list.items.map((n) => {
      const [main, more] = text(n);
      return h('li', { class: `notice-item ${n.read ? '' : 'unread'}`, 'data-kind': n.kind, 'data-seq': n.seq },
        h('a', { href: link(n), class: 'notice-link' },
          h('span', { class: `notice-icon ${n.kind}`, 'aria-hidden': 'true' }, ICON[n.kind] || '•'),
          h('span', { class: 'notice-text' },
            n.read ? '' : [chip(t('notices.new'), 'level'), ' '],
            h('strong', main), more ? h('span', { class: 'notice-more' }, more) : '',
            n.time ? h('span', { class: 'muted notice-date' }, fmtDate(n.time)) : '')));
    })));
    if (list.unread) {
      const read = await post(`${R(state.region)}/notices/read`, { upTo: list.items[0].seq });
      state.unread = read.unread;
      app.renderNav?.();
    }
  }
  root.append(await mailCard());
}

async function mailCard() {
  const contact = await get(`${R(state.region)}/contact`);
  if (!contact.mailing) return '';
  const email = h('input', { type: 'email', autocomplete: 'email', inputmode: 'email', maxlength: 254, value: contact.email || '' });
  const box = errorBox();
  const status = h('p', { class: 'muted', 'data-testid': 'mail-status' }, contact.email ? t('mail.current', { email: contact.email }) : '');
  const save = h('button', { type: 'submit', class: 'primary' }, t('mail.save'));
  const remove = h('button', { type: 'button', class: 'secondary', hidden: !contact.email }, t('mail.remove'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'mail' },
    field(t('mail.address'), email, { name: 'email' }), status, box, h('div', { class: 'actions' }, remove, save));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!email.value.trim()) { setFieldError(form, 'email', t('err.required')); email.focus(); return; }
    await busy(save, async () => {
      try {
        const out = await put(`${R(state.region)}/contact`, { email: email.value.trim(), lang: lang() });
        status.textContent = t('mail.current', { email: out.email });
        remove.hidden = false;
        toast(t('mail.saved', { email: out.email }));
      } catch (err) { report(form, box, err); }
    });
  });
  remove.addEventListener('click', () => busy(remove, async () => {
    try {
      await request('DELETE', `${R(state.region)}/contact`);
      email.value = ''; status.textContent = ''; remove.hidden = true;
      toast(t('mail.removed'));
    } catch (err) { report(form, box, err); }
  }));
  return card(h('h2', t('mail.title')), h('p', t('mail.text')), form);
}
