// Stock running low, by location: `lowStock` for the picture, then every
// `stockChanged` event moves the numbers in place (and a level that falls
// below its reorder point joins the table), so the operator sees stock
// fall as orders reserve it.
import { $, el, labelCells, showError } from './dom.js';
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

export function renderStock() {
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
    el('td', {}, r.low && el('span', { class: 'badge', text: t('belowReorder') })));
    r.changed = false;
    return tr;
  }));
  labelCells($('low-stock'));
  $('low-stock').hidden = rows.size === 0;
  $('no-low-stock').hidden = rows.size > 0;
}
