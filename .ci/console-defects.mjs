// Five console defects found by trying it as a new user would, each
// checked in headless Chromium against the running gateway:
// 1. before signing in, no work-area tab is offered (and none can send a
//    request without a token);
// 2. an error replaces an earlier notice instead of appearing under it;
// 3. in English the live indicator is in English;
// 4. at 390 px the report figures stay inside the screen;
// 5. a quantity below the minimum is refused with the console's sentence,
//    not the browser's own bubble.
//
//   OCOP_BASE=... OCOP_TOKEN=<buyer> OCOP_OPERATOR_TOKEN=... node .ci/console-defects.mjs <node_modules dir>
import { createRequire } from 'node:module';
import path from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'x.js'));
const { chromium } = require('playwright-core');
const base = process.env.OCOP_BASE;
const WAIT = { timeout: 10000 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
async function page(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  p.requests = [];
  p.on('request', (r) => p.requests.push(r));
  return p;
}
async function signIn(p, token) {
  await p.fill('#token', token);
  await p.click('#signin-form button');
  await p.waitForSelector('#home:not([hidden])', WAIT);
}
try {
  // 1. A visitor who pasted nothing is offered no tab, and sends nothing.
  const visitor = await page();
  await visitor.goto(`${base}/console`);
  assert.equal(await visitor.locator('#tabs').isVisible(), false, 'no tabs before signing in');
  assert.equal(await visitor.locator('#tabs button').first().isVisible(), false);
  const sent = visitor.requests.filter((r) => r.url().endsWith('/graphql')).length;
  assert.equal(sent, 0, 'no API request before a token');

  // 3. In English, the live indicator too.
  const buyer = await page();
  await buyer.goto(`${base}/console`);
  await signIn(buyer, process.env.OCOP_TOKEN);
  await buyer.waitForFunction(() => document.getElementById('live').textContent.trim() !== '', null, WAIT);
  await buyer.click('#lang');
  await buyer.waitForFunction(() => document.getElementById('live').textContent.includes('Updating live'), null, WAIT);
  await buyer.click('#lang');

  // 5. Below the minimum: the console's sentence, no browser bubble.
  await buyer.fill('#search', 'gom bat trang');
  await buyer.click('#search-form button');
  await buyer.waitForSelector('#results:not([hidden])', WAIT);
  await buyer.click('#results tbody tr:first-child button.add');
  const qty = buyer.locator('#draft-lines tbody tr:first-child input');
  await qty.fill('1');
  await qty.dispatchEvent('change');
  await buyer.click('#place');
  await buyer.waitForSelector('#error:not([hidden])', WAIT);
  assert.match(await buyer.textContent('#error'), /ít nhất \d+, theo bội số của \d+/, 'the console says why');
  assert.equal(await qty.evaluate((i) => i.validationMessage === '' || i.form.noValidate), true, 'no browser bubble');

  // 2. A notice, then an error (the server's INSUFFICIENT_STOCK): only the error shows.
  await buyer.fill('#reference', `PO-DEFECTS-${Date.now()}`);
  await buyer.locator('#reference').dispatchEvent('change');
  await buyer.evaluate(() => {
    const n = document.getElementById('notice');
    n.textContent = 'Đã đặt đơn X.';
    n.hidden = false;
  });
  const offer = await (await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OCOP_TOKEN}` },
    body: JSON.stringify({ query: '{ products(first: 1, filter: { search: "gom bat trang" }) { nodes { offer { quantityIncrement } } } }' }),
  })).json();
  // A valid multiple, far beyond the stock: the server's INSUFFICIENT_STOCK.
  await qty.fill(String(offer.data.products.nodes[0].offer.quantityIncrement * 50000));
  await qty.dispatchEvent('change');
  await buyer.click('#place');
  await buyer.waitForFunction(() => /Không đủ hàng/.test(document.getElementById('error').textContent), null, WAIT);
  assert.equal(await buyer.locator('#notice').isVisible(), false, 'the error replaced the notice');

  // 4. At 390 px the report figures fit.
  const phone = await page({ width: 390, height: 844 });
  await phone.goto(`${base}/console`);
  await signIn(phone, process.env.OCOP_OPERATOR_TOKEN);
  await phone.click('#tabs button[data-view="reports"]');
  await phone.waitForSelector('#fulfilment-figures dl', WAIT);
  const widths = await phone.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    facts: Math.max(...[...document.querySelectorAll('#fulfilment-figures dd, #fulfilment-figures dt')]
      .map((e) => e.getBoundingClientRect().right)),
  }));
  assert.ok(widths.page <= 390 && widths.facts <= 390, `fits a 390 px screen: ${JSON.stringify(widths)}`);
  console.log('console defects: 5 of 5 hold');
} finally {
  await browser.close();
}
