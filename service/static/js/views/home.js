import { t, category } from '../i18n.js';
import { get, post, R, ApiError } from '../api.js';
import { h, card, field, errorBox, showError, busy, toast, fmtNum, fmtDate, chip, shortAddr, clearErrors, setFieldError, download } from '../ui.js';
import { state, hasRole, nameOf, policy } from '../state.js';
import { act } from '../signer.js';
import { readingCard } from './reading.js';
import { memberNumberBox } from './cards.js';

export async function viewHome(root, _params, app) {
  const regionName = state.info.name;
  if (!state.session) {
    root.append(
      h('section', { class: 'hero' },
        h('h1', t('home.welcome', { region: regionName })),
        h('p', { class: 'lead' }, t('tagline')),
        h('p', t('home.pitch')),
        h('a', { class: 'button big', href: '#/signin' }, t('home.start'))),
      h('ol', { class: 'steps' }, [1, 2, 3].map((n) => h('li', { class: 'card' },
        h('span', { class: 'step-n', 'aria-hidden': 'true' }, String(n)),
        h('h2', t(`home.step${n}`)), h('p', { class: 'muted' }, t(`home.step${n}Text`))))),
      await recent());
    return;
  }
  if (!state.me) {
    root.append(joinCard(app));
    return;
  }
  const me = state.me;
  const pol = policy();
  const next = me.nextLevelAt;
  const levels = (pol && pol.levels) || [];
  const prev = [0, ...levels].filter((v) => v <= me.lifetimePoints).pop() || 0;
  const progress = next ? Math.round(((me.lifetimePoints - prev) / (next - prev)) * 100) : 100;
  const [mine, pending, budget] = await Promise.all([
    get(`${R(state.region)}/claims?member=${me.address}&limit=100`),
    hasRole('verifier') ? get(`${R(state.region)}/claims?status=pending&limit=1`) : null,
    get(`${R(state.region)}/members/${me.address}/budget`),
  ]);
  const waiting = mine.items.filter((c) => c.status === 'pending');
  const toConfirm = [];
  for (const c of mine.items) {
    if (c.contributor !== me.address && c.status !== 'rejected' && c.status !== 'revoked') {
      const full = await get(`${R(state.region)}/claims/${c.id}`);
      const mePerson = full.people.find((p) => p.address === me.address);
      if (mePerson && mePerson.confirmedSeq == null) toConfirm.push(full);
    }
  }
  const todo = [];
  if (toConfirm.length) todo.push(h('li', h('a', { href: '#/mine' }, t('home.toConfirm', { n: toConfirm.length }))));
  if (pending && pending.total) todo.push(h('li', h('a', { href: '#/review' }, t('home.toReview', { n: pending.total }))));

  root.append(
    h('h1', t('home.hello', { name: me.displayName })),
    memberNumberBox(me),
    partnerRecords(me),
    me.resident == null ? residenceCard(app) : '',
    h('div', { class: 'grid two' },
      card(
        h('h2', { class: 'eyebrow' }, t('home.yourPoints')),
        h('p', { class: 'big-number', 'data-testid': 'points' }, fmtNum(me.points, 1), h('small', ' ' + t('points'))),
        h('p', { class: 'level' }, chip(t('level', { n: me.level }), 'level')),
        h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': progress },
          h('span', { style: { width: progress + '%' } })),
        h('p', { class: 'muted' }, next ? t('home.nextLevel', { n: next - me.lifetimePoints, level: me.level + 1 }) : t('home.maxLevel')),
        waiting.length ? h('p', { class: 'pending-points', 'data-testid': 'pending-points' },
          t('home.pendingPoints', { n: waiting.length, p: fmtNum(waiting.reduce((a, c) => a + (c.expectedPoints || 0), 0)) })) : '',
        h('a', { class: 'more-link', href: '#/points' }, t('nav.points') + ' →'),
        h('p', { class: 'muted small budget-line' }, t('home.budget'), ': ', h('strong', t('endorse.left', { left: budget.left, budget: budget.budget })))),
      card(
        h('h2', { class: 'eyebrow' }, t('home.quick')),
        h('div', { class: 'quick' },
          h('a', { class: 'button big', href: '#/claim' }, '＋ ', t('nav.claim')),
          h('a', { class: 'button secondary', href: '#/endorse' }, '♡ ', t('nav.endorse')),
          h('a', { class: 'button secondary', href: '#/quests' }, '★ ', t('nav.quests'))),
        todo.length ? [h('h3', t('home.todo')), h('ul', { class: 'todo' }, todo)] : '')),
    state.session.managed
      // a managed member: no account number, no keys in sight; all that behind one fold
      ? card(
        h('p', chip(t('home.managedBadge'))),
        me.roles.length ? h('p', me.roles.map((r) => chip(t('role.' + r), 'role'))) : '',
        h('details', { class: 'tech' }, h('summary', t('home.accountTech')),
          h('h2', { class: 'eyebrow' }, t('home.account')),
          h('p', h('code', { class: 'account', 'data-testid': 'account' }, me.address)),
          h('p', { class: 'muted small' }, t('home.accountHint')), exportKey()))
      : card(
        h('h2', { class: 'eyebrow' }, t('home.account')),
        h('p', h('code', { class: 'account', 'data-testid': 'account' }, me.address), ' ',
          chip(t('home.walletBadge'))),
        me.roles.length ? h('p', me.roles.map((r) => chip(t('role.' + r), 'role'))) : ''),
    readingCard(app),
    await partnersCard(me, app),
    await recent());
}

