// Signing: a browser wallet (EIP-1193: eth_requestAccounts, personal_sign for the
// EIP-4361 sign-in, eth_signTypedData_v4 for every record) or a managed account (the
// service signs with the key it holds, on this signed-in request). Either way the
// person sees every field before anything is signed.
import { ApiError, get, post, R, enc } from './api.js';
import { state, typedData, nameOf, saveSession } from './state.js';
import { t, category } from './i18n.js';
import { h, modal, fmtDate, fmtDateTime, fmtMinutes, shortAddr } from './ui.js';

export function wallet() { return window.ethereum && typeof window.ethereum.request === 'function' ? window.ethereum : null; }

function walletError(e) {
  if (e && (e.code === 4001 || /reject|denied|cancel/i.test(String(e.message)))) return new ApiError({ code: 'wallet-rejected' });
  return new ApiError({ code: 'wallet-failed', detail: String((e && e.message) || e) });
}

function utf8Hex(text) {
  return '0x' + Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Sign in with Ethereum (EIP-4361) and open a session. */
export async function signInWithWallet() {
  const eth = wallet();
  if (!eth) throw new ApiError({ code: 'wallet-failed', detail: t('signin.noWallet') });
  let accounts;
  try { accounts = await eth.request({ method: 'eth_requestAccounts' }); } catch (e) { throw walletError(e); }
  const address = String(accounts[0] || '').toLowerCase();
  const { nonce } = await get('/v1/auth/nonce', { auth: false });
  const chainId = (state.info && state.info.chainId) || 1;
  const message = [
    `${location.host} wants you to sign in with your Ethereum account:`,
    address,
    '',
    t('signin.siweStatement'),
    '',
    `URI: ${location.origin}/`,
    'Version: 1',
    `Chain ID: ${chainId}`,
    `Nonce: ${nonce}`,
    `Issued At: ${new Date().toISOString()}`,
  ].join('\n');
  let signature;
  try { signature = await eth.request({ method: 'personal_sign', params: [utf8Hex(message), address] }); } catch (e) { throw walletError(e); }
  const out = await post('/v1/auth/siwe', { message, signature }, { auth: false });
  saveSession({ token: out.token, address: out.address, managed: false, region: null, expiresAt: out.expiresAt });
  return out;
}

export async function redeemInvitation(region, code, displayName, passphrase) {
  const out = await post(`${R(region)}/accounts`, { code, displayName, passphrase }, { auth: false });
  saveSession({ token: out.token, address: out.address, managed: true, region, expiresAt: out.expiresAt });
  return out;
}

/** Sign in a managed member: `member` is her member number (AMA-0042), her address,
 *  or the invitation code she joined with. */
export async function loginManaged(region, member, passphrase) {
  const out = await post(`${R(region)}/accounts/login`, { member, passphrase }, { auth: false });
  saveSession({ token: out.token, address: out.address, managed: true, region, expiresAt: out.expiresAt });
  return out;
}

/** A new passphrase with the recovery code the office issued. */
export async function recoverAccount(region, code, passphrase) {
  const out = await post(`${R(region)}/accounts/recover`, { code, passphrase }, { auth: false });
  saveSession({ token: out.token, address: out.address, managed: true, region, expiresAt: out.expiresAt });
  return out;
}

// -- records ---------------------------------------------------------------------------

const PATHS = {
  Join: () => '/members', Profile: () => '/profile', Role: () => '/roles', Claim: () => '/claims',
  Confirmation: (f) => `/claims/${f.claim}/confirmations`, Review: (f) => `/claims/${f.claim}/reviews`,
  Endorsement: (f) => `/claims/${f.claim}/endorsements`, Quest: () => '/quests', Policy: () => '/policy',
  Revocation: () => '/revocations', Reinstatement: () => '/reinstatements', Erasure: () => '/erasures',
  QuestPost: () => '/quest-posts', QuestDecision: (f) => `/quests/${f.quest}/decisions`,
  QuestEdit: (f) => `/quests/${f.quest}/edits`, QuestClosure: (f) => `/quests/${f.quest}/closure`,
  SignUp: (f) => `/quests/${f.quest}/signups`, CheckInWindow: (f) => `/quests/${f.quest}/checkin-windows`,
  Perk: () => '/perks', Redemption: (f) => `/perks/${f.perk}/redemptions`,
  RedemptionStatus: (f) => `/redemptions/${f.redemption}/status`,
  Invitation: () => '/invitations', InvitationRevocation: () => '/invitation-revocations',
  Recovery: () => '/recoveries',
  Proposal: () => '/proposals',
  Vote: (f) => `/proposals/${f.proposal}/votes`, Withdrawal: (f) => `/proposals/${f.proposal}/withdrawals`,
  Cancellation: (f) => `/proposals/${f.proposal}/cancellations`,
  Reading: () => '/reading',
  RecordLink: () => '/record-links',
};

const ZERO32 = '0x' + '00'.repeat(32);

function nonce53() {
  const w = crypto.getRandomValues(new Uint32Array(2));
  return (w[0] & 0x1fffff) * 2 ** 32 + w[1];
}

/** How a field's value reads to a person. */
function show(type, name, value, extra) {
  if (name === 'category') return category(value);
  if (name === 'minutes') return fmtMinutes(value);
  if (name === 'occurredAt') return fmtDate(value);
  if (['opensAt', 'closesAt', 'expiresAt'].includes(name)) return fmtDate(value);
  if (name === 'issuedAt') return fmtDateTime(value);
  if (name === 'approve') return value ? t('approve') : t('reject');
  if (name === 'coContributors') return value.length ? value.map(nameOf).join('、') : t('none');
  if (name === 'quest') return value === ZERO32 ? t('none') : (extra.questTitle || shortAddr(value));
  if (name === 'claim') return extra.claimTitle || shortAddr(value);
  if (name === 'partner') return extra.partnerName ? `${extra.partnerName} (${value})` : value;
  if (name === 'perk') return value === ZERO32 ? t('none') : (extra.perkTitle || shortAddr(value));
  if (name === 'redemption') return extra.perkTitle || shortAddr(value);
  if (name === 'validUntil') return fmtDate(value);
  if (name === 'capacity') return value ? String(value) : t('q.noLimit');
  if (name === 'contact' && value === '0x' + '00'.repeat(20)) return t('none');
  if (name === 'detailsHash') return value === ZERO32 ? t('none') : `${value.slice(0, 10)}…`;
  if (name === 'role') return t('role.' + value);
  if (name === 'proposal') return extra.proposalTitle || shortAddr(value);
  if (name === 'ballot') return extra.ballotText ?? value.join(', ');
  if (name === 'method') return t('decide.method.' + value);
  if (name === 'choices' || name === 'costs') return value.length ? value.join('、') : t('none');
  if (name === 'text') return value.length > 160 ? value.slice(0, 160) + '…' : value;
  if (name === 'policy') return value.length > 160 ? value.slice(0, 160) + '…' : value;
  if (typeof value === 'boolean') return value ? t('yes') : t('no');
  if (typeof value === 'string' && /^0x[0-9a-f]{40}$/i.test(value)) return `${nameOf(value)} (${shortAddr(value)})`;
  return String(value);
}

const TECHNICAL = new Set(['region', 'nonce', 'issuedAt', 'detailsHash', 'codeHash']);

/** What the person signs, field by field, exactly (a wallet user's view). */
function signDialog(type, message, extra) {
  return modal((close) => {
    const rows = Object.entries(message).filter(([k]) => !TECHNICAL.has(k));
    const tech = Object.entries(message).filter(([k]) => TECHNICAL.has(k));
    const dl = (entries) => h('dl', { class: 'sign-fields' }, entries.map(([k, v]) => [
      h('dt', t('f.' + k)), h('dd', { 'data-field': k }, show(type, k, v, extra))]));
    return h('form', { method: 'dialog', class: 'sign-dialog', onsubmit: (e) => { e.preventDefault(); close(true); } },
      h('h2', t('sign.title')),
      h('p', { class: 'sign-kind' }, t('sign.type.' + type)),
      h('p', { class: 'muted' }, t('sign.intro')),
      dl(rows),
      h('details', { class: 'tech' }, h('summary', type + ' · EIP-712'), dl(tech)),
      h('p', { class: 'muted small' }, t('sign.wallet')),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, t('cancel')),
        h('button', { type: 'submit', class: 'primary', autofocus: true }, t('sign.confirm'))));
  });
}

