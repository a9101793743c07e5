// The OCOP console: a client of the public API with the caller's token.
// The token lives in sessionStorage only (never a URL, never a log); the
// language choice in localStorage.
const TOKEN_KEY = 'ocop.token';
const LANG_KEY = 'ocop.lang';
const ZONE = 'Asia/Ho_Chi_Minh';

const TEXT = {
  vi: {
    title: 'Bảng điều khiển OCOP', signOut: 'Đăng xuất', signInTitle: 'Đăng nhập bằng mã truy cập',
    signInHelp: 'Dán mã truy cập (token) mà đơn vị vận hành đã cấp. Mã chỉ được giữ trong thẻ trình duyệt này và bị xoá khi đóng thẻ.',
    tokenLabel: 'Mã truy cập', signIn: 'Đăng nhập', account: 'Tài khoản', partner: 'Đối tác', scopes: 'Quyền',
    expires: 'Hết hạn', stores: 'Cửa hàng', catalog: 'Danh mục sản phẩm OCOP',
    searchLabel: 'Tìm sản phẩm (không cần dấu)', search: 'Tìm', product: 'Sản phẩm', stars: 'Sao',
    producer: 'Nhà sản xuất', province: 'Tỉnh', price: 'Giá của bạn', minimum: 'Tối thiểu',
    noResults: 'Không có sản phẩm phù hợp.', contract: 'giá hợp đồng', list: 'giá niêm yết',
    step: 'bước', expired: 'Mã truy cập đã hết hạn. Vui lòng dán mã mới.',
    notToken: 'Đây không phải là mã truy cập hợp lệ.', waiting: 'Quá nhiều yêu cầu; tự thử lại sau {s} giây…',
    UNAUTHENTICATED: 'Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi. Vui lòng dán mã mới.',
    FORBIDDEN: 'Mã truy cập của bạn không có quyền làm việc này.',
    NOT_FOUND: 'Không tìm thấy (hoặc không thuộc về bạn).',
    BAD_USER_INPUT: 'Dữ liệu chưa hợp lệ: {m}',
    INSUFFICIENT_STOCK: 'Không đủ hàng: {m}',
    CONFLICT: 'Yêu cầu mâu thuẫn với trạng thái hiện tại: {m}',
    RATE_LIMITED: 'Quá nhiều yêu cầu; vui lòng chờ.',
    QUERY_TOO_COMPLEX: 'Yêu cầu quá lớn; hãy thu hẹp tìm kiếm.',
    INTERNAL: 'Lỗi phía máy chủ. Hãy thử lại; nếu vẫn lỗi, báo mã yêu cầu {m} cho đơn vị vận hành.',
    network: 'Không kết nối được máy chủ.',
    draft: 'Đơn hàng đang soạn', store: 'Giao đến cửa hàng', delivery: 'Ngày giao mong muốn',
    reference: 'Số đơn của bạn (PO)', quantity: 'Số lượng', lineTotal: 'Thành tiền', total: 'Tổng cộng',
    place: 'Đặt hàng', orders: 'Đơn hàng của bạn', add: 'Thêm', remove: 'Bỏ', live: 'Đang theo dõi trực tiếp',
    placed: 'Đã đặt đơn {r}.', quantityRule: '{p}: ít nhất {m}, theo bội số của {i}.', accepted: 'chấp nhận',
    shipment: 'Kiện', lot: 'lô', expiry: 'HSD', emptyDraft: 'Đơn hàng chưa có sản phẩm.',
    PLACED: 'Đã đặt', CONFIRMED: 'Đã xác nhận', SHIPPED: 'Đã xuất kho', DELIVERED: 'Đã nhận', CANCELLED: 'Đã huỷ',
  },
  en: {
    title: 'OCOP console', signOut: 'Sign out', signInTitle: 'Sign in with an access token',
    signInHelp: 'Paste the access token the operator issued you. It is kept in this browser tab only and cleared when the tab closes.',
    tokenLabel: 'Access token', signIn: 'Sign in', account: 'Account', partner: 'Partner', scopes: 'Scopes',
    expires: 'Expires', stores: 'Stores', catalog: 'OCOP catalogue',
    searchLabel: 'Search products (accents optional)', search: 'Search', product: 'Product', stars: 'Stars',
    producer: 'Producer', province: 'Province', price: 'Your price', minimum: 'Minimum',
    noResults: 'No matching products.', contract: 'contract price', list: 'list price',
    step: 'step', expired: 'The token has expired. Please paste a new one.',
    notToken: 'This is not a valid access token.', waiting: 'Too many requests; retrying in {s} s…',
    UNAUTHENTICATED: 'The token is invalid, expired or revoked. Please paste a new one.',
    FORBIDDEN: 'Your token does not allow this.',
    NOT_FOUND: 'Not found (or not yours).',
    BAD_USER_INPUT: 'Invalid input: {m}',
    INSUFFICIENT_STOCK: 'Not enough stock: {m}',
    CONFLICT: 'This conflicts with the current state: {m}',
    RATE_LIMITED: 'Too many requests; please wait.',
    QUERY_TOO_COMPLEX: 'The request is too large; narrow the search.',
    INTERNAL: 'Server error. Try again; if it persists, give the operator request id {m}.',
    network: 'Cannot reach the server.',
    draft: 'Order being drafted', store: 'Deliver to store', delivery: 'Requested delivery date',
    reference: 'Your PO number', quantity: 'Quantity', lineTotal: 'Line total', total: 'Total',
    place: 'Place order', orders: 'Your orders', add: 'Add', remove: 'Remove', live: 'Following live',
    placed: 'Order {r} placed.', quantityRule: '{p}: at least {m}, in multiples of {i}.', accepted: 'accepted',
    shipment: 'Package', lot: 'lot', expiry: 'best before', emptyDraft: 'The order has no products yet.',
    PLACED: 'Placed', CONFIRMED: 'Confirmed', SHIPPED: 'Shipped', DELIVERED: 'Delivered', CANCELLED: 'Cancelled',
  },
};

