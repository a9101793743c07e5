// The console in headless Chromium, against a running gateway with the
// demo data: a buyer (hapro) signs in with a pasted token, sees who it is,
// finds "gom bat trang" (diacritics ignored) with its prices in đồng, and
// the page reports no error (CSP violations included).
//
//   OCOP_BASE=http://127.0.0.1:PORT OCOP_TOKEN=... \
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
  if (process.argv[3]) await page.screenshot({ path: process.argv[3], fullPage: true });
  // The language toggle.
  await page.click('#lang');
  assert.equal(await page.textContent('h1'), 'OCOP console');
  assert.deepEqual(problems, []);
  console.log(`console: signed in as hapro, ${rows.length} products for "gom bat trang", no page errors`);
} finally {
  await browser.close();
}