/** How an entered value reads in plain words (names, not account numbers). */
function showPlain(type, name, value, extra) {
  if (name === 'detailsHash') return value === ZERO32 ? t('none') : t('plain.attached');
  if (name === 'coContributors') return value.length ? value.map((a) => state.names.get(a) || t('none')).join('、') : t('none');
  if (name === 'quest') return value === ZERO32 ? t('none') : (extra.questTitle || t('f.quest'));
  if (name === 'claim') return extra.claimTitle || t('f.claim');
  if (name === 'partner') return extra.partnerName || value;
  if (name === 'partnerMember') return t('f.plain.partnerMember', { name: extra.partnerName || '' });
  if (typeof value === 'string' && /^0x[0-9a-f]{40}$/i.test(value)) return state.names.get(value.toLowerCase()) || '';
  return show(type, name, value, extra);
}

/** A member whose key the service keeps sees one short confirmation with the fields
 *  she entered; what is signed, and how, sits behind one fold. */
function plainDialog(type, message, fields, extra) {
  return modal((close) => {
    const entered = Object.keys(fields).filter((k) => k in message && !['region', 'nonce', 'issuedAt'].includes(k));
    const hidden = Object.entries(message).filter(([k]) => !entered.includes(k) || TECHNICAL.has(k));
    const label = (k) => (k === 'detailsHash' ? t('f.plain.detailsHash') : t('f.' + k));
    return h('form', { method: 'dialog', class: 'sign-dialog plain', onsubmit: (e) => { e.preventDefault(); close(true); } },
      h('h2', t('plain.title')),
      h('p', { class: 'sign-kind' }, t('sign.type.' + type)),
      h('dl', { class: 'sign-fields' }, entered.map((k) => [
        h('dt', label(k)), h('dd', { 'data-field': k }, showPlain(type, k, message[k], extra))])),
      h('details', { class: 'tech' }, h('summary', t('plain.tech')),
        h('p', { class: 'muted small' }, t('plain.techText'), ' ', t('sign.managed')),
        h('p', { class: 'small' }, type + ' · EIP-712'),
        h('dl', { class: 'sign-fields' }, hidden.map(([k, v]) => [
          h('dt', t('f.' + k)), h('dd', { 'data-tech': k }, show(type, k, v, extra))]))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, t('cancel')),
        h('button', { type: 'submit', class: 'primary', autofocus: true }, t('plain.confirm'))));
  });
}