let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi';
const $ = (id) => document.getElementById(id);
const t = (key, vars = {}) =>
  (TEXT[lang][key] ?? key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');

const vnd = (n) => new Intl.NumberFormat('vi-VN', { style: 'currency', currency: 'VND' }).format(n);
const when = (date) => new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB',
  { dateStyle: 'short', timeStyle: 'short', timeZone: ZONE }).format(date);

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  $('lang').textContent = lang === 'vi' ? 'EN' : 'VI';
  $('lang').setAttribute('aria-label', lang === 'vi' ? 'English' : 'Tiếng Việt');
  if (session) {
    showSession();
    if (canOrder()) showDraft();
    renderOrders();
  }
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

// The claims, read without verifying (the server verifies every request).
function claimsOf(token) {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

class ApiError extends Error {
  constructor(code, message, extensions = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One GraphQL request. RATE_LIMITED waits Retry-After and retries by
// itself; every other error becomes an ApiError with its SPEC code.
async function gql(query, variables = {}) {
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json;q=0.9',
          authorization: `Bearer ${session.token}`,
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError('NETWORK', t('network'));
    }
    const body = await response.json().catch(() => ({}));
    const error = body.errors?.[0];
    const code = error?.extensions?.code;
    if (code === 'RATE_LIMITED' && attempt < 5) {
      const secs = Number(error.extensions.retryAfterSeconds ?? response.headers.get('retry-after') ?? 1);
      showError(t('waiting', { s: secs }));
      await sleep(secs * 1000);
      showError('');
      continue;
    }
    if (code === 'UNAUTHENTICATED') {
      signOut(t('UNAUTHENTICATED'));
      throw new ApiError(code, t('UNAUTHENTICATED'));
    }
    if (error && !body.data) {
      const m = code === 'INTERNAL' ? response.headers.get('x-request-id') ?? '' : error.message;
      throw new ApiError(code ?? 'INTERNAL', t(code ?? 'INTERNAL', { m }), error.extensions);
    }
    return body.data;
  }
}

let session = null;

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  session = null;
  $('signin').hidden = false;
  for (const id of ['home', 'catalog', 'signout', 'draft', 'orders']) $(id).hidden = true;
  orders.clear();
  cursor = null;
  renderOrders();
  if (socket) socket.close();
  $('who').textContent = '';
  showError(message);
}

async function signIn(token) {
  const claims = claimsOf(token);
  if (!claims?.sub) return showError(t('notToken'));
  if (claims.exp && claims.exp * 1000 <= Date.now()) return signOut(t('expired'));
  session = { token, claims, viewer: null };
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    const data = await gql('{ viewer { partner { code name stores { id code name } } scopes } }');
    session.viewer = data.viewer;
  } catch (e) {
    if (session) showError(e.message);
    return;
  }
  showError('');
  $('signin').hidden = true;
  $('home').hidden = false;
  $('signout').hidden = false;
  $('catalog').hidden = !session.viewer.scopes.includes('catalog:read');
  showSession();
  if (canOrder()) showDraft();
  if (session.viewer.scopes.includes('orders:read')) {
    $('orders').hidden = false;
    loadOrders().then(follow);
  }
  // Ask again when the token expires.
  if (claims.exp) {
    setTimeout(() => session?.token === token && signOut(t('expired')),
      Math.max(0, claims.exp * 1000 - Date.now()));
  }
}

