// Orders, followed live over `orderEvents`: the buyer watches its own;
// the operator (fulfillment:write) acknowledges per line, ships packages
// with SSCC, lots and expiry dates, and records delivery from the same
// cards.
import { $, el, field, showError, showNotice, confirmButton } from './dom.js';
import { t, vnd, when, day, localDay } from './i18n.js';
import { gql, has, session } from './api.js';

const ORDER = `id buyerReference status total createdAt requestedDeliveryDate promisedShipDate
  partner { code name } store { name code }
  lines { id quantity acceptedQuantity shippedQuantity deliveredQuantity rejectionReason
    product { sku nameVi category } }
  shipments { id carrier trackingReference packages { sscc lines { quantity lotNumber expiryDate line { product { sku } } } } }
  statusHistory { toStatus at actor reason }`;

const orders = new Map();
let cursor = null;

// New orders that arrived while another area was open, counted on the
// Orders tab until it is opened.
let unseen = 0;

export function showUnseen() {
  $('orders-new').textContent = t('newOrders', { n: unseen });
  $('orders-new').hidden = unseen === 0;
}

export function ordersSeen() {
  unseen = 0;
  showUnseen();
}

export function resetOrders() {
  ordersSeen();
  older = { hasNextPage: false, endCursor: null };
  orders.clear();
  cursor = null;
  $('order-status').value = '';
  $('order-list').replaceChildren();
}

export function initOrders() {
  $('order-status').addEventListener('change', () => loadOrders());
  $('more-orders').addEventListener('click', loadOlder);
}

// Where the next page of older orders starts.
let older = { hasNextPage: false, endCursor: null };

// A page of 20 orders of the chosen status (all when none), newest first.
async function fetchPage(after) {
  const data = await gql(`query($status: OrderStatus, $after: String) {
    orders(first: 20, after: $after, filter: { status: $status }) {
      nodes { ${ORDER} statusHistory { cursor } } pageInfo { hasNextPage endCursor } } }`,
  { status: $('order-status').value || null, after });
  older = data.orders.pageInfo;
  return data.orders.nodes;
}

async function loadOlder() {
  try {
    const page = await fetchPage(older.endCursor);
    const merged = new Map(page.reverse().filter((o) => !orders.has(o.id)).map((o) => [o.id, o]));
    for (const [id, o] of orders) merged.set(id, o);
    orders.clear();
    for (const [id, o] of merged) orders.set(id, o);
    renderOrders();
  } catch (e) {
    showError(e.message);
  }
}

// The newest page (the operator's "to acknowledge" list is PLACED);
// returns the cursor of the latest event among them.
async function loadOrders() {
  $('order-list').setAttribute('aria-busy', 'true');
  try {
    const page = await fetchPage(null);
    let latest = null;
    orders.clear();
    for (const o of page.reverse()) {
      for (const e of o.statusHistory) if (!latest || e.at > latest.at) latest = e;
      orders.set(o.id, o);
    }
    renderOrders();
    return latest?.cursor ?? null;
  } catch (e) {
    showError(e.message);
    return null;
  } finally {
    $('order-list').removeAttribute('aria-busy');
  }
}

// Loads the newest orders, then follows from the latest event among them:
// the replay covers anything that happened in between.
export async function startOrders(live) {
  $('orders-h').textContent = t(has('fulfillment:write') ? 'ordersAll' : 'orders');
  cursor = await loadOrders();
  live.subscribe('orders', () => ({
    query: `subscription($since: String) { orderEvents(since: $since) { cursor order { ${ORDER} } } }`,
    variables: { since: cursor },
  }), (data) => {
    cursor = data.orderEvents.cursor;
    upsert(data.orderEvents.order);
  });
}

export async function refreshOrder(id) {
  try {
    const data = await gql(`query($id: ID!) { order(id: $id) { ${ORDER} } }`, { id });
    if (data.order) upsert(data.order);
  } catch (e) {
    showError(e.message);
  }
}