/**
 * Sign `type` with `fields` (everything but region, signer, nonce, issuedAt) and
 * submit it. Resolves with the API's {id, entries}; rejects with ApiError
 * ('wallet-rejected' when the person cancels).
 */
export async function act(type, fields, extra = {}, via = null) {
  const s = state.session;
  if (!s) throw new ApiError({ status: 401, code: 'unauthenticated' });
  const region = state.region;
  const td = await typedData();
  const signerField = td.signers[type];
  const message = {};
  const full = { region, [signerField]: s.address, nonce: nonce53(), issuedAt: Math.floor(Date.now() / 1000), ...fields };
  for (const { name } of td.types[type]) message[name] = full[name];
  // `via.confirmed`: the page itself showed every field and the person pressed its one
  // button for exactly this record (a check-in, the organiser's attendance list).
  const ok = via && via.confirmed ? true
    : s.managed ? await plainDialog(type, message, fields, extra) : await signDialog(type, message, extra);
  if (!ok) throw new ApiError({ code: s.managed ? 'record-cancelled' : 'sign-cancelled' });
  // The server accepts a message only shortly after it was issued: stamp it now, in
  // case the person took their time reading.
  message.issuedAt = Math.floor(Date.now() / 1000);
  // A check-in (issue 14) sends the claim with the code scanned from the organiser's QR.
  const checkin = via && via.checkin ? `${R(region)}/quests/${fields.quest}/checkins` : null;
  if (s.managed) {
    if (checkin) return post(checkin, { code: via.checkin, fields: Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'quest')) });
    return post(`${R(region)}/managed/${enc(type)}`, { fields });
  }
  const eth = wallet();
  if (!eth) throw new ApiError({ code: 'wallet-failed', detail: t('signin.noWallet') });
  const payload = { types: { EIP712Domain: td.types.EIP712Domain, [type]: td.types[type] }, domain: td.domain, primaryType: type, message };
  let signature;
  try {
    signature = await eth.request({ method: 'eth_signTypedData_v4', params: [s.address, JSON.stringify(payload)] });
  } catch (e) { throw walletError(e); }
  if (checkin) return post(checkin, { code: via.checkin, message, signature });
  return post(R(region) + PATHS[type](fields), { message, signature });
}