/** Link her record with a partner region (a `RecordLink`, issue 16), and show her record
 *  from there (this server asks the partner for it). Nothing when there are no partners. */
async function partnersCard(me, app) {
  let partners = [];
  try { partners = (await get(`${R(state.region)}/partners`)).filter((p) => p.active); } catch { return ''; }
  if (!partners.length) return '';
  const other = partners.map((p) => {
    const account = h('input', { type: 'text', maxlength: 42, value: state.session.managed ? '' : me.address, autocomplete: 'off', spellcheck: 'false' });
    const box = errorBox();
    const name = p.name;
    const link = h('button', { type: 'submit', class: 'secondary' }, t('home.partnerLink', { name }));
    const fetchIt = h('button', { type: 'button', class: 'secondary' }, t('home.partnerShow', { name }));
    const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'partner-link', 'data-partner': p.partner },
      field(t('home.partnerAccount', { name }), account, { name: 'partnerMember' }), box, h('div', { class: 'actions' }, link, fetchIt));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const address = account.value.trim().toLowerCase();
      if (!/^0x[0-9a-f]{40}$/.test(address)) { setFieldError(form, 'partnerMember', t('err.required')); account.focus(); return; }
      await busy(link, async () => {
        try {
          await act('RecordLink', { partner: p.partner, partnerMember: address, shown: true }, { partnerName: name });
          toast(t('home.partnerLinked', { name }));
        } catch (err) { report(form, box, err); }
      });
    });
    fetchIt.addEventListener('click', async () => {
      clearErrors(form);
      await busy(fetchIt, async () => {
        try {
          await post(`${R(state.region)}/members/${me.address}/partner-records/${p.partner.replace(/^kakawari\//, '')}/fetch`, {});
          toast(t('home.partnerShown', { name }));
          await app.refresh();
        } catch (err) { report(form, box, err); }
      });
    });
    return h('div', { class: 'partner-link' }, h('h3', name), form);
  });
  return card(h('h2', { class: 'eyebrow' }, t('home.partners')), h('p', { class: 'muted small' }, t('home.partnersText')), ...other);
}

/** Her records in partner regions, verified here (issue 16): "海士町: レベル 3・認められた
 *  活動 12". Their points stay in that region; none is added here. */
export function partnerRecords(member) {
  const records = member.partnerRecords || [];
  if (!records.length) return '';
  return card(h('h2', { class: 'eyebrow' }, t('home.partnerRecords')),
    h('ul', { class: 'feed', 'data-testid': 'partner-records' }, records.map((r) => h('li', { 'data-partner': r.partner },
      h('strong', t('home.partnerRecord', { name: r.partnerName, level: r.level, n: fmtNum(r.recognised) })),
      h('div', { class: 'muted small' }, t('home.partnerRecordNote', { name: r.partnerName, date: fmtDate(r.verifiedAt) }))))));
}

