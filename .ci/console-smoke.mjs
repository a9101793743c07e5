// The console in headless Chromium, against a running gateway with the
// demo data: a buyer (hapro) signs in with a pasted token, sees who it is,
// finds "gom bat trang" (diacritics ignored) with its prices in đồng, and
// orders one for a store (a double click places it once), and sees the
// operator's partial acknowledgement arrive live; the page reports no
// error (CSP violations included).
//
//   OCOP_BASE=http://127.0.0.1:PORT OCOP_TOKEN=... OCOP_OPERATOR_TOKEN=... \
//     node .ci/console-smoke.mjs <node_modules dir> [screenshot.png]
import { createRequire } from 'node:module';
import path from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'x.js'));
const { chromium } = require('playwright-core');
const base = process.env.OCOP_BASE;
const token = process.env.OCOP_TOKEN;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${base}/console`);
  await page.fill('#token', token);
  await page.click('#signin-form button');
  await page.waitForSelector('#home:not([hidden])', { timeout: 10000 });
  assert.match(await page.textContent('#who'), /\(hapro\)/);
  assert.match(await page.textContent('#scopes'), /catalog:read/);
  await page.fill('#search', 'gom bat trang');
  await page.click('#search-form button');
  await page.waitForSelector('#results:not([hidden])', { timeout: 10000 });
  const rows = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => tr.innerText));
  assert.ok(rows.length > 0, 'found Bát Tràng ceramics');
  assert.ok(rows.every((r) => /Bát Tràng/.test(r)), rows.join('\n'));
  assert.ok(rows.every((r) => /\d{1,3}(\.\d{3})*\s₫/.test(r)), 'prices in đồng, Vietnamese style');
  assert.ok(!page.url().includes(token.slice(0, 16)), 'no token in the URL');

  // Order the first result for a store; a double click places it once.
  await page.click('#results tbody tr:first-child button');
  await page.fill('#reference', `PO-CI-${Date.now()}`);
  await page.dblclick('#place');
  await page.waitForSelector('#order-list > li', { timeout: 10000 });
  await page.waitForTimeout(500);
  const orders = await page.$$eval('#order-list > li', (lis) => lis.map((li) => li.dataset.order));
  assert.equal(new Set(orders).size, orders.length, 'no order twice');
  assert.equal(orders.length, 1, 'one order placed');
  assert.match(await page.textContent('#order-list > li'), /Đã đặt/);

  // The operator acknowledges part of it (through the API, as the
  // operator's console would); the buyer's page shows it live.
  const api = async (query, variables) => {
    const r = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OCOP_OPERATOR_TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await r.json();
    assert.ok(!body.errors, JSON.stringify(body.errors));
    return body.data;
  };
  const { node } = await api('query($id: ID!) { node(id: $id) { ... on Order { lines { id quantity } } } }', { id: orders[0] });
  const line = node.lines[0];
  await api('mutation($id: ID!, $in: ConfirmOrderInput) { confirmOrder(id: $id, input: $in) { status } }',
    { id: orders[0], in: { lines: [{ lineId: line.id, acceptedQuantity: line.quantity - 1, reason: 'CI: one short' }] } });
  await page.waitForFunction(() => /Đã xác nhận/.test(document.querySelector('#order-list > li')?.textContent ?? ''),
    null, { timeout: 10000 });
  assert.match(await page.textContent('#order-list > li'), new RegExp(`chấp nhận ${line.quantity - 1}`));
  if (process.argv[3]) await page.screenshot({ path: process.argv[3], fullPage: true });
  // The language toggle.
  await page.click('#lang');
  assert.equal(await page.textContent('h1'), 'OCOP console');
  assert.deepEqual(problems, []);
  console.log(`console: hapro signed in, found ${rows.length} products for "gom bat trang", ordered once on a double click, saw the partial acknowledgement live; no page errors`);
} finally {
  await browser.close();
}
