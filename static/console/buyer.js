// The buyer's side: search the catalogue with its own prices and stock,
// draft an order for one of its stores, place it once.
import { $, el, labelCells, showError, showNotice } from './dom.js';
import { t, vnd, localDay } from './i18n.js';
import { gql, has, session, ApiError } from './api.js';

const SEARCH = `query($q: String!, $stock: Boolean!) { products(first: 25, filter: { search: $q }) { nodes {
  id sku nameVi stars producer { name province }
  offer { unitPrice minimumQuantity quantityIncrement contract }
  stock @include(if: $stock) { location { code name } available } } } }`;

let results = [];
let placedHook = () => {};

export const canOrder = () => has('orders:write') && session.viewer.partner.stores.length > 0;

export function initBuyer(onPlaced) {
  placedHook = onPlaced;
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    search($('search').value.trim());
  });
  $('draft-form').addEventListener('submit', (e) => {
    e.preventDefault();
    placeOrder();
  });
  for (const id of ['store', 'delivery', 'reference']) $(id).addEventListener('change', keepDraftFields);
}

export function resetBuyer() {
  results = [];
  $('results').hidden = true;
  $('empty').hidden = true;
  $('search').value = '';
}

export function renderBuyer() {
  if (!session.viewer) return;
  renderResults();
  $('draft').hidden = !canOrder();
  if (canOrder()) showDraft();
}

async function search(q) {
  try {
    const data = await gql(SEARCH, { q, stock: has('inventory:read') });
    results = data.products.nodes;
  } catch (e) {
    return showError(e.message);
  }
  showError('');
  renderResults();
}

function renderResults() {
  const stock = has('inventory:read');
  $('stock-col').hidden = !stock;
  $('results').querySelector('tbody').replaceChildren(...results.map((p) => el('tr', {},
    el('td', { text: `${p.nameVi} (${p.sku})` }),
    el('td', { text: '★'.repeat(p.stars), 'aria-label': `${p.stars} ${t('stars')}` }),
    el('td', { text: p.producer.name }),
    el('td', { text: p.producer.province }),
    el('td', { class: 'num', text: `${vnd(p.offer.unitPrice)} (${t(p.offer.contract ? 'contract' : 'list')})` }),
    el('td', { class: 'num', text: `${p.offer.minimumQuantity} (${t('step')} ${p.offer.quantityIncrement})` }),
    stock && el('td', {}, el('div', { class: 'levels' }, (p.stock ?? []).map((s) =>
      el('span', { class: 'level', title: s.location.name, text: `${s.location.code}: ${s.available}` })))),
    canOrder() && el('td', {}, el('button', { type: 'button', class: 'add', text: t('add'),
      'aria-label': `${t('add')}: ${p.nameVi}`, onclick: () => addToDraft(p) })),
  )));
  labelCells($('results'));
  $('results').hidden = results.length === 0;
  $('empty').hidden = results.length !== 0 || !$('search').value;
}

// ---- The order being drafted -------------------------------------------
// Kept per partner in sessionStorage, with its idempotency key: a double
// click, a retry after a timeout or a reload places the order once.

const draftKey = () => `ocop.draft.${session.claims.sub}`;

function newDraft() {
  return { key: crypto.randomUUID(), lines: [], store: '', delivery: localDay(1), reference: '' };
}

function loadDraft() {
  try {
    return JSON.parse(sessionStorage.getItem(draftKey())) ?? newDraft();
  } catch {
    return newDraft();
  }
}

function saveDraft(draft) {
  sessionStorage.setItem(draftKey(), JSON.stringify(draft));
}

function addToDraft(p) {
  const draft = loadDraft();
  const line = draft.lines.find((l) => l.id === p.id);
  if (line) line.qty += p.offer.quantityIncrement;
  else draft.lines.push({ id: p.id, sku: p.sku, name: p.nameVi, price: p.offer.unitPrice,
    min: p.offer.minimumQuantity, inc: p.offer.quantityIncrement, qty: p.offer.minimumQuantity });
  saveDraft(draft);
  showDraft();
}

function changeDraft(f) {
  const d = loadDraft();
  f(d);
  saveDraft(d);
  showDraft();
}

function showDraft() {
  const draft = loadDraft();
  $('store').replaceChildren(...session.viewer.partner.stores.map((s) =>
    el('option', { value: s.id, text: `${s.name} (${s.code})` })));
  if (draft.store) $('store').value = draft.store;
  $('delivery').value = draft.delivery;
  $('delivery').min = localDay(0);
  $('reference').value = draft.reference;
  $('draft-lines').querySelector('tbody').replaceChildren(...draft.lines.map((l, i) => el('tr', {},
    el('td', { text: `${l.name} (${l.sku})` }),
    el('td', {}, el('input', { type: 'number', min: l.min, step: l.inc, value: l.qty,
      'aria-label': `${t('quantity')}: ${l.name}`,
      onchange: (e) => changeDraft((d) => { d.lines[i].qty = Number(e.target.value); }) })),
    el('td', { class: 'num', text: vnd(l.price * l.qty) }),
    el('td', {}, el('button', { type: 'button', text: t('remove'), 'aria-label': `${t('remove')}: ${l.name}`,
      onclick: () => changeDraft((d) => d.lines.splice(i, 1)) })),
  )));
  labelCells($('draft-lines'));
  $('draft-total').textContent = vnd(draft.lines.reduce((n, l) => n + l.price * l.qty, 0));
}

function keepDraftFields() {
  const d = loadDraft();
  d.store = $('store').value;
  d.delivery = $('delivery').value;
  d.reference = $('reference').value.trim();
  saveDraft(d);
  return d;
}

// INSUFFICIENT_STOCK as a sentence naming the product (from the draft)
// and, when the token may see stock, how many can be had.
function stockSentence(e, draft) {
  const line = draft.lines.find((l) => l.id === e.extensions.productId);
  if (!line || e.extensions.requestedQuantity == null) return e.message;
  const vars = { p: line.name, r: e.extensions.requestedQuantity, a: e.extensions.availableQuantity };
  return t(vars.a == null ? 'insufficientBlind' : 'insufficientSeen', vars);
}

async function placeOrder() {
  const draft = keepDraftFields();
  if (draft.lines.length === 0) return showError(t('emptyDraft'));
  for (const l of draft.lines) {
    if (!(l.qty >= l.min && l.qty % l.inc === 0)) {
      return showError(t('quantityRule', { p: l.name, m: l.min, i: l.inc }));
    }
  }
  // The form is checked here, in the console's words, not by the browser.
  if (!draft.reference?.trim()) return showError(t('referenceNeeded'));
  if (!draft.delivery) return showError(t('deliveryNeeded'));
  $('place').disabled = true;
  try {
    const data = await gql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id buyerReference } } }`,
      { input: {
        idempotencyKey: draft.key,
        buyerReference: draft.reference,
        storeId: draft.store,
        requestedDeliveryDate: draft.delivery,
        lines: draft.lines.map((l) => ({ productId: l.id, quantity: l.qty })),
      } });
    const order = data.placeOrder.order;
    saveDraft(newDraft());
    showDraft();
    showError('');
    showNotice(t('placed', { r: order.buyerReference }));
    placedHook(order.id);
  } catch (e) {
    showError(e instanceof ApiError && e.code === 'INSUFFICIENT_STOCK' ? stockSentence(e, draft) : e.message);
  } finally {
    $('place').disabled = false;
  }
}
