import { t } from '../i18n.js';
import { h, card, field, errorBox, busy, toast, clearErrors, setFieldError } from '../ui.js';
import { state, rememberedAccount } from '../state.js';
import { wallet, signInWithWallet, redeemInvitation, loginManaged } from '../signer.js';
import { report } from './home.js';

export async function viewSignIn(root, params, app) {
  root.append(h('h1', t('signin.title')), h('p', { class: 'lead' }, t('signin.intro')));

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
  const wCard = card(h('h2', t('signin.wallet')), h('p', t('signin.walletText')),
    wallet() ? '' : h('p', { class: 'notice' }, t('signin.noWallet')), wBox, h('div', { class: 'actions' }, wButton));

  // invitation code
  const code = h('input', { type: 'text', autocomplete: 'one-time-code', autocapitalize: 'characters', spellcheck: 'false', value: params.get('code') || '' });
  const name = h('input', { type: 'text', maxlength: 64, autocomplete: 'nickname' });
  const pass = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  const rBox = errorBox();
  const rButton = h('button', { type: 'submit', class: 'primary' }, t('signin.redeem'));
  const redeem = h('form', { class: 'stack', novalidate: true, 'data-form': 'redeem' },
    field(t('signin.code'), code, { name: 'code' }),
    field(t('signin.displayName'), name, { name: 'displayName' }),
    field(t('signin.passphrase'), pass, { name: 'passphrase', hint: t('signin.passphraseHint') }),
    rBox, h('div', { class: 'actions' }, rButton));
  redeem.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(redeem);
    let bad = false;
    for (const [el, n] of [[code, 'code'], [name, 'displayName'], [pass, 'passphrase']]) {
      if (!el.value.trim()) { setFieldError(redeem, n, t('err.required')); if (!bad) el.focus(); bad = true; }
    }
    if (bad) return;
    await busy(rButton, async () => {
      try {
        await redeemInvitation(state.region, code.value.trim(), name.value.trim(), pass.value);
        toast(t('signin.welcome', { name: name.value.trim() }));
        app.go('');
      } catch (err) {
        if (err.code === 'bad-invitation') { setFieldError(redeem, 'code', err.words().join('. ')); code.focus(); return; }
        if (err.code === 'weak-passphrase') { setFieldError(redeem, 'passphrase', err.words().join('. ')); pass.focus(); return; }
        report(redeem, rBox, err);
      }
    });
  });

  // returning managed member
  const acct = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'username', value: rememberedAccount(), placeholder: '0x…' });
  const pass2 = h('input', { type: 'password', autocomplete: 'current-password' });
  const lBox = errorBox();
  const lButton = h('button', { type: 'submit', class: 'primary' }, t('signin.login'));
  const login = h('form', { class: 'stack', novalidate: true, 'data-form': 'login' },
    field(t('signin.account'), acct, { name: 'address', hint: t('signin.accountHint') }),
    field(t('signin.passphrase'), pass2, { name: 'passphrase' }),
    lBox, h('div', { class: 'actions' }, lButton));
  login.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(login);
    if (!/^0x[0-9a-fA-F]{40}$/.test(acct.value.trim())) { setFieldError(login, 'address', t('err.required')); acct.focus(); return; }
    if (!pass2.value) { setFieldError(login, 'passphrase', t('err.required')); pass2.focus(); return; }
    await busy(lButton, async () => {
      try {
        await loginManaged(state.region, acct.value.trim(), pass2.value);
        toast(t('signin.done'));
        app.go('');
      } catch (err) {
        if (err.code === 'bad-login') { setFieldError(login, 'passphrase', err.words().join('. ')); pass2.focus(); return; }
        report(login, lBox, err);
      }
    });
  });

  root.append(h('div', { class: 'grid two' },
    card(h('h2', t('signin.managed')), h('p', t('signin.managedText')), redeem,
      h('details', { class: 'returning', open: rememberedAccount() ? true : null }, h('summary', t('signin.returning')), login)),
    wCard));
}
