// The OCOP console: a client of the public API with the caller's token,
// showing exactly what the token allows. The token lives in
// sessionStorage only (never a URL, never a log); the language choice in
// localStorage.
import { $, showError } from './dom.js';
import { t, when, applyStatic, toggleLanguage, lang } from './i18n.js';
import { session, has, claimsOf, gql, Live, onUnauthenticated } from './api.js';
import { initBuyer, renderBuyer, resetBuyer, canOrder } from './buyer.js';
import { initOrders, startOrders, renderOrders, resetOrders, refreshOrder, ordersSeen, showUnseen } from './orders.js';
import { initStock, startStock, renderStock, resetStock, reloadStock } from './stock.js';
import { initReports, loadReports, renderReports, resetReports } from './reports.js';
import { initPartners, loadPartners, renderPartners, resetPartners } from './partners.js';
import { initCatalog, loadCatalog, renderCatalog, resetCatalog } from './catalog.js';
import { initHub, loadHub, onboardFields, resetHub } from './hub.js';
import { initWebhooks, loadWebhooks, renderWebhooks, resetWebhooks } from './webhooks.js';
import { initSheets, resetSheets, showSheets } from './sheets.js';

const TOKEN_KEY = 'ocop.token';

// After a drop the order feed resumes from its cursor; stock changes have
// no cursor, so the stock view is read again.
let dropped = false;
// Up, down, or not started (null): kept so a language switch redraws it.
let liveUp = null;
const showLive = () => {
  $('live').textContent = liveUp === null ? '' : t(liveUp ? 'live' : 'offline');
};
const live = new Live((up) => {
  liveUp = up;
  showLive();
  if (up && dropped && loaded.has('stock')) reloadStock();
  dropped = !up;
});

// Each work area and what the token needs to see it.
const VIEWS = {
  buy: () => has('catalog:read'),
  orders: () => has('orders:read'),
  stock: () => has('reports:read') && has('catalog:read'),
  reports: () => has('reports:read'),
  partners: () => has('partners:admin'),
  catalogue: () => has('catalog:write'),
  sheets: () => has('catalog:write') || has('orders:write'),
  webhooks: () => has('webhooks:manage'),
};
const loaded = new Set();

function show(view) {
  // Nothing to show, and no request to send, before a token is in.
  if (!session.token) return;
  for (const b of $('tabs').querySelectorAll('button')) {
    b.setAttribute('aria-current', String(b.dataset.view === view));
  }
  for (const name of Object.keys(VIEWS)) $(`view-${name}`).hidden = name !== view;
  sessionStorage.setItem('ocop.view', view);
  if (view === 'orders') ordersSeen();
  // Areas load when first opened; the live ones then keep themselves up to date.
  if (loaded.has(view)) return;
  loaded.add(view);
  if (view === 'stock') startStock(live);
  if (view === 'reports') loadReports();
  if (view === 'partners') loadPartners();
  if (view === 'webhooks') loadWebhooks();
  if (view === 'sheets') showSheets();
  if (view === 'catalogue') {
    loadCatalog();
    onboardFields();
    loadHub();
  }
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  session.token = null;
  session.claims = null;
  session.viewer = null;
  live.stop();
  loaded.clear();
  resetBuyer();
  resetOrders();
  resetStock();
  resetReports();
  resetPartners();
  resetCatalog();
  resetHub();
  resetWebhooks();
  resetSheets();
  $('signin').hidden = false;
  for (const id of ['home', 'signout', 'tabs']) $(id).hidden = true;
  for (const name of Object.keys(VIEWS)) $(`view-${name}`).hidden = true;
  $('who').textContent = '';
  liveUp = null;
  showLive();
  showError(message);
  $('token').focus();
}
onUnauthenticated(signOut);

async function signIn(token) {
  const claims = claimsOf(token);
  if (!claims?.sub) return showError(t('notToken'));
  if (claims.exp && claims.exp * 1000 <= Date.now()) return signOut(t('expired'));
  Object.assign(session, { token, claims, viewer: null });
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    session.viewer = (await gql('{ viewer { partner { code name kind producerId stores { id code name } } scopes } }')).viewer;
  } catch (e) {
    if (session.token) showError(e.message);
    return;
  }
  showError('');
  $('signin').hidden = true;
  $('home').hidden = false;
  $('signout').hidden = false;
  $('tabs').hidden = false;
  showSession();
  renderBuyer();
  live.start(token);
  if (has('orders:read')) startOrders(live);
  loaded.add('orders').add('buy');
  // A buyer starts at the catalogue, the operator at the order feed.
  const open = Object.keys(VIEWS).filter((v) => VIEWS[v]());
  const saved = sessionStorage.getItem('ocop.view');
  const first = open.includes(saved) ? saved
    : canOrder() ? 'buy' : has('fulfillment:write') && open.includes('orders') ? 'orders'
      : session.viewer.partner.kind === 'PRODUCER' && open.includes('catalogue') ? 'catalogue' : open[0];
  if (first) {
    show(first);
    $('tabs').querySelector(`button[data-view="${first}"]`).focus();
  }
  // Ask again when the token expires.
  if (claims.exp) expireAt(token, claims.exp * 1000);
}

// A timer longer than 2^31 - 1 ms (24.8 days) fires at once: a 30-day
// token was signed out as soon as it signed in. Wait in steps instead.
const LONGEST_TIMER = 2 ** 31 - 1;
function expireAt(token, at) {
  const left = at - Date.now();
  setTimeout(() => {
    if (session.token !== token) return;
    if (left > LONGEST_TIMER) expireAt(token, at);
    else signOut(t('expired'));
  }, Math.max(0, Math.min(left, LONGEST_TIMER)));
}

function showSession() {
  const v = session.viewer;
  if (!v) return;
  for (const b of $('tabs').querySelectorAll('button')) b.hidden = !VIEWS[b.dataset.view]();
  $('who').textContent = `${v.partner.name} (${v.partner.code})`;
  $('partner').textContent = `${v.partner.name} (${v.partner.code})`;
  $('scopes').textContent = v.scopes.join(', ');
  $('expires').textContent = session.claims.exp ? when(new Date(session.claims.exp * 1000)) : '–';
  $('stores').textContent = v.partner.stores.map((s) => `${s.name} (${s.code})`).join('; ') || '–';
}

function applyLanguage() {
  applyStatic();
  $('lang').textContent = lang === 'vi' ? 'EN' : 'VI';
  $('lang').setAttribute('aria-label', lang === 'vi' ? 'English' : 'Tiếng Việt');
  $('tabs').setAttribute('aria-label', t('views'));
  showLive();
  if (!session.viewer) return;
  showSession();
  renderBuyer();
  $('orders-h').textContent = t(has('fulfillment:write') ? 'ordersAll' : 'orders');
  renderOrders();
  showUnseen();
  renderStock();
  renderReports();
  renderPartners();
  renderCatalog();
  renderWebhooks();
  if (loaded.has('catalogue')) {
    onboardFields();
    loadHub();
  }
}

initBuyer((id) => has('orders:read') && refreshOrder(id));
initOrders();
initStock();
initReports();
initPartners();
initCatalog();
initHub();
initWebhooks();
initSheets();
$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $('token').value.trim();
  $('token').value = '';
  signIn(token);
});
$('signout').addEventListener('click', () => signOut());
$('lang').addEventListener('click', () => {
  toggleLanguage();
  applyLanguage();
});
for (const b of $('tabs').querySelectorAll('button')) b.addEventListener('click', () => show(b.dataset.view));

applyLanguage();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