function showSession() {
  const v = session.viewer;
  if (!v) return;
  $('who').textContent = `${v.partner.name} (${v.partner.code})`;
  $('partner').textContent = `${v.partner.name} (${v.partner.code})`;
  $('scopes').textContent = v.scopes.join(', ');
  $('expires').textContent = session.claims.exp ? when(new Date(session.claims.exp * 1000)) : '–';
  $('stores').textContent = v.partner.stores.map((s) => `${s.name} (${s.code})`).join('; ') || '–';
}

const SEARCH = `query($q: String!) { products(first: 25, filter: { search: $q }) { nodes {
  id sku nameVi stars producer { name province }
  offer { unitPrice minimumQuantity quantityIncrement contract } } } }`;

async function search(q) {
  let data;
  try {
    data = await gql(SEARCH, { q });
  } catch (e) {
    return showError(e.message);
  }
  showError('');
  const rows = data.products.nodes;
  const tbody = $('results').querySelector('tbody');
  tbody.replaceChildren(...rows.map((p) => {
    const tr = document.createElement('tr');
    const cell = (text, cls) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    };
    cell(`${p.nameVi} (${p.sku})`);
    cell('★'.repeat(p.stars));
    cell(p.producer.name);
    cell(p.producer.province);
    cell(`${vnd(p.offer.unitPrice)} (${t(p.offer.contract ? 'contract' : 'list')})`, 'num');
    cell(`${p.offer.minimumQuantity} (${t('step')} ${p.offer.quantityIncrement})`, 'num');
    if (canOrder()) {
      const td = document.createElement('td');
      const add = document.createElement('button');
      add.type = 'button';
      add.className = 'add';
      add.textContent = t('add');
      add.setAttribute('aria-label', `${t('add')}: ${p.nameVi}`);
      add.addEventListener('click', () => addToDraft(p));
      td.append(add);
      tr.append(td);
    }
    return tr;
  }));
  $('results').hidden = rows.length === 0;
  $('empty').hidden = rows.length !== 0;
}

// ---- The order being drafted -------------------------------------------
// Kept per partner in sessionStorage, with its idempotency key: a double
// click, a retry after a timeout or a reload places the order once.

const canOrder = () => session?.viewer?.scopes.includes('orders:write') && session.viewer.partner.stores.length > 0;
const draftKey = () => `ocop.draft.${session.claims.sub}`;