// An order as it is now; one that no longer matches the chosen status
// leaves the list (an acknowledged order leaves "to acknowledge").
function upsert(order) {
  if (!orders.has(order.id) && order.status === 'PLACED' && $('view-orders').hidden) {
    unseen += 1;
    showUnseen();
  }
  const old = $('order-list').querySelector(`li[data-order="${CSS.escape(order.id)}"]`);
  const status = $('order-status').value;
  if (status && order.status !== status) {
    orders.delete(order.id);
    old?.remove();
  } else {
    orders.set(order.id, order);
    const fresh = card(order);
    if (old) keepTyped(old, fresh);
    if (old) old.replaceWith(fresh);
    else $('order-list').prepend(fresh);
  }
  $('no-orders').hidden = orders.size > 0;
}

// What the operator has typed into an order's forms survives a redraw of
// the card (a live event, a reload) while the order is in the same state.
function keepTyped(old, fresh) {
  if (old.dataset.status !== fresh.dataset.status) return;
  const key = (input) => `${input.closest('tr')?.dataset.line ?? ''}/${input.className}/${input.dataset.pkg ?? ''}`;
  const typed = new Map([...old.querySelectorAll('input, select')].map((i) => [key(i), i.value]));
  for (const input of fresh.querySelectorAll('input')) {
    if (typed.has(key(input))) input.value = typed.get(key(input));
  }
  // The package count decides the package fields and choices: redo them,
  // then restore what was chosen.
  fresh.querySelector('input.package-count')?.dispatchEvent(new Event('change'));
  for (const input of fresh.querySelectorAll('input.sscc, select.pkg')) {
    if (typed.has(key(input))) input.value = typed.get(key(input));
  }
}

export function renderOrders() {
  $('more-orders').hidden = !older.hasNextPage;
  const before = new Map([...$('order-list').children].map((li) => [li.dataset.order, li]));
  $('order-list').replaceChildren(...[...orders.values()].reverse().map((o) => {
    const fresh = card(o);
    if (before.has(o.id)) keepTyped(before.get(o.id), fresh);
    return fresh;
  }));
  $('no-orders').hidden = orders.size > 0;
}

const needsLot = (line) => ['FOOD', 'BEVERAGES'].includes(line.product.category);
const remaining = (l) => (l.acceptedQuantity ?? l.quantity) - l.shippedQuantity;

function lineSummary(l) {
  const parts = [`${l.product.nameVi}: ${l.quantity}`];
  if (l.acceptedQuantity != null) parts.push(`${t('accepted')} ${l.acceptedQuantity}`);
  if (l.shippedQuantity) parts.push(`${t('shippedQty')} ${l.shippedQuantity}`);
  if (l.deliveredQuantity != null) parts.push(`${t('deliveredQty')} ${l.deliveredQuantity}`);
  if (l.rejectionReason) parts.push(`(${l.rejectionReason})`);
  return parts.join(' · ');
}