async function recent() {
  const list = await get(`${R(state.region)}/claims?status=approved&limit=5`);
  if (!list.items.length) return '';
  return card(h('h2', { class: 'eyebrow' }, t('home.recent')),
    h('ul', { class: 'feed' }, list.items.map((c) => h('li',
      h('span', { class: 'cat' }, category(c.category)), ' ',
      h('strong', c.title), ' — ', nameOf(c.contributor), ' ',
      h('span', { class: 'muted small' }, fmtDate(c.occurredAt))))));
}

function joinCard(app) {
  const name = h('input', { type: 'text', maxlength: 64, autocomplete: 'nickname', required: true });
  const resident = h('input', { type: 'radio', name: 'residence', value: 'yes' });
  const elsewhere = h('input', { type: 'radio', name: 'residence', value: 'no' });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary' }, t('home.join'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'join' },
    field(t('signin.displayName'), name, { name: 'displayName' }),
    h('fieldset', { class: 'choices' }, h('legend', t('home.residenceLegend')),
      h('label', resident, ' ', t('home.resident')), h('label', elsewhere, ' ', t('home.fromElsewhere'))),
    box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const displayName = name.value.trim();
    if (!displayName) { setFieldError(form, 'displayName', t('err.required')); name.focus(); return; }
    await busy(button, async () => {
      try {
        await act('Join', { displayName });
        if (resident.checked || elsewhere.checked) {
          await act('Profile', { displayName, resident: resident.checked });
        }
        toast(t('home.joined', { region: state.info.name }));
        await app.refresh();
      } catch (err) { report(form, box, err); }
    });
  });
  return card(h('h1', t('home.joinTitle', { region: state.info.name })), h('p', t('home.joinText')),
    state.session.managed ? '' : h('p', { class: 'muted small' }, shortAddr(state.session.address)), form);
}

/** A managed member takes their key to a wallet of their own (keystore v3 file,
 *  encrypted with their passphrase); the service then forgets it. */
function exportKey() {
  const pass = h('input', { type: 'password', autocomplete: 'current-password' });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'secondary' }, t('export.button'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'export' },
    h('p', { class: 'small' }, t('export.text')),
    field(t('signin.passphrase'), pass, { name: 'passphrase' }), box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!pass.value) { setFieldError(form, 'passphrase', t('err.required')); pass.focus(); return; }
    await busy(button, async () => {
      try {
        const keystore = await post(`${R(state.region)}/accounts/export`, { passphrase: pass.value });
        download(`kakawari-${state.region}-${state.me.address.slice(2, 10)}.keystore.json`, JSON.stringify(keystore));
        toast(t('export.done'));
      } catch (err) {
        if (err.code === 'bad-login') { setFieldError(form, 'passphrase', err.words().join('. ')); return; }
        report(form, box, err);
      }
    });
  });
  return h('details', { class: 'export' }, h('summary', t('export.title')), form);
}

function residenceCard(app) {
  const resident = h('input', { type: 'radio', name: 'residence-q', value: 'yes' });
  const elsewhere = h('input', { type: 'radio', name: 'residence-q', value: 'no' });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary' }, t('save'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'residence' },
    h('fieldset', { class: 'choices' }, h('legend', t('home.residenceLegend')),
      h('label', resident, ' ', t('home.resident')), h('label', elsewhere, ' ', t('home.fromElsewhere'))),
    h('p', { class: 'hint' }, t('home.residenceWhy')), box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!resident.checked && !elsewhere.checked) { showError(box, t('home.residenceLegend'), t('err.required')); return; }
    await busy(button, async () => {
      try {
        await act('Profile', { displayName: state.me.displayName, resident: resident.checked });
        toast(t('home.saved'));
        await app.refresh();
      } catch (err) { report(form, box, err); }
    });
  });
  return card(form);
}

/** Show an API error next to the field it names, else in the form's error box. */
export function report(form, box, err) {
  if (!(err instanceof ApiError)) { showError(box, t('err.generic'), String(err)); return; }
  const [title, detail] = err.words();
  if (['wallet-rejected', 'sign-cancelled', 'record-cancelled'].includes(err.code)) { showError(box, title, detail); return; }
  if (err.field && form && setFieldError(form, err.field, `${title}. ${detail}`)) return;
  showError(box, title, detail);
}
