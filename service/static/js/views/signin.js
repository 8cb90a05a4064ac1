import { t } from '../i18n.js';
import { h, card, field, errorBox, busy, toast, clearErrors, setFieldError } from '../ui.js';
import { state, chooseRegion } from '../state.js';
import { wallet, signInWithWallet, redeemInvitation, loginManaged, recoverAccount } from '../signer.js';
import { report } from './home.js';

const NUMBER_KEY = 'kakawari.memberNumber';
const remembered = () => localStorage.getItem(NUMBER_KEY) || '';
const remember = (n) => { if (n) localStorage.setItem(NUMBER_KEY, n); };

/** A passphrase input with a "show passphrase" switch under it. */
export function passphraseField(label, input, opts) {
  const show = h('input', { type: 'checkbox', 'data-action': 'show-passphrase' });
  show.addEventListener('change', () => { input.type = show.checked ? 'text' : 'password'; });
  const wrap = field(label, input, opts);
  wrap.append(h('label', { class: 'show-pass' }, show, ' ', t('signin.showPassphrase')));
  return wrap;
}

/** A link's region (?region=ama) becomes the chosen one. */
async function followRegion(params, app) {
  const wanted = params.get('region');
  if (wanted && wanted !== state.region && state.regions.some((r) => r.region === wanted)) {
    chooseRegion(wanted);
    await app.refresh();
    return true;
  }
  return false;
}

export async function viewSignIn(root, params, app) {
  if (await followRegion(params, app)) return;
  const fromLink = params.get('code');
  root.append(h('h1', fromLink ? t('signin.joinTitle', { region: state.info.name }) : t('signin.title')),
    h('p', { class: 'lead' }, fromLink ? t('signin.joinLead') : t('signin.intro')));

  // returning managed member: member number + passphrase
  const acct = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'username', autocapitalize: 'characters', value: remembered(), placeholder: 'AMA-0042' });
  const pass2 = h('input', { type: 'password', autocomplete: 'current-password' });
  const lBox = errorBox();
  const lButton = h('button', { type: 'submit', class: 'primary' }, t('signin.login'));
  const login = h('form', { class: 'stack', novalidate: true, 'data-form': 'login' },
    field(t('signin.account'), acct, { name: 'member', hint: t('signin.accountHint') }),
    passphraseField(t('signin.passphrase'), pass2, { name: 'passphrase' }),
    lBox, h('div', { class: 'actions' }, lButton),
    h('p', { class: 'muted small' }, t('signin.forgot')));
  const signedIn = (out) => { remember(out.number); toast(t('signin.done')); app.go(''); };
  login.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(login);
    if (!acct.value.trim()) { setFieldError(login, 'member', t('err.required')); acct.focus(); return; }
    if (!pass2.value) { setFieldError(login, 'passphrase', t('err.required')); pass2.focus(); return; }
    await busy(lButton, async () => {
      try {
        signedIn(await loginManaged(state.region, acct.value.trim(), pass2.value));
      } catch (err) {
        if (err.code === 'bad-login' || err.code === 'passphrase-replaced') { setFieldError(login, 'passphrase', err.words().join('. ')); pass2.focus(); return; }
        report(login, lBox, err);
      }
    });
  });
  // from a card's link she is new here: signing in waits behind a fold; otherwise first
  const returning = fromLink
    ? h('details', { class: 'returning' }, h('summary', t('signin.returning')), login)
    : h('section', { class: 'card', 'data-card': 'returning' }, h('h2', t('signin.returning')), login);

  // invitation code: from the card's link, only her name and a passphrase to type
  const code = h('input', { type: 'text', autocomplete: 'one-time-code', autocapitalize: 'characters', spellcheck: 'false', value: fromLink || '' });
  const name = h('input', { type: 'text', maxlength: 64, autocomplete: 'nickname' });
  const pass = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  const rBox = errorBox();
  const rButton = h('button', { type: 'submit', class: 'primary big' }, t('signin.redeem'));
  const codeField = field(t('signin.code'), code, { name: 'code' });
  if (fromLink) codeField.hidden = true;
  const redeem = h('form', { class: 'stack', novalidate: true, 'data-form': 'redeem' },
    fromLink ? h('p', { class: 'muted small', 'data-testid': 'code-from-link' }, t('signin.codeFromLink', { code: fromLink })) : '',
    codeField,
    field(t('signin.displayName'), name, { name: 'displayName' }),
    passphraseField(t('signin.passphrase'), pass, { name: 'passphrase', hint: t('signin.passphraseHint') }),
    rBox, h('div', { class: 'actions' }, rButton));
  redeem.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(redeem);
    let bad = false;
    for (const [el, n] of [[code, 'code'], [name, 'displayName'], [pass, 'passphrase']]) {
      if (!el.value.trim()) { setFieldError(redeem, n, t('err.required')); if (!bad) (n === 'code' ? (codeField.hidden = false, el) : el).focus(); bad = true; }
    }
    if (bad) return;
    await busy(rButton, async () => {
      try {
        const out = await redeemInvitation(state.region, code.value.trim(), name.value.trim(), pass.value);
        remember(out.number);
        toast(t('signin.welcome', { name: name.value.trim() }));
        app.go('');
      } catch (err) {
        if (err.code === 'invitation-used') {
          // her own code again, on another device: her passphrase signs her in
          try { signedIn(await loginManaged(state.region, code.value.trim(), pass.value)); return; } catch { /* not hers */ }
          returning.open = true;
          setFieldError(login, 'member', err.words().join('. '));
          acct.focus();
          return;
        }
        if (['bad-invitation', 'invitation-revoked'].includes(err.code)) { codeField.hidden = false; setFieldError(redeem, 'code', err.words().join('. ')); code.focus(); return; }
        if (err.code === 'weak-passphrase') { setFieldError(redeem, 'passphrase', err.words().join('. ')); pass.focus(); return; }
        report(redeem, rBox, err);
      }
    });
  });

  // wallet
  const wBox = errorBox();
  const wButton = h('button', { type: 'button', class: 'primary', disabled: !wallet() }, t('signin.walletButton'));
  wButton.addEventListener('click', () => busy(wButton, async () => {
    clearErrors(wCard);
    try {
      await signInWithWallet();
      toast(t('signin.done'));
      app.go('');
    } catch (err) { report(null, wBox, err); }
  }));
  // with no wallet in this browser (a member the office invited), the wallet's way in
  // and its words about signing wait behind a closed fold
  const wCard = wallet()
    ? card(h('h2', t('signin.wallet')), h('p', t('signin.walletText')), wBox, h('div', { class: 'actions' }, wButton))
    : h('section', { class: 'card', 'data-card': 'wallet' }, h('details', { class: 'wallet-fold' }, h('summary', t('signin.walletFold')),
      h('p', t('signin.walletText')), h('p', { class: 'notice' }, t('signin.noWallet')), wBox, h('div', { class: 'actions' }, wButton)));

  if (fromLink) {
    root.append(card(h('h2', t('signin.managed')), redeem, returning));
  } else {
    root.append(returning, h('div', { class: 'grid two' },
      card(h('h2', t('signin.managed')), h('p', t('signin.managedText')), redeem), wCard));
  }
  if (fromLink) name.focus();
}

