// Webhooks in the console, end to end in headless Chromium, with a real
// receiver started here: a chain registers its endpoint (the secret shown
// once), sends a test that the npm `standardwebhooks` package (the
// specification's own) verifies, sees a failed delivery with its reason,
// redelivers it with the same webhook-id, and disables the endpoint.
//
//   OCOP_BASE=http://127.0.0.1:PORT OCOP_TOKEN=<chain with webhooks:manage> \
//     node .ci/webhooks-console.mjs <node_modules dir>
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'x.js'));
const { chromium } = require('playwright-core');
const { Webhook } = require('standardwebhooks');
const base = process.env.OCOP_BASE;
const WAIT = { timeout: 20000 };

// The receiver: records each call, answers what `plan` says (then 200).
const calls = [];
const plan = [];
const waiters = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    calls.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(plan.shift() ?? 200).end();
    while (waiters.length && waiters[0].n <= calls.length) waiters.shift().resolve();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
const callNumber = (n) => new Promise((resolve, reject) => {
  if (calls.length >= n) return resolve();
  waiters.push({ n, resolve });
  setTimeout(() => reject(new Error(`call ${n} never came`)), WAIT.timeout);
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${base}/console`);
  await page.fill('#token', process.env.OCOP_TOKEN);
  await page.click('#signin-form button');
  await page.waitForSelector('#home:not([hidden])', WAIT);
  await page.click('#tabs button[data-view="webhooks"]');
  await page.waitForSelector('#view-webhooks:not([hidden])', WAIT);

  // Register: the secret appears once, ready to copy.
  await page.fill('#webhook-url', url);
  await page.check('#topic-STOCK_CHANGED');
  await page.fill('#webhook-description', 'ERP thử nghiệm');
  await page.click('#webhook-create button[type=submit]');
  await page.waitForSelector('#webhook-secret-box:not([hidden])', WAIT);
  const secret = await page.inputValue('#webhook-secret');
  assert.match(secret, /^whsec_/);
  const endpoint = page.locator('article.endpoint').first();
  await endpoint.waitFor(WAIT);
  assert.match(await endpoint.textContent(), /Đang bật/);

  // A test call, verified by the specification's own library.
  await endpoint.locator('button.ping').click();
  await callNumber(1);
  const ping = calls[0];
  new Webhook(secret).verify(ping.body, ping.headers);
  assert.equal(JSON.parse(ping.body).type, 'webhook.ping');
  assert.throws(() => new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(ping.body, ping.headers));

  // A failure shows in the log with its reason; redelivered with the same id.
  plan.push(500);
  await endpoint.locator('button.ping').click();
  await callNumber(2);
  const failedRow = page.locator('table.webhook-log tbody tr', { hasText: 'HTTP 500' }).first();
  for (let i = 0; i < 50 && !(await failedRow.count()); i++) {
    await endpoint.getByRole('button', { name: 'Tải lại nhật ký' }).click();
    await page.waitForTimeout(100);
  }
  await failedRow.waitFor(WAIT);
  const failedId = calls[1].headers['webhook-id'];
  await failedRow.getByRole('button', { name: 'Gửi lại' }).click();
  await callNumber(3);
  assert.equal(calls[2].headers['webhook-id'], failedId, 'a redelivery keeps its webhook-id');
  new Webhook(secret).verify(calls[2].body, calls[2].headers);

  if (process.env.OCOP_WEBHOOKS_SCREENSHOT) {
    await endpoint.getByRole('button', { name: 'Tải lại nhật ký' }).click();
    await page.locator('table.webhook-log tbody tr').nth(1).waitFor(WAIT);
    await page.locator('#view-webhooks').screenshot({ path: process.env.OCOP_WEBHOOKS_SCREENSHOT });
  }
  // Turned off by the partner.
  await endpoint.getByRole('button', { name: 'Tắt', exact: true }).click();
  await page.locator('article.endpoint .bad-badge').waitFor(WAIT);
  assert.deepEqual(problems, [], 'no page reported an error');
  console.log(`webhooks console: endpoint registered, ${calls.length} signed calls verified by npm standardwebhooks, a 500 shown with its reason and redelivered with its id, disabled`);
} finally {
  await browser.close();
  receiver.close();
}
