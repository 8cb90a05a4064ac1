// Every place of the app in one list (on a phone the bottom bar shows the main four),
// and the settings this device remembers: text size and language.
import { t, lang, setLang } from '../i18n.js';
import { h, card } from '../ui.js';
import { TEXT_SIZES, textSize, setTextSize } from '../state.js';
import { icon } from '../icons.js';

export async function viewMenu(root, _params, app) {
  const places = app.places().filter((p) => p.path !== 'menu');
  root.append(h('h1', t('menu.title')),
    h('nav', { class: 'card menu-list', 'aria-label': t('menu.places') }, h('ul', places.map((p) => h('li',
      h('a', { href: '#/' + p.path, 'data-place': p.path || 'home' },
        h('span', { class: 'nav-icon', 'aria-hidden': 'true' }, icon(p.nav)), h('span', t('nav.' + p.nav))))))));
  const sizes = h('div', { class: 'choices segmented', role: 'radiogroup', 'aria-label': t('text.size') },
    TEXT_SIZES.map((size) => h('label', { class: `size-${size}` },
      h('input', { type: 'radio', name: 'text-size', value: size, checked: textSize() === size,
        onchange: () => setTextSize(size) }), ' ', t('text.' + size))));
  const langs = h('div', { class: 'choices segmented', role: 'radiogroup', 'aria-label': t('language') },
    [['ja', '日本語'], ['en', 'English']].map(([code, name]) => h('label',
      h('input', { type: 'radio', name: 'lang', value: code, checked: lang() === code,
        onchange: () => { setLang(code); app.render(); } }), ' ', name)));
  root.append(card(h('h2', t('menu.settings')),
    h('fieldset', { class: 'choices', 'data-setting': 'text-size' }, h('legend', t('text.size')), sizes,
      h('p', { class: 'hint' }, t('text.saved'))),
    h('fieldset', { class: 'choices', 'data-setting': 'lang' }, h('legend', t('language')), langs)));
}
