// 話し合い・投票: proposals open and closed, voting (one tap for a single choice, tap in
// order to rank, a running total against the budget), results with bars and the
// instant-runoff rounds. Managed members vote exactly as wallet users do (act()).
import { t } from '../i18n.js';
import { get, R } from '../api.js';
import { h, card, errorBox, busy, toast, chip, fmtDateTime, fmtNum, emptyState, field, clearErrors, setFieldError } from '../ui.js';
import { state, nameOf, hasRole, policy } from '../state.js';
import { act } from '../signer.js';
import { report } from './home.js';

const METHODS = ['for-against', 'single', 'approval', 'ranked', 'budget'];

function label(p, i) {
  return p.method === 'for-against' ? t('decide.fa.' + ['for', 'against', 'abstain'][i]) : p.choices[i];
}

function statusChip(status) {
  const kind = { open: 'ok', upcoming: 'wait', closed: 'wait', decided: '', withdrawn: 'bad', cancelled: 'bad' }[status] || '';
  return chip(t('decide.status.' + status), kind);
}

export async function viewDecide(root, params, app) {
  const id = params.get('id');
  if (id) { await viewOne(root, id, app); return; }
  if (params.get('new') !== null) { newProposal(root, app); return; }
  const [open, closed] = await Promise.all([
    get(`${R(state.region)}/proposals?status=open&limit=50`),
    get(`${R(state.region)}/proposals?status=closed&limit=50`),
  ]);
  const gov = (policy() || {}).governance || { proposeLevel: 2 };
  const mayPropose = state.me && (hasRole('admin') || state.me.level >= gov.proposeLevel);
  root.append(h('h1', t('nav.decide')), card(h('p', t('decide.intro')),
    mayPropose ? h('a', { class: 'button primary', href: '#/decide?new', 'data-action': 'propose' }, t('decide.propose'))
      : h('p', { class: 'muted small' }, t('decide.proposeLevel', { n: gov.proposeLevel }))));
  for (const [title, page] of [[t('decide.open'), open], [t('decide.closed'), closed]]) {
    root.append(h('h2', title));
    if (!page.items.length) { root.append(emptyState(t('decide.none'))); continue; }
    root.append(h('ul', { class: 'claims' }, page.items.map((p) => h('li', h('article', { class: 'claim', 'data-proposal': p.id },
      h('div', { class: 'claim-head' }, h('h3', h('a', { href: `#/decide?id=${p.id}` }, p.title)), statusChip(p.status)),
      h('p', { class: 'meta' }, `${t('decide.method.' + p.method)} · ${t('decide.until', { when: fmtDateTime(p.closesAt) })} · ${t('decide.voted', { n: p.votes })}`))))));
  }
}

async function viewOne(root, id, app) {
  const me = state.me ? state.me.address : null;
  const q = new URLSearchParams();
  if (me) q.set('voter', me);
  if (me && hasRole('admin')) q.set('admin', me);
  const p = await get(`${R(state.region)}/proposals/${id}?${q}`);
  root.append(h('p', h('a', { href: '#/decide' }, '← ', t('nav.decide'))),
    h('h1', p.title), h('p', statusChip(p.status), ' ', t('decide.method.' + p.method)),
    card(h('div', { class: 'proposal-text' }, p.text),
      h('p', { class: 'meta' }, `${t('decide.by', { name: nameOf(p.proposer) })} · ${fmtDateTime(p.opensAt)} – ${fmtDateTime(p.closesAt)}`),
      h('p', { class: 'meta', 'data-testid': 'participation' }, t('decide.participation', { voters: p.participation.voters, eligible: p.eligible.voters }))));
  if (p.reason) root.append(card(h('p', t('decide.endedWhy', { reason: p.reason }))));
  if (p.status === 'open' && me) root.append(ballotCard(p, app));
  else if (p.status === 'open' && !state.session) root.append(card(h('p', t('signin.needed')), h('a', { class: 'button', href: '#/signin' }, t('signIn'))));
  root.append(resultCard(p));
  if (p.health) root.append(healthCard(p.health));
  if (me && ['open', 'upcoming'].includes(p.status)) {
    if (p.proposer === me && !p.participation.votes) root.append(endCard(p, 'Withdrawal', app));
    if (hasRole('admin')) root.append(endCard(p, 'Cancellation', app));
  }
}

async function send(p, ballot, button, form, box, app) {
  box.hidden = true;
  const words = p.method === 'ranked' ? ballot.map((i, n) => `${n + 1}. ${label(p, i)}`).join(' / ')
    : ballot.map((i) => label(p, i)).join('、') || t('decide.empty');
  await busy(button, async () => {
    try {
      await act('Vote', { proposal: p.id, ballot }, { proposalTitle: p.title, ballotText: words });
      toast(t('decide.thanks'));
      await app.refresh();
    } catch (err) { report(form, box, err); }
  });
}