function card(o) {
  const fulfil = has('fulfillment:write');
  const mine = o.partner.code === session.viewer.partner.code;
  const dates = [t('deliverBy', { d: day(o.requestedDeliveryDate) })];
  if (o.promisedShipDate) dates.push(t('promisedOn', { d: day(o.promisedShipDate) }));
  const head = el('div', { class: 'order-head' },
    el('strong', { text: o.buyerReference }),
    ` · ${mine ? '' : `${o.partner.name} · `}${o.store.name} · ${vnd(o.total)} · ${when(new Date(o.createdAt))} · ${dates.join(', ')} `,
    el('span', { class: `status s-${o.status.toLowerCase()}`, text: t(o.status) }));
  const acking = fulfil && o.status === 'PLACED';
  const shipping = fulfil && o.status === 'CONFIRMED';
  const rows = o.lines.map((l) => el('tr', { dataset: { line: l.id } },
    el('td', { class: 'line', text: lineSummary(l) }),
    acking && el('td', {},
      el('input', { type: 'number', class: 'accept', min: 0, max: l.quantity, value: l.quantity,
        'aria-label': `${t('acceptQty')}: ${l.product.nameVi}` }),
      el('input', { class: 'reason', maxlength: 500, placeholder: t('reason'), 'aria-label': `${t('reason')}: ${l.product.nameVi}` })),
    shipping && el('td', {},
      el('input', { type: 'number', class: 'ship-qty', min: 0, max: remaining(l), value: remaining(l),
        'aria-label': `${t('shipQty')}: ${l.product.nameVi}` }),
      needsLot(l) && el('input', { class: 'lot', maxlength: 40, placeholder: t('lotNumber'),
        'aria-label': `${t('lotNumber')}: ${l.product.nameVi}` }),
      needsLot(l) && el('input', { type: 'date', class: 'expiry', min: localDay(0),
        'aria-label': `${t('expiryDate')}: ${l.product.nameVi}` }),
      el('select', { class: 'pkg', hidden: true, 'aria-label': `${t('package')}: ${l.product.nameVi}` })),
  ));
  const packages = o.shipments.flatMap((s) => s.packages.map((p) => el('li', {
    class: 'package',
    text: `${t('shipment')} SSCC ${p.sscc} (${s.carrier}, ${s.trackingReference}): ${p.lines.map((pl) =>
      [pl.line.product.sku, pl.quantity, pl.lotNumber && `${t('lot')} ${pl.lotNumber}`,
        pl.expiryDate && `${t('expiry')} ${day(pl.expiryDate)}`].filter(Boolean).join(' ')).join('; ')}`,
  })));
  const history = el('details', { class: 'history' }, el('summary', { text: `${t('history')} (${o.statusHistory.length})` }),
    el('ol', {}, o.statusHistory.map((e) => el('li', {
      text: `${t(e.toStatus)} · ${when(new Date(e.at))} · ${e.actor}${e.reason ? ` · ${e.reason}` : ''}` }))));
  const li = el('li', { class: 'order', dataset: { order: o.id, status: o.status } },
    head, el('table', { class: 'lines' }, el('tbody', {}, rows)),
    packages.length > 0 && el('ul', { class: 'packages' }, packages), history);
  const actions = el('div', { class: 'actions' });
  if (acking) actions.append(ackControls(o, li));
  if (shipping) actions.append(shipControls(o, li));
  if (fulfil && o.status === 'SHIPPED') {
    actions.append(confirmButton(t('deliver'), t('again'), () => act(o, 'deliveredNote',
      'mutation($id: ID!) { deliverOrder(id: $id) { id } }', { id: o.id }), { class: 'primary deliver' }));
  }
  if (has('orders:write') && (mine || fulfil) && ['PLACED', 'CONFIRMED'].includes(o.status)) {
    actions.append(confirmButton(t('cancel'), t('again'), () => act(o, 'cancelledNote',
      'mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: o.id }), { class: 'cancel' }));
  }
  if (actions.childElementCount) li.append(actions);
  return li;
}

async function act(o, note, mutation, variables, button) {
  if (button) button.disabled = true;
  try {
    await gql(mutation, variables);
    showError('');
    showNotice(t(note, { r: o.buyerReference }));
    await refreshOrder(o.id);
  } catch (e) {
    showError(e.message);
  } finally {
    if (button) button.disabled = false;
  }
}

function ackControls(o, li) {
  const promised = el('input', { type: 'date', class: 'promised', min: localDay(0), value: localDay(0) });
  const button = el('button', { type: 'button', class: 'primary confirm', text: t('confirm') });
  button.addEventListener('click', () => {
    const lines = [];
    for (const row of li.querySelectorAll('tr[data-line]')) {
      const line = o.lines.find((l) => l.id === row.dataset.line);
      const accepted = Number(row.querySelector('.accept').value);
      if (accepted !== line.quantity) {
        lines.push({ lineId: line.id, acceptedQuantity: accepted,
          reason: row.querySelector('.reason').value.trim() || null });
      }
    }
    act(o, 'acked', 'mutation($id: ID!, $input: ConfirmOrderInput) { confirmOrder(id: $id, input: $input) { id } }',
      { id: o.id, input: { promisedShipDate: promised.value || null, lines } }, button);
  });
  return el('div', { class: 'inline' }, field(t('promised'), promised), button);
}

// An SSCC: extension digit, Vietnam's GS1 prefix 893, a random serial and
// the GS1 check digit. Unique in practice; a clash is CONFLICT, and
// "new code" draws another.
function newSscc() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  const body = `0893${String(random[0]).padStart(10, '0').slice(-10)}${String(random[1] % 1000).padStart(3, '0')}`;
  let sum = 0;
  [...body].reverse().forEach((c, i) => { sum += Number(c) * (i % 2 === 0 ? 3 : 1); });
  return body + ((10 - (sum % 10)) % 10);
}

// One shipment: carrier, tracking, and 1 to 10 packages, each with its own
// SSCC; each line goes into one package (the rest of a line can ship in a
// later shipment).
function shipControls(o, li) {
  const carrier = el('input', { class: 'carrier', maxlength: 100, required: true });
  const tracking = el('input', { class: 'tracking', maxlength: 100, required: true });
  const count = el('input', { type: 'number', class: 'package-count', min: 1, max: 10, value: 1 });
  const codes = el('div', { class: 'inline' });
  const layout = () => {
    const n = Math.min(10, Math.max(1, Number(count.value) || 1));
    const kept = [...codes.querySelectorAll('input.sscc')].map((i) => i.value);
    codes.replaceChildren(...Array.from({ length: n }, (_, i) => field(t('ssccOf', { n: i + 1 }),
      el('input', { class: 'sscc', dataset: { pkg: i + 1 }, value: kept[i] ?? newSscc(), inputmode: 'numeric',
        pattern: '\\d{18}', maxlength: 18 }))));
    for (const select of li.querySelectorAll('select.pkg')) {
      const chosen = Math.min(n, Number(select.value) || 1);
      select.replaceChildren(...Array.from({ length: n }, (_, i) => el('option', { value: i + 1, text: t('packageN', { n: i + 1 }) })));
      select.value = String(chosen);
      select.hidden = n === 1;
    }
  };
  count.addEventListener('change', layout);
  const button = el('button', { type: 'button', class: 'primary ship', text: t('ship') });
  button.addEventListener('click', () => {
    if (!carrier.value.trim() || !tracking.value.trim()) {
      (carrier.value.trim() ? tracking : carrier).focus();
      return showError(t('carrierNeeded'));
    }
    const packages = [...codes.querySelectorAll('input.sscc')].map((i) => ({ sscc: i.value.trim(), lines: [] }));
    for (const row of li.querySelectorAll('tr[data-line]')) {
      const line = o.lines.find((l) => l.id === row.dataset.line);
      const quantity = Number(row.querySelector('.ship-qty').value);
      if (!quantity) continue;
      const lot = row.querySelector('.lot')?.value.trim() || null;
      const expiry = row.querySelector('.expiry')?.value || null;
      if (needsLot(line) && (!lot || !expiry)) return showError(t('lotNeeded', { p: line.product.nameVi }));
      const pkg = Number(row.querySelector('select.pkg')?.value || 1);
      packages[pkg - 1].lines.push({ lineId: line.id, quantity, lotNumber: lot, expiryDate: expiry });
    }
    const empty = packages.findIndex((p) => p.lines.length === 0);
    if (empty >= 0) return showError(t('emptyPackage', { n: empty + 1 }));
    act(o, 'shippedNote', 'mutation($id: ID!, $input: ShipOrderInput) { shipOrder(id: $id, input: $input) { id } }',
      { id: o.id, input: { carrier: carrier.value.trim(), trackingReference: tracking.value.trim(), packages } }, button);
  });
  const again = el('button', { type: 'button', text: t('newSscc'), onclick: () => {
    for (const i of codes.querySelectorAll('input.sscc')) i.value = newSscc();
  } });
  const controls = el('div', {}, el('div', { class: 'inline' }, field(t('carrier'), carrier), field(t('tracking'), tracking),
    field(t('packages'), count)), codes, el('div', { class: 'inline' }, again, button));
  layout();
  return controls;
}
