// A member's reading of her name in kana (furigana), optional: a signed `Reading`
// entry, so that the region office finds her by it (admin → members).
import { t } from '../i18n.js';
import { h, field, errorBox, busy, toast, clearErrors, setFieldError } from '../ui.js';
import { state } from '../state.js';
import { act } from '../signer.js';
import { report } from './home.js';

const KANA = /^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\uff66-\uff9f\u30fb\uff65\u3099-\u309c\u3000 ]*$/;

export function readingCard(app) {
  const current = state.me.reading || '';
  const input = h('input', { type: 'text', maxlength: 64, value: current, lang: 'ja', autocomplete: 'off' });
  const box = errorBox();
  const button = h('button', { type: 'submit', class: 'secondary' }, t('save'));
  const form = h('form', { class: 'stack', novalidate: true, 'data-form': 'reading' },
    field(t('reading.label'), input, { name: 'reading', hint: t('reading.hint') }), box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const reading = input.value.trim().replace(/\s+/g, ' ');
    if (!KANA.test(reading)) { setFieldError(form, 'reading', t('reading.notKana')); input.focus(); return; }
    if (reading === current) return;
    await busy(button, async () => {
      try {
        await act('Reading', { reading });
        toast(t('reading.saved'));
        await app.refresh();
      } catch (err) { report(form, box, err); }
    });
  });
  return h('details', { class: 'card reading-card', 'data-testid': 'reading' },
    h('summary', current ? `${t('reading.title')}：${current}` : t('reading.label')), form);
}
