// Stock running low, by location: `lowStock` for the picture, then every
// `stockChanged` event moves the numbers in place (and a level that falls
// below its reorder point joins the table), so the operator sees stock
// fall as orders reserve it.
import { $, el, labelCells, showError, showNotice } from './dom.js';
import { t, num } from './i18n.js';
import { gql, has } from './api.js';

const rows = new Map();
let locationsLoaded = false;

const key = (productId, locationId) => `${productId}|${locationId}`;

export function initStock() {
  $('stock-form').addEventListener('submit', (e) => {
    e.preventDefault();
    loadStock();
  });
  for (const id of ['stock-location', 'stock-cover']) $(id).addEventListener('change', loadStock);
}

export function resetStock() {
  rows.clear();
  locationsLoaded = false;
  $('low-stock').querySelector('tbody').replaceChildren();
}

export async function startStock(live) {
  await loadStock();
  if (!has('inventory:read')) return;
  live.subscribe('stock', () => ({
    query: `subscription { stockChanged { product { id sku nameVi } location { id code name }
      available reorderPoint lowStock } }`,
  }), (data) => changed(data.stockChanged));
}

export const reloadStock = () => loadStock();

async function loadStock() {
  const location = $('stock-location').value || null;
  const cover = $('stock-cover').value;
  try {
    const data = await gql(`query($loc: ID, $max: Int, $locs: Boolean!) {
      locations @include(if: $locs) { id code name }
      lowStock(locationId: $loc, maxDaysOfCover: $max) { product { id sku nameVi } location { id code name }
        available dailyUnits daysOfCover } }`,
    { loc: location, max: cover ? Number(cover) : null, locs: !locationsLoaded });
    if (data.locations) {
      locationsLoaded = true;
      $('stock-location').append(...data.locations.map((l) => el('option', { value: l.id, text: `${l.name} (${l.code})` })));
    }
    rows.clear();
    for (const r of data.lowStock) rows.set(key(r.product.id, r.location.id), { ...r, low: false });
    showError('');
  } catch (e) {
    showError(e.message);
  }
  renderStock();
}

function changed(ev) {
  if (!ev.product || !ev.location) return;
  const k = key(ev.product.id, ev.location.id);
  const row = rows.get(k);
  if (row) {
    row.available = ev.available;
    row.daysOfCover = row.dailyUnits > 0 ? Math.round((ev.available / row.dailyUnits) * 10) / 10 : null;
    row.low = ev.lowStock;
    row.changed = true;
  } else if (ev.lowStock && [ev.location.id, ''].includes($('stock-location').value)) {
    rows.set(k, { product: ev.product, location: ev.location, available: ev.available,
      dailyUnits: null, daysOfCover: null, low: true, changed: true });
  } else {
    return;
  }
  renderStock();
}

// The operator restocks a level from its row; the new number arrives as
// a stockChanged event like any other change.
function receiveControls(r) {
  const qty = el('input', { type: 'number', class: 'receive-qty', min: 1, max: 1000000, step: 1,
    'aria-label': `${t('receiveQty')}: ${r.product.nameVi} (${r.location.code})` });
  const button = el('button', { type: 'button', class: 'receive', text: t('receive') });
  button.addEventListener('click', async () => {
    const n = Number(qty.value);
    if (!(n >= 1)) return qty.focus();
    button.disabled = true;
    try {
      await gql(`mutation($p: ID!, $l: ID!, $n: Int!) { receiveStock(input: {
        productId: $p, locationId: $l, quantity: $n, reason: "console" }) { available } }`,
      { p: r.product.id, l: r.location.id, n });
      showError('');
      showNotice(t('received', { n, p: r.product.nameVi, l: r.location.code }));
      qty.value = '';
    } catch (e) {
      showError(e.message);
    } finally {
      button.disabled = false;
    }
  });
  return el('div', { class: 'actions' }, qty, button);
}

export function renderStock() {
  // A quantity being typed survives the redraw a live event causes.
  const typed = new Map([...$('low-stock').querySelectorAll('tbody tr')]
    .map((tr) => [key(tr.dataset.product, tr.dataset.location), tr.querySelector('.receive-qty')?.value]));
  const sorted = [...rows.values()].sort((a, b) => (a.daysOfCover ?? Infinity) - (b.daysOfCover ?? Infinity)
    || a.available - b.available);
  $('low-stock').querySelector('tbody').replaceChildren(...sorted.map((r) => {
    const tr = el('tr', { dataset: { product: r.product.id, location: r.location.id, sku: r.product.sku },
      class: [r.daysOfCover != null && r.daysOfCover <= 7 ? 'urgent' : '', r.changed ? 'changed' : ''].join(' ').trim() || null },
    el('td', { text: `${r.product.nameVi} (${r.product.sku})` }),
    el('td', { text: r.location.code, title: r.location.name }),
    el('td', { class: 'num available', text: num(r.available) }),
    el('td', { class: 'num', text: r.dailyUnits == null ? '–' : num(r.dailyUnits, 2) }),
    el('td', { class: 'num', text: r.daysOfCover == null ? '–' : t('days', { n: num(r.daysOfCover, 1) }) }),
    el('td', {}, r.low && el('span', { class: 'badge', text: t('belowReorder') })),
    has('inventory:write') && el('td', {}, receiveControls(r)));
    r.changed = false;
    const quantity = tr.querySelector('.receive-qty');
    if (quantity) quantity.value = typed.get(key(r.product.id, r.location.id)) ?? '';
    return tr;
  }));
  labelCells($('low-stock'));
  $('low-stock').hidden = rows.size === 0;
  $('no-low-stock').hidden = rows.size > 0;
}