/** #/recover?code=…: a new passphrase with the recovery code the office issued. */
export async function viewRecover(root, params, app) {
  if (await followRegion(params, app)) return;
  const code = h('input', { type: 'text', autocomplete: 'one-time-code', autocapitalize: 'characters', spellcheck: 'false', value: params.get('code') || '' });
  const pass = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary big' }, t('recover.submit'));
  const codeField = field(t('recover.code'), code, { name: 'code' });
  if (params.get('code')) codeField.hidden = true;
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'recover' }, codeField,
    passphraseField(t('recover.passphrase'), pass, { name: 'passphrase', hint: t('signin.passphraseHint') }),
    box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!code.value.trim()) { codeField.hidden = false; setFieldError(form, 'code', t('err.required')); code.focus(); return; }
    if (!pass.value) { setFieldError(form, 'passphrase', t('err.required')); pass.focus(); return; }
    await busy(button, async () => {
      try {
        const out = await recoverAccount(state.region, code.value.trim(), pass.value);
        remember(out.number);
        toast(t('recover.done'));
        app.go('');
      } catch (err) {
        if (err.code === 'bad-recovery') { codeField.hidden = false; setFieldError(form, 'code', err.words().join('. ')); code.focus(); return; }
        if (err.code === 'weak-passphrase') { setFieldError(form, 'passphrase', err.words().join('. ')); pass.focus(); return; }
        report(form, box, err);
      }
    });
  });
  root.append(h('h1', t('recover.title')), card(h('p', t('recover.intro')), form));
  pass.focus();
}