function ballotCard(p, app) {
  const box = errorBox();
  const form = h('form', { class: 'stack ballot', novalidate: true, 'data-form': 'vote' });
  const mine = p.myBallot;
  const intro = h('p', { class: 'muted' }, mine ? t('decide.yourVote', { vote: mine.map((i) => label(p, i)).join(p.method === 'ranked' ? ' → ' : '、') || t('decide.empty') }) : t('decide.howTo.' + p.method));
  form.append(intro);
  const n = p.method === 'for-against' ? 3 : p.choices.length;
  if (p.method === 'for-against' || p.method === 'single') {
    // one tap: each choice is its own button
    for (let i = 0; i < n; i += 1) {
      const b = h('button', { type: 'button', class: 'choice big', 'data-choice': i }, label(p, i));
      b.addEventListener('click', () => send(p, [i], b, form, box, app));
      form.append(b);
    }
    form.append(box);
    return card(h('h2', t('decide.vote')), form);
  }
  const submit = h('button', { type: 'submit', class: 'primary' }, t('decide.send'));
  let picked = [];
  if (p.method === 'ranked') {
    const order = h('ol', { class: 'ranking', 'data-testid': 'ranking' });
    const buttons = [];
    const redraw = () => {
      order.replaceChildren(...picked.map((i) => h('li', label(p, i))));
      buttons.forEach((b, i) => {
        const at = picked.indexOf(i);
        b.querySelector('.rank').textContent = at >= 0 ? String(at + 1) : '';
        b.setAttribute('aria-pressed', at >= 0 ? 'true' : 'false');
      });
    };
    for (let i = 0; i < n; i += 1) {
      const b = h('button', { type: 'button', class: 'choice', 'data-choice': i, 'aria-pressed': 'false' }, h('span', { class: 'rank', 'aria-hidden': 'true' }), label(p, i));
      b.addEventListener('click', () => { picked = picked.includes(i) ? picked.filter((x) => x !== i) : [...picked, i]; redraw(); });
      buttons.push(b);
    }
    const reset = h('button', { type: 'button', class: 'secondary', onclick: () => { picked = []; redraw(); } }, t('decide.clear'));
    form.append(...buttons, h('p', { class: 'muted small' }, t('decide.yourOrder')), order, reset);
  } else {
    const total = h('p', { class: 'budget', 'data-testid': 'running-total', 'aria-live': 'polite' });
    const over = h('p', { class: 'field-error', 'data-testid': 'over-budget', hidden: true });
    const boxes = [];
    const redraw = () => {
      picked = boxes.map((c, i) => (c.checked ? i : -1)).filter((i) => i >= 0);
      if (p.method !== 'budget') return;
      const sum = picked.reduce((a, i) => a + p.costs[i], 0);
      total.textContent = t('decide.total', { sum: fmtNum(sum), budget: fmtNum(p.budget) });
      total.classList.toggle('over', sum > p.budget);
      // why the button can't be pressed, in plain words
      over.textContent = sum > p.budget ? t('decide.over', { n: fmtNum(sum - p.budget) }) : '';
      over.hidden = sum <= p.budget;
      submit.disabled = sum > p.budget;
    };
    for (let i = 0; i < n; i += 1) {
      const c = h('input', { type: 'checkbox', 'data-choice': i, checked: mine ? mine.includes(i) : false, onchange: redraw });
      boxes.push(c);
      form.append(h('label', { class: 'choice check' }, c, ' ', label(p, i), p.method === 'budget' ? h('span', { class: 'muted' }, ` ${fmtNum(p.costs[i])}`) : null));
    }
    if (p.method === 'budget') form.append(total, over);
    redraw();
  }
  form.append(box, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (e) => { e.preventDefault(); send(p, picked, submit, form, box, app); });
  return card(h('h2', t('decide.vote')), form);
}

function bars(p, r) {
  const top = Math.max(1, ...r.totals);
  return h('ul', { class: 'bars', 'data-testid': 'result-bars' }, r.totals.map((v, i) => {
    const bar = h('span', { class: 'bar' });
    bar.style.setProperty('--w', `${(100 * v) / top}%`); // CSSOM: the CSP refuses style attributes
    return h('li', { 'data-choice': i, class: r.winners.includes(i) ? 'win' : '' },
      h('span', { class: 'bar-label' }, r.winners.includes(i) ? '✓ ' : '', label(p, i)),
      bar, h('span', { class: 'bar-value' }, fmtNum(v)));
  }));
}

