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
  if (session) showSession();
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
  for (const id of ['home', 'catalog', 'signout']) $(id).hidden = true;
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
    return tr;
  }));
  $('results').hidden = rows.length === 0;
  $('empty').hidden = rows.length !== 0;
}

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
