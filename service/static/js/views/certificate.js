// A printable certificate (A4, Japanese and English) of one approved activity: region,
// who, what, when, how long, the points, and a QR code that opens the check of its
// receipt against the region's public record.
import { t, tIn, categoryIn, lang } from '../i18n.js';
import { get, R, enc } from '../api.js';
import { h, card, emptyState } from '../ui.js';
import { state } from '../state.js';

function dateIn(l, ts) {
  return new Date(ts * 1000).toLocaleDateString(l === 'ja' ? 'ja-JP' : 'en-GB', { year: 'numeric', month: 'long', day: 'numeric' });
}

function minutesIn(l, m) {
  const hours = Math.floor(m / 60), mins = m % 60;
  if (l === 'ja') return (hours ? `${hours}時間` : '') + (mins || !hours ? `${mins}分` : '');
  return [hours ? `${hours} h` : '', mins || !hours ? `${mins} min` : ''].filter(Boolean).join(' ');
}

export async function viewCertificate(root, params) {
  const id = params.get('claim') || '';
  const me = state.me;
  const claim = /^0x[0-9a-f]{64}$/.test(id) ? await get(`${R(state.region)}/claims/${id}`) : null;
  const rec = claim && (me.recognitions || []).find((r) => r.claim === id);
  if (!claim || !rec || claim.status !== 'approved') {
    root.append(emptyState(t('cert.notApproved'), h('a', { class: 'button', href: '#/mine' }, t('cert.back'))));
    return;
  }
  const first = lang(), second = first === 'ja' ? 'en' : 'ja';
  const both = (key, p) => [h('span', { class: 'l1' }, tIn(first, key, p)), h('span', { class: 'l2', lang: second }, tIn(second, key, p))];
  const row = (key, v1, v2) => [h('dt', both(key)), h('dd', h('span', { class: 'l1' }, v1), v2 && v2 !== v1 ? h('span', { class: 'l2', lang: second }, v2) : '')];
  const number = me.number || me.memberNumber;
  const who = number ? `${me.displayName}（${number}）` : me.displayName;
  const qr = `${R(state.region)}/claims/${enc(id)}/qr.svg?member=${me.address}`;
  root.append(
    h('div', { class: 'actions no-print' },
      h('a', { class: 'button secondary', href: '#/mine' }, t('cert.back')),
      h('button', { type: 'button', class: 'primary', 'data-action': 'print', onclick: () => window.print() }, t('cert.print'))),
    h('article', { class: 'certificate', 'data-testid': 'certificate', 'data-claim': id },
      h('p', { class: 'cert-region' }, state.info.name),
      h('h1', both('cert.title')),
      h('p', { class: 'cert-lead' }, both('cert.lead')),
      h('p', { class: 'cert-name', 'data-testid': 'cert-name' }, who),
      h('dl', { class: 'cert-fields' },
        row('cert.what', claim.title),
        row('cert.region', state.info.name),
        row('cert.when', dateIn(first, claim.occurredAt), dateIn(second, claim.occurredAt)),
        row('cert.time', minutesIn(first, claim.minutes), minutesIn(second, claim.minutes)),
        [h('dt', both('cert.points')), h('dd', { 'data-testid': 'cert-points' }, String(rec.points))],
        [h('dt', both('f.category')), h('dd', h('span', { class: 'l1' }, categoryIn(first, claim.category)), h('span', { class: 'l2', lang: second }, categoryIn(second, claim.category)))]),
      h('div', { class: 'cert-foot' },
        h('img', { class: 'cert-qr', src: qr, alt: t('cert.qr'), width: 160, height: 160, 'data-testid': 'cert-qr' }),
        h('p', { class: 'cert-qr-text' }, both('cert.qr'), h('span', { class: 'cert-date' },
          h('span', { class: 'l1' }, tIn(first, 'cert.approved', { date: dateIn(first, rec.time) })),
          h('span', { class: 'l2', lang: second }, tIn(second, 'cert.approved', { date: dateIn(second, rec.time) })))))));
}