function tomorrow() {
  const d = new Date(Date.now() + 24 * 3600 * 1000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(d);
}

function newDraft() {
  return { key: crypto.randomUUID(), lines: [], store: '', delivery: tomorrow(), reference: '' };
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

function showDraft() {
  const draft = loadDraft();
  $('draft').hidden = false;
  const select = $('store');
  select.replaceChildren(...session.viewer.partner.stores.map((s) => {
    const o = document.createElement('option');
    o.value = s.id;
    o.textContent = `${s.name} (${s.code})`;
    return o;
  }));
  if (draft.store) select.value = draft.store;
  $('delivery').value = draft.delivery;
  $('reference').value = draft.reference;
  const tbody = $('draft-lines').querySelector('tbody');
  tbody.replaceChildren(...draft.lines.map((l, i) => {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = `${l.name} (${l.sku})`;
    const qtyCell = document.createElement('td');
    const qty = document.createElement('input');
    qty.type = 'number';
    qty.min = String(l.min);
    qty.step = String(l.inc);
    qty.value = String(l.qty);
    qty.setAttribute('aria-label', `${t('quantity')}: ${l.name}`);
    qty.addEventListener('change', () => {
      const d = loadDraft();
      d.lines[i].qty = Number(qty.value);
      saveDraft(d);
      showDraft();
    });
    qtyCell.append(qty);
    const total = document.createElement('td');
    total.className = 'num';
    total.textContent = vnd(l.price * l.qty);
    const rm = document.createElement('td');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = t('remove');
    b.setAttribute('aria-label', `${t('remove')}: ${l.name}`);
    b.addEventListener('click', () => {
      const d = loadDraft();
      d.lines.splice(i, 1);
      saveDraft(d);
      showDraft();
    });
    rm.append(b);
    tr.append(name, qtyCell, total, rm);
    return tr;
  }));
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

const placeQuery = () =>
  `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { ${ORDER} } } }`;

async function placeOrder() {
  const draft = keepDraftFields();
  if (draft.lines.length === 0) return showError(t('emptyDraft'));
  for (const l of draft.lines) {
    if (!(l.qty >= l.min && l.qty % l.inc === 0)) {
      return showError(t('quantityRule', { p: l.name, m: l.min, i: l.inc }));
    }
  }
  $('place').disabled = true;
  try {
    const data = await gql(placeQuery(), { input: {
      idempotencyKey: draft.key,
      buyerReference: draft.reference,
      storeId: draft.store,
      requestedDeliveryDate: draft.delivery,
      lines: draft.lines.map((l) => ({ productId: l.id, quantity: l.qty })),
    } });
    const order = data.placeOrder.order;
    upsertOrder(order);
    saveDraft(newDraft());
    showDraft();
    showNotice(t('placed', { r: order.buyerReference }));
  } catch (e) {
    showError(e.message);
  } finally {
    $('place').disabled = false;
  }
}

function showNotice(text) {
  $('live').textContent = text;
}

// ---- Orders, followed live ---------------------------------------------

const ORDER = `id buyerReference status total createdAt store { name code }
  lines { id quantity acceptedQuantity shippedQuantity status product { sku nameVi } }
  shipments { id carrier packages { sscc lines { quantity lotNumber expiryDate line { product { sku } } } } }`;

const orders = new Map();

async function loadOrders() {
  try {
    const data = await gql(`{ orders(first: 20) { nodes { ${ORDER} } } }`);
    for (const o of data.orders.nodes.reverse()) orders.set(o.id, o);
    renderOrders();
  } catch (e) {
    showError(e.message);
  }
}

function upsertOrder(order) {
  orders.delete(order.id);
  orders.set(order.id, order);
  renderOrders();
}

function renderOrders() {
  const list = $('order-list');
  list.replaceChildren(...[...orders.values()].reverse().map((o) => {
    const li = document.createElement('li');
    li.dataset.order = o.id;
    const head = document.createElement('div');
    const status = document.createElement('span');
    status.className = 'status';
    status.textContent = t(o.status);
    head.append(`${o.buyerReference} · ${o.store.name} · ${vnd(o.total)} · ${when(new Date(o.createdAt))} `, status);
    const lines = document.createElement('ul');
    for (const l of o.lines) {
      const item = document.createElement('li');
      const accepted = l.acceptedQuantity == null ? '' : ` (${t('accepted')} ${l.acceptedQuantity})`;
      item.textContent = `${l.product.nameVi}: ${l.quantity}${accepted}`;
      lines.append(item);
    }
    for (const s of o.shipments) {
      for (const p of s.packages) {
        const item = document.createElement('li');
        const parts = p.lines.map((pl) => [pl.line.product.sku, pl.quantity,
          pl.lotNumber ? `${t('lot')} ${pl.lotNumber}` : '', pl.expiryDate ? `${t('expiry')} ${pl.expiryDate}` : '']
          .filter(Boolean).join(' '));
        item.textContent = `${t('shipment')} SSCC ${p.sscc} (${s.carrier}): ${parts.join('; ')}`;
        lines.append(item);
      }
    }
    li.append(head, lines);
    return li;
  }));
}

let socket = null;
let cursor = null;

// graphql-transport-ws by hand: the token goes in connection_init, never
// in the URL. Reconnects resume from the last cursor.
function follow() {
  if (!session) return;
  const token = session.token;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws`,
    'graphql-transport-ws');
  socket = ws;
  ws.addEventListener('open', () => ws.send(JSON.stringify({
    type: 'connection_init', payload: { Authorization: `Bearer ${token}` } })));
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'connection_ack') {
      ws.send(JSON.stringify({ id: 'orders', type: 'subscribe', payload: {
        query: `subscription($since: String) { orderEvents(since: $since) { cursor order { ${ORDER} } } }`,
        variables: { since: cursor } } }));
      showNotice(t('live'));
    } else if (msg.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong' }));
    } else if (msg.type === 'next' && msg.payload?.data) {
      cursor = msg.payload.data.orderEvents.cursor;
      upsertOrder(msg.payload.data.orderEvents.order);
    } else if (msg.type === 'error') {
      const code = msg.payload?.[0]?.extensions?.code ?? 'INTERNAL';
      showError(t(code, { m: msg.payload?.[0]?.message ?? '' }));
    }
  });
  ws.addEventListener('close', (e) => {
    if (socket !== ws) return;
    socket = null;
    showNotice('');
    if (e.code === 4403) signOut(t('UNAUTHENTICATED'));
    else if (session?.token === token) setTimeout(follow, 2000);
  });
}

$('draft-form').addEventListener('submit', (e) => {
  e.preventDefault();
  placeOrder();
});
for (const id of ['store', 'delivery', 'reference']) $(id).addEventListener('change', keepDraftFields);

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $('token').value.trim();
  $('token').value = '';
  signIn(token);
});
$('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  search($('search').value.trim());
});
$('signout').addEventListener('click', () => signOut());
$('lang').addEventListener('click', () => {
  lang = lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem(LANG_KEY, lang);
  applyLanguage();
});

applyLanguage();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
