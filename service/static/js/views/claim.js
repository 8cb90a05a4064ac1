import { t, category } from '../i18n.js';
import { get, put, R } from '../api.js';
import { h, card, field, errorBox, busy, toast, clearErrors, setFieldError, fmtMinutes } from '../ui.js';
import { state, policy } from '../state.js';
import { act } from '../signer.js';
import { detailsHash, hex } from '../hash.js';
import { report } from './home.js';

const ZERO32 = '0x' + '00'.repeat(32);

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Unix time of a chosen date: noon that day, or now if that is still to come. */
function dateToUnix(value) {
  const [y, m, d] = value.split('-').map(Number);
  const noon = new Date(y, m - 1, d, 12, 0, 0).getTime() / 1000;
  return Math.floor(Math.min(noon, Date.now() / 1000 - 60));
}

/** A picture made smaller (longest side 1280 px, JPEG) so it fits in a request. */
async function shrink(file) {
  const url = URL.createObjectURL(file);
  try {
    const img = await new Promise((resolve, reject) => {
      const im = new Image();
      im.onload = () => resolve(im); im.onerror = () => reject(new Error('not an image'));
      im.src = url;
    });
    const scale = Math.min(1, 1280 / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    const dataUrl = canvas.toDataURL('image/jpeg', 0.82);
    return { name: file.name.replace(/\.[^.]+$/, '') + '.jpg', type: 'image/jpeg', data: dataUrl.split(',')[1], preview: dataUrl };
  } finally { URL.revokeObjectURL(url); }
}

export async function viewClaim(root, params, app) {
  const pol = policy();
  const quests = (await get(`${R(state.region)}/quests?open=true&limit=100`)).items;
  const members = [...state.names.entries()].filter(([a]) => a !== state.me.address);

  const title = h('input', { type: 'text', maxlength: 200, placeholder: t('claim.whatHint') });
  const cat = h('select', Object.keys(pol.categories).map((c) => h('option', { value: c }, category(c))));
  const date = h('input', { type: 'date', value: today(), max: today() });
  // Time spent is one number of minutes (nothing to add up, nothing pre-filled), with
  // the usual lengths one tap away and the total read back in hours and minutes.
  const mins = h('input', { type: 'number', min: 1, max: (pol.maxMinutes || 1440), step: 1, inputmode: 'numeric', class: 'short', 'aria-describedby': 'minutes-hint minutes-is' });
  const minutesIs = h('p', { class: 'minutes-is', id: 'minutes-is', 'aria-live': 'polite' });
  const presets = h('div', { class: 'presets', role: 'group', 'aria-label': t('claim.time') },
    [30, 60, 90, 120, 180, 240].map((m) => h('button', {
      type: 'button', class: 'preset secondary', 'data-minutes': m, 'aria-pressed': 'false',
      onclick: () => { mins.value = String(m); mins.dispatchEvent(new Event('input')); },
    }, fmtMinutes(m))));
  const minutesOf = () => { const v = Number(mins.value); return Number.isInteger(v) && v > 0 ? v : 0; };
  const showMinutes = () => {
    const m = minutesOf();
    minutesIs.textContent = m ? t('claim.minutesIs', { time: fmtMinutes(m) }) : '';
    for (const b of presets.children) b.setAttribute('aria-pressed', String(Number(b.dataset.minutes) === m));
  };
  mins.addEventListener('input', showMinutes);
  const quest = h('select', h('option', { value: ZERO32 }, t('claim.noQuest')),
    quests.map((q) => h('option', { value: q.id, selected: params.get('quest') === q.id }, `${q.title} (+${q.points})`)));
  const search = h('input', { type: 'search', placeholder: t('claim.search'), 'aria-label': t('claim.search') });
  const people = h('div', { class: 'people', role: 'group', 'aria-label': t('claim.with') },
    members.map(([addr, name]) => h('label', { class: 'person', 'data-name': name.toLowerCase() },
      h('input', { type: 'checkbox', value: addr }), ' ', name)));
  // A long list is not a scroll box inside the page: the first few names, the ones
  // ticked, and whoever the search finds; "show everyone" for the rest.
  const FEW = 12;
  let everyone = members.length <= FEW;
  const showAll = h('button', { type: 'button', class: 'secondary', 'data-action': 'everyone' }, t('claim.everyone', { n: members.length }));
  const filter = () => {
    const q = search.value.trim().toLowerCase();
    [...people.children].forEach((el, i) => {
      const ticked = el.querySelector('input').checked;
      el.hidden = q ? !el.dataset.name.includes(q) && !ticked : !(everyone || i < FEW || ticked);
    });
    showAll.hidden = everyone || !!q;
  };
  showAll.addEventListener('click', () => { everyone = true; filter(); });
  search.addEventListener('input', filter);
  filter();
  const text = h('textarea', { rows: 4, maxlength: 20000 });
  const photo = h('input', { type: 'file', accept: 'image/*' });
  const preview = h('div', { class: 'photo-preview' });
  let file = null;
  photo.addEventListener('change', async () => {
    preview.replaceChildren();
    file = null;
    setFieldError(form, 'photo', '');
    if (!photo.files[0]) return;
    try {
      file = await shrink(photo.files[0]);
      preview.append(h('img', { src: file.preview, alt: '' }),
        h('button', { type: 'button', class: 'link', onclick: () => { file = null; photo.value = ''; preview.replaceChildren(); } }, t('claim.removePhoto')));
    } catch { setFieldError(form, 'photo', t('claim.photoBad')); }
  });
  const estimate = h('p', { class: 'estimate', 'aria-live': 'polite' });
  const update = () => {
    const rate = pol.categories[cat.value] || { base: 0, perHour: 0 };
    const minutes = minutesOf();
    const q = quests.find((x) => x.id === quest.value);
    const pts = Math.min(rate.base + Math.floor((minutes * rate.perHour) / 60) + (q ? q.points : 0), pol.caps.claim);
    estimate.textContent = t('claim.estimate', { n: pts });
  };
  for (const el of [cat, mins, quest]) el.addEventListener('input', update);
  quest.addEventListener('change', () => {
    const q = quests.find((x) => x.id === quest.value);
    if (q && pol.categories[q.category]) cat.value = q.category;
    update();
  });
  if (params.get('quest')) quest.dispatchEvent(new Event('change'));
  update();

  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'primary big' }, state.session.managed ? t('claim.submitPlain') : t('claim.submit'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'claim' },
    field(t('claim.what'), title, { name: 'title' }),
    h('div', { class: 'row' }, field(t('claim.category'), cat, { name: 'category' }), field(t('claim.date'), date, { name: 'occurredAt' })),
    h('div', { class: 'field', 'data-field': 'minutes' },
      h('label', { for: 'claim-minutes' }, t('claim.minutesLabel')),
      h('p', { class: 'hint', id: 'minutes-hint' }, t('claim.minutesHint')),
      presets,
      h('div', { class: 'inline' }, Object.assign(mins, { id: 'claim-minutes' }), h('span', t('claim.minutes')), minutesIs),
      h('p', { class: 'field-error', role: 'alert', hidden: true })),
    field(t('claim.quest'), quest, { name: 'quest' }),
    h('div', { class: 'field', 'data-field': 'coContributors' }, h('span', { class: 'label' }, t('claim.with')),
      h('p', { class: 'hint' }, t('claim.withHint')), members.length > 8 ? search : '', people, members.length > FEW ? showAll : '',
      h('p', { class: 'field-error', role: 'alert', hidden: true })),
    h('fieldset', { class: 'private' }, h('legend', t('claim.private')), h('p', { class: 'hint' }, t('claim.privateHint')),
      field(t('mine.details'), text, { name: 'text' }),
      // the browser's own file button speaks the browser's language; this one the page's
      h('div', { class: 'field', 'data-field': 'photo' }, h('span', { class: 'label' }, t('claim.photo')),
        h('p', { class: 'hint' }, t('claim.photoHint')),
        h('label', { class: 'button secondary file-button' }, t('claim.choosePhoto'), photo),
        h('p', { class: 'field-error', role: 'alert', hidden: true })), preview),
    estimate, box, h('div', { class: 'actions' }, button));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const minutes = minutesOf();
    const problems = [];
    if (!title.value.trim()) problems.push(['title', t('claim.titleRequired'), title]);
    if (!date.value) problems.push(['occurredAt', t('claim.dateRequired'), date]);
    else if (date.value > today()) problems.push(['occurredAt', t('claim.dateFuture'), date]);
    if (!(minutes >= 1)) problems.push(['minutes', t('claim.timeRequired'), mins]);
    if (problems.length) {
      for (const [n, msg] of problems) setFieldError(form, n, msg);
      problems[0][2].focus();
      return;
    }
    const co = [...people.querySelectorAll('input:checked')].map((i) => i.value);
    await busy(button, async () => {
      try {
        let digest = ZERO32;
        if (text.value.trim() || file) {
          const details = { files: file ? [{ data: file.data, name: file.name, type: file.type }] : [], text: text.value.trim() };
          const salt = crypto.getRandomValues(new Uint8Array(32));
          digest = await detailsHash(salt, details);
          await put(`${R(state.region)}/details/${digest}`, { salt: hex(salt), details });
        }
        const q = quests.find((x) => x.id === quest.value);
        const out = await act('Claim', {
          category: cat.value, title: title.value.trim(), minutes, occurredAt: dateToUnix(date.value),
          quest: quest.value, coContributors: co, detailsHash: digest,
        }, { questTitle: q && q.title });
        toast(t('claim.done'));
        app.go('mine?new=' + (out.id || ''));
      } catch (err) { report(form, box, err); }
    });
  });

  root.append(h('h1', t('claim.title')), h('p', { class: 'lead' }, t('claim.intro')), card(form));
  if (!params.get('quest')) title.focus({ preventScroll: true }); // the first thing to type: no tap
}
