// Small DOM helpers: every text goes in through textContent, never HTML.
export const $ = (id) => document.getElementById(id);

let fieldSeq = 0;

// el('button', { type: 'button', text: 'OK', onclick: f }, child, ...)
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'value') e.value = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...children.flat().filter((c) => c != null && c !== false));
  return e;
}

// A label bound to its control, for forms built in script.
export function field(label, control) {
  if (!control.id) control.id = `f${++fieldSeq}`;
  return el('div', { class: 'field' }, el('label', { for: control.id, text: label }), control);
}

// An error replaces whatever notice was showing, and a notice an error:
// the newest outcome is the one on screen.
export function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
  if (message) {
    clearTimeout(noticeTimer);
    $('notice').hidden = true;
  }
}

let noticeTimer = 0;
export function showNotice(message) {
  $('notice').textContent = message;
  $('notice').hidden = !message;
  if (message) $('error').hidden = true;
  clearTimeout(noticeTimer);
  if (message) noticeTimer = setTimeout(() => { $('notice').hidden = true; }, 8000);
}

// A button that asks for a second press before it acts.
export function confirmButton(label, confirmLabel, action, props = {}) {
  const b = el('button', { type: 'button', ...props, text: label });
  let armed = false;
  b.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      b.textContent = confirmLabel;
      b.classList.add('armed');
      setTimeout(() => { armed = false; b.textContent = label; b.classList.remove('armed'); }, 4000);
      return;
    }
    armed = false;
    action(b);
  });
  return b;
}

// Copies each column's heading onto its cells (data-label), which narrow
// screens show beside the value when a row becomes a card.
export function labelCells(table) {
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const tr of table.querySelectorAll('tbody tr')) {
    [...tr.children].forEach((td, i) => { if (heads[i]) td.dataset.label = heads[i]; });
  }
}
