// What a phone layout for older members must not have (issue 12 §4), in the page:
// interactive elements under 48 px, text under 16 px, scroll boxes inside the page,
// bottom-bar labels on more than one line (or cut off), and anything sticking out sideways. Evaluated by tests/browser/test_plain_phone.py.
() => {
  const shown = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && cs.visibility !== 'hidden'; };
  const name = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''}` +
    ` "${(el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30)}"`;
  const small = [], tiny = [], boxes = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!shown(el) || el.closest('svg')) continue;
    const target = el.matches('input[type=radio], input[type=checkbox]') ? (el.closest('label') || el) : el;
    const r = target.getBoundingClientRect();
    if (r.height < 47.5 || r.width < 47.5) small.push(`${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') || !shown(el)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && parseFloat(getComputedStyle(el).fontSize) < 15.5) tiny.push(`${name(el)} ${getComputedStyle(el).fontSize}`);
    const cs = getComputedStyle(el);
    const scrollsY = /(auto|scroll)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 1;
    const scrollsX = /(auto|scroll)/.test(cs.overflowX) && el.scrollWidth > el.clientWidth + 1;
    if ((scrollsX || scrollsY) && el.tagName !== 'DIALOG') boxes.push(name(el));
  }
  // a label's lines: the distinct tops of its text's boxes
  const wrapped = [];
  for (const el of document.querySelectorAll('#nav .nav-label')) {
    if (!shown(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
    const link = el.closest('a').getBoundingClientRect(), r = el.getBoundingClientRect();
    if (tops.size > 1 || el.scrollWidth > el.clientWidth + 1 || r.left < link.left - 0.5 || r.right > link.right + 0.5)
      wrapped.push(`${name(el)} ${tops.size} lines, ${Math.round(r.width)} px in ${Math.round(link.width)} px`);
  }
  const wide = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  return { small, tiny, boxes, wrapped, wide };
}
