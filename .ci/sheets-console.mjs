// Spreadsheets in the console, end to end in headless Chromium: the hub
// checks a catalogue sheet with a bad row (highlighted with its reason,
// no write button), fixes it, checks again and writes it; a buyer on a
// phone checks and places an order sheet for two stores, and uploading it
// again places nothing new.
//
//   OCOP_BASE=http://127.0.0.1:PORT OCOP_OPERATOR_TOKEN=<hub with catalog:write> \
//     OCOP_TOKEN=<chain with orders:write> node .ci/sheets-console.mjs <node_modules dir>
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'x.js'));
const { chromium } = require('playwright-core');
const base = process.env.OCOP_BASE;
const WAIT = { timeout: 20000 };
const run = Date.now().toString(36).toUpperCase();

async function send(token, query, variables = {}) {
  const r = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return r.json();
}

async function gql(token, query, variables = {}) {
  const body = await send(token, query, variables);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

const csv = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(`\ufeff${text}`, 'utf8') });
const HEADER = 'sku;producerCode;nameVi;nameEn;category;unit;packSize;wholesalePrice;minOrderQuantity';
const line = (sku, pack) => `${sku};HTX-GOM-BATTRANG;Bình gốm men lam ${sku};Blue vase;HANDICRAFTS_SOUVENIRS;chiếc;${pack};450.000;4`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const problems = [];
async function signedIn(token, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${base}/console`);
  await page.fill('#token', token);
  await page.click('#signin-form button');
  await page.waitForSelector('#home:not([hidden])', WAIT);
  await page.click('#tabs button[data-view="sheets"]');
  await page.waitForSelector('#view-sheets:not([hidden])', WAIT);
  return page;
}

try {
  // The hub: a sheet as Excel writes it in Vietnamese (`;`, 450.000 đồng)
  // with one bad row.
  const hub = await signedIn(process.env.OCOP_OPERATOR_TOKEN, { width: 1200, height: 900 });
  assert.equal(await hub.getAttribute('#catalog-template', 'href'), '/catalog/import/template.csv');
  const [a, b, c] = ['A', 'B', 'C'].map((x) => `CI-${run}-${x}`);
  await hub.setInputFiles('#catalog-sheet', csv('hub.csv', `${HEADER}\r\n${line(a, 4)}\r\n${line(b, 'bốn')}\r\n${line(c, 4)}\r\n`));
  await hub.click('#catalog-check');
  const bad = hub.locator('#catalog-report tr.failed[data-row="3"]');
  await bad.waitFor(WAIT);
  assert.match(await bad.textContent(), /packSize.*whole number|packSize.*120\.000/);
  assert.equal(await hub.locator('#catalog-report tr.failed').count(), 1, 'only the bad row is highlighted');
  assert.ok(await hub.isHidden('#catalog-commit'), 'nothing to write while a row is wrong');
  if (process.env.OCOP_SHEETS_SCREENSHOT) {
    await hub.locator('#view-sheets').screenshot({ path: process.env.OCOP_SHEETS_SCREENSHOT });
  }
  const unwritten = await send(process.env.OCOP_OPERATOR_TOKEN, 'query($s: String!) { productBySku(sku: $s) { id } }', { s: a });
  assert.equal(unwritten.errors?.[0]?.extensions?.code, 'NOT_FOUND', `the check wrote nothing: ${JSON.stringify(unwritten)}`);

  await hub.setInputFiles('#catalog-sheet', csv('hub-fixed.csv', `${HEADER}\r\n${line(a, 4)}\r\n${line(b, 6)}\r\n${line(c, 4)}\r\n`));
  await hub.click('#catalog-check');
  await hub.waitForSelector('#catalog-commit:not([hidden])', WAIT);
  assert.equal(await hub.locator('#catalog-report tr.failed').count(), 0);
  await hub.click('#catalog-commit');
  // The check's notice is still up: wait for the write's own.
  await hub.waitForSelector('#notice:not([hidden]) >> text=3 sản phẩm mới', WAIT);
  const made = await gql(process.env.OCOP_OPERATOR_TOKEN,
    'query($s: String!) { productBySku(sku: $s) { packSize wholesalePrice status } }', { s: b });
  assert.deepEqual(made.productBySku, { packSize: 6, wholesalePrice: 450000, status: 'DRAFT' });

  // A buyer on a phone: two stores, one order each; the same sheet twice.
  const buyerToken = process.env.OCOP_TOKEN;
  const me = await gql(buyerToken, '{ viewer { partner { stores { code } } } products(first: 1, filter: { orderable: true }) { nodes { sku minOrderQuantity } } }');
  const stores = me.viewer.partner.stores.slice(0, 2).map((s) => s.code);
  const { sku, minOrderQuantity: q } = me.products.nodes[0];
  const date = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
  const sheet = ['storeCode,buyerReference,requestedDeliveryDate,sku,quantity',
    ...stores.map((s) => `${s},PO-CI-${run},${date},${sku},${q}`)].join('\r\n');
  const buyer = await signedIn(buyerToken, { width: 390, height: 844 });
  assert.ok(await buyer.isHidden('#catalog-sheets'), 'a chain writes no catalogue');
  await buyer.setInputFiles('#orders-sheet', csv('week.csv', sheet));
  await buyer.click('#orders-check');
  await buyer.waitForSelector('#orders-commit:not([hidden])', WAIT);
  assert.equal(await buyer.locator('#orders-report tr.order-result', { hasText: 'Sẽ đặt' }).count(), 2);
  await buyer.click('#orders-commit');
  await buyer.waitForSelector('#orders-report tr.order-result >> text=Đã đặt', WAIT);
  assert.equal(await buyer.locator('#orders-report tr.order-result', { hasText: /^(?!.*từ trước).*Đã đặt/ }).count(), 2);
  const width = await buyer.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no horizontal scroll on a phone (${width}px)`);
  await buyer.setInputFiles('#orders-sheet', csv('week-again.csv', sheet));
  await buyer.click('#orders-check');
  await buyer.waitForSelector('#orders-report tr.order-result >> text=Đã đặt từ trước', WAIT);
  assert.equal(await buyer.locator('#orders-report tr.order-result', { hasText: 'Đã đặt từ trước' }).count(), 2,
    'the same sheet again places nothing new');
  assert.deepEqual(problems, [], 'no page reported an error');
  console.log('sheets console: a bad row highlighted and nothing written, the fixed sheet imported (3 products); two orders placed from a phone, the same sheet again placed nothing');
} finally {
  await browser.close();
}