function resultCard(p) {
  const r = p.result;
  if (!r) return card(h('h2', t('decide.result')), h('p', { 'data-testid': 'hidden-totals' }, t('decide.hidden')));
  const parts = [h('h2', p.provisional ? t('decide.running') : t('decide.result'))];
  parts.push(h('p', { 'data-testid': 'verdict', class: r.passed ? 'ok' : '' },
    r.passed ? t('decide.passed') : t('decide.notPassed'), ' · ',
    r.quorum.reached ? t('decide.quorumOk') : t('decide.quorumNo', { need: r.quorum.power })));
  parts.push(bars(p, r));
  if (r.rounds && r.rounds.length > 1) {
    parts.push(h('h3', t('decide.rounds')), h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'rounds' },
      h('thead', h('tr', h('th', t('decide.round')), p.choices.map((c) => h('th', c)), h('th', t('decide.exhausted')))),
      h('tbody', r.rounds.map((x, n) => h('tr', h('th', String(n + 1)), x.counts.map((v, i) => h('td', { class: x.eliminated === i ? 'out' : '' }, v === null ? '—' : fmtNum(v))), h('td', fmtNum(x.exhausted))))))));
  }
  if (r.method === 'budget') {
    const names = (list) => list.map((i) => p.choices[i]).join('、') || t('none');
    parts.push(h('p', { 'data-testid': 'funded' }, t('decide.funded', { list: names(r.winners), spent: fmtNum(r.spent), budget: fmtNum(r.budget) })),
      h('p', { class: 'muted small' }, t('decide.greedy', { list: names(r.greedy), spent: fmtNum(r.greedySpent) })));
  }
  return card(...parts);
}

function healthCard(x) {
  return card(h('h2', t('decide.health')), h('dl', { class: 'sign-fields', 'data-testid': 'health' },
    h('dt', t('decide.turnout')), h('dd', `${x.turnoutPercent}%`),
    h('dt', t('decide.top10')), h('dd', `${x.top10Percent}%`),
    h('dt', t('decide.nakamoto')), h('dd', String(x.nakamoto)),
    h('dt', t('decide.changed')), h('dd', String(x.changedLast24h))));
}

function endCard(p, type, app) {
  const reason = h('input', { type: 'text', maxlength: 500 });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'secondary' }, t('decide.end.' + type));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': type.toLowerCase() }, field(t('decide.reason.' + type), reason, { name: 'reason' }), box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    // a cancellation needs a reason (the service refuses one without): say so before
    // anyone is asked to sign it
    if (type === 'Cancellation' && !reason.value.trim()) { setFieldError(form, 'reason', t('decide.reasonNeeded')); reason.focus(); return; }
    await busy(button, async () => {
      try {
        await act(type, { proposal: p.id, reason: reason.value.trim() }, { proposalTitle: p.title });
        await app.refresh();
      } catch (err) { report(form, box, err); }
    });
  });
  return card(form);
}

function newProposal(root, app) {
  const title = h('input', { type: 'text', maxlength: 200, required: true });
  const text = h('textarea', { rows: 6, maxlength: 8000 });
  const method = h('select', METHODS.map((m) => h('option', { value: m }, t('decide.method.' + m))));
  const choices = h('textarea', { rows: 4, placeholder: t('decide.choicesHint') });
  const budget = h('input', { type: 'number', min: 1, inputmode: 'numeric' });
  const days = h('input', { type: 'number', min: 1, max: 60, value: 7, inputmode: 'numeric' });
  const hide = h('input', { type: 'checkbox' });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary' }, t('decide.propose'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'proposal' },
    field(t('decide.f.title'), title, { name: 'title' }), field(t('decide.f.text'), text, { name: 'text' }),
    field(t('decide.f.method'), method, { name: 'method' }), field(t('decide.f.choices'), choices, { name: 'choices', hint: t('decide.choicesHint') }),
    field(t('decide.f.budget'), budget, { name: 'budget' }), field(t('decide.f.days'), days, { name: 'closesAt' }),
    h('label', { class: 'check' }, hide, ' ', t('decide.f.hide')), box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const m = method.value;
    const lines = m === 'for-against' ? [] : choices.value.split('\n').map((x) => x.trim()).filter(Boolean);
    const names = m === 'budget' ? lines.map((x) => x.replace(/[=＝:：]\s*[\d,]+$/, '').trim()) : lines;
    const costs = m === 'budget' ? lines.map((x) => Number((/([\d,]+)$/.exec(x) || ['', '0'])[1].replace(/,/g, ''))) : [];
    const now = Math.floor(Date.now() / 1000);
    await busy(button, async () => {
      try {
        const out = await act('Proposal', {
          title: title.value.trim(), text: text.value.trim(), method: m, choices: names, costs,
          budget: m === 'budget' ? Number(budget.value || 0) : 0, opensAt: now,
          closesAt: now + Number(days.value || 7) * 86400, hideTotals: hide.checked,
        });
        toast(t('decide.proposed'));
        app.go(`decide?id=${out.id}`);
      } catch (err) { report(form, box, err); }
    });
  });
  root.append(h('h1', t('decide.propose')), card(form));
}
