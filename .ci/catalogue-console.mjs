// The catalogue in the console, end to end in headless Chromium: a
// producer on a phone completes its draft (label fields, a photo from the
// camera input) and submits it; the hub rejects it once with a reason,
// which the producer reads, then approves it; the producer downloads its
// QR stamp and a shopper's phone opens the origin page it leads to; a
// chain's buyer finds it in the catalogue and orders it. No page reports an error.
//
//   OCOP_BASE=... OCOP_OPERATOR_TOKEN=<catalog:write partners:admin inventory:write>
//   OCOP_PRODUCER_TOKEN=<htx-ci-console> OCOP_TOKEN=<buyer> node .ci/catalogue-console.mjs <node_modules dir>
import { createRequire } from 'node:module';
import path from 'node:path';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'x.js'));
const { chromium } = require('playwright-core');
const base = process.env.OCOP_BASE;
const WAIT = { timeout: 15000 };
const SKU = `CI-HONEY-${Date.now()}`;
const NAME = 'Mật ong hoa nhãn Hưng Yên CI';

async function api(token, query, variables = {}) {
  const r = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  assert.ok(!body.errors, JSON.stringify(body.errors));
  return body.data;
}
const hub = process.env.OCOP_OPERATOR_TOKEN;

// The hub onboards the producer's account and the draft's certificate.
const { producers, locations } = await api(hub, '{ producers(first: 1) { nodes { id } } locations { id } }');
const producerId = producers.nodes[0].id;
await api(hub, `mutation($p: ID!) { createPartner(input: { code: "htx-ci-console", name: "HTX CI", kind: PRODUCER,
  producerId: $p, grants: ["catalog:read", "catalog:write"] }) { id } }`, { p: producerId });
const draft = (await api(process.env.OCOP_PRODUCER_TOKEN, `mutation($in: CreateProductInput!) { createProduct(input: $in) { id } }`,
  { in: { producerId, sku: SKU, nameVi: NAME, nameEn: 'Hung Yen longan honey', category: 'FOOD', unit: 'chai',
    packSize: 12, wholesalePrice: 180000, minOrderQuantity: 12 } })).createProduct;
await api(hub, `mutation($id: ID!) { recordCertificate(productId: $id, input: { number: "HY-OCOP-CI-1", stars: 4,
  issuedOn: "2026-06-01", expiresOn: "2029-05-31" }) { status } }`, { id: draft.id });

// A real PNG (the gateway decodes every upload once, and makes its phone
// copy): a gradient, RGB, no filtering.
function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      rows.set([(x * 255 / w) | 0, (y * 255 / h) | 0, 128], y * (w * 3 + 1) + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

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
  await page.waitForSelector('#home:not([hidden])', WAIT)
    .catch(async () => assert.fail(`not signed in: ${await page.textContent('#error')}`));
  return page;
}
const card = (page) => page.locator(`#my-products li[data-sku="${SKU}"]`);
try {
  // The producer, on a phone: its products, with what is missing.
  const producer = await signedIn(process.env.OCOP_PRODUCER_TOKEN, { width: 390, height: 844 });
  await producer.waitForSelector('#view-catalogue:not([hidden])', WAIT);
  await card(producer).waitFor(WAIT);
  assert.match(await card(producer).textContent(), /Thiếu thành phần/, 'the gaps in sentences');
  await card(producer).locator('button.edit').click();
  await producer.fill('#f-net-value', '0.5');
  await producer.selectOption('#f-net-unit', 'L');
  await producer.fill('#f-shelf', '720');
  await producer.fill('#f-ingredients', 'Mật ong hoa nhãn 100%');
  await producer.fill('#f-storage', 'Nơi khô ráo, tránh ánh nắng');
  await producer.fill('#f-usage', 'Pha với nước ấm');
  assert.equal(await producer.getAttribute('#f-photo', 'capture'), 'environment', 'opens the camera on a phone');
  await producer.setInputFiles('#f-photo', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: png(1200, 900) });
  await producer.click('#product-edit button[type="submit"]');
  await producer.waitForFunction((sku) => document.querySelector(`#my-products li[data-sku="${sku}"]`)
    ?.textContent.includes('100%'), SKU, WAIT);
  await card(producer).locator('button.submit').click();
  await producer.waitForFunction((sku) => document.querySelector(`#my-products li[data-sku="${sku}"]`)
    ?.textContent.includes('Chờ duyệt'), SKU, WAIT);
  assert.ok(await producer.evaluate(() => document.documentElement.scrollWidth <= 390), 'fits the phone');

  // The hub's review queue: a rejection needs a reason.
  const operator = await signedIn(hub, { width: 1280, height: 900 });
  await operator.click('#tabs button[data-view="catalogue"]');
  await card(operator).waitFor(WAIT);
  await card(operator).locator('button.reject').click();
  await operator.waitForSelector('#error:not([hidden])', WAIT);
  await card(operator).locator('input.reason').fill('Ảnh nhãn sau còn thiếu');
  await card(operator).locator('button.reject').click();
  await card(operator).waitFor({ state: 'detached', ...WAIT });

  // The producer reads why, and submits again.
  await producer.reload();
  await card(producer).waitFor(WAIT);
  assert.match(await card(producer).textContent(), /Bị từ chối vì: Ảnh nhãn sau còn thiếu/);
  await card(producer).locator('button.submit').click();
  await producer.waitForFunction((sku) => document.querySelector(`#my-products li[data-sku="${sku}"]`)
    ?.textContent.includes('Chờ duyệt'), SKU, WAIT);

  await operator.reload();
  await operator.click('#tabs button[data-view="catalogue"]');
  await card(operator).locator('button.approve').click();
  await card(operator).waitFor({ state: 'detached', ...WAIT });

  // The producer's card now carries its QR stamp: an image the browser
  // drew, and a download of the same SVG.
  await producer.reload();
  await card(producer).locator('img.qr').waitFor(WAIT);
  await producer.waitForFunction((sku) => document.querySelector(`#my-products li[data-sku="${sku}"] img.qr`)
    ?.naturalWidth > 0, SKU, WAIT);
  const qrHref = await card(producer).locator('a.download-qr').getAttribute('href');
  const stampUrl = await card(producer).locator('a.origin-link').getAttribute('href');
  assert.equal(qrHref, `${stampUrl}/qr.svg`);
  const [download] = await Promise.all([producer.waitForEvent('download', WAIT), card(producer).locator('a.download-qr').click()]);
  assert.equal(download.suggestedFilename(), `${SKU}-qr.svg`);
  const svg = await (await fetch(qrHref)).text();
  assert.match(svg, /^<\?xml|^<svg/, 'the stamp is an SVG');

  // A shopper scans it: the origin page on a phone, anonymous, in
  // Vietnamese, with the photo, fitting the screen; then in English.
  const shopper = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'vi-VN' })).newPage();
  shopper.on('pageerror', (e) => problems.push(String(e)));
  const answer = await shopper.goto(stampUrl);
  assert.equal(answer.status(), 200);
  assert.equal(await shopper.getAttribute('html', 'lang'), 'vi');
  const text = await shopper.textContent('body');
  assert.ok(text.includes(NAME), 'the product name');
  assert.match(text, /Còn hiệu lực đến 31\/05\/2029/, 'the certificate in a shopper\'s words');
  assert.ok(!/180[.,]?000/.test(text), 'no price on the public page');
  await shopper.waitForFunction(() => [...document.images].some((i) => i.complete && i.naturalWidth > 0), null, WAIT)
    .catch(() => assert.fail('the product photo did not load'));
  assert.ok(await shopper.evaluate(() => document.documentElement.scrollWidth <= 390), 'no horizontal scroll at 390 px');
  if (process.env.OCOP_ORIGIN_SCREENSHOT) await shopper.screenshot({ path: process.env.OCOP_ORIGIN_SCREENSHOT, fullPage: true });
  await shopper.click('header a[hreflang="en"]');
  await shopper.waitForFunction(() => document.documentElement.lang === 'en', null, WAIT);
  assert.match(await shopper.textContent('body'), /In force until 31\/05\/2029/);
  assert.ok(await shopper.evaluate(() => document.documentElement.scrollWidth <= 390), 'English fits too');

  // The hub's work list names lapsed certificates (the demo has some), and
  // it onboards a producer whose token then signs in to an empty catalogue.
  await operator.waitForSelector('#hub-work:not([hidden]) #work-figures .figure', WAIT);
  assert.match(await operator.textContent('#cert-list'), /đã hết hạn ngày/, 'lapsed certificates are listed');
  const code = `HTX-OB-${Date.now() % 100000}`;
  await operator.fill('#ob-code', code);
  await operator.fill('#ob-name', 'HTX Chè Tân Cương CI');
  await operator.click('#onboard-form button[type="submit"]');
  await operator.waitForSelector('#error:not([hidden])', WAIT);
  assert.match(await operator.textContent('#error'), /Hãy điền/, 'a missing field is named in the console\'s words');
  await operator.fill('#ob-address', 'Xóm 5');
  await operator.fill('#ob-commune', 'Tân Cương');
  await operator.fill('#ob-district', 'TP Thái Nguyên');
  await operator.fill('#ob-province', 'Thái Nguyên');
  await operator.selectOption('#ob-kind', 'COOPERATIVE');
  await operator.click('#onboard-form button[type="submit"]');
  await operator.waitForSelector('#onboard-done:not([hidden])', WAIT)
    .catch(async () => assert.fail(`not onboarded: ${await operator.textContent('#error')}`));
  const issued = await operator.inputValue('#onboard-token');
  assert.ok(issued.split('.').length === 3, 'a token is shown once');
  const newcomer = await signedIn(issued, { width: 390, height: 844 });
  await newcomer.waitForSelector('#view-catalogue:not([hidden]) #my-products p', WAIT);
  assert.match(await newcomer.textContent('#my-products'), /Chưa có sản phẩm nào/);
  assert.ok(await newcomer.isHidden('#hub-work'), 'a producer gets no hub work list');

  // A chain's buyer finds it and orders it.
  await api(hub, `mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 120 }) { onHand } }`,
    { p: draft.id, l: locations[0].id });
  const buyer = await signedIn(process.env.OCOP_TOKEN, { width: 1280, height: 900 });
  await buyer.fill('#search', 'mat ong hoa nhan hung yen ci');
  await buyer.click('#search-form button');
  await buyer.waitForSelector('#results:not([hidden])', WAIT);
  assert.match(await buyer.textContent('#results tbody tr:first-child'), /Mật ong hoa nhãn Hưng Yên CI/);
  await buyer.click('#results tbody tr:first-child button.add');
  await buyer.click('#place');
  await buyer.waitForSelector('#error:not([hidden])', WAIT);
  assert.match(await buyer.textContent('#error'), /số đơn \(PO\)/, 'the console asks for the PO number itself');
  await buyer.fill('#reference', `PO-${SKU}`);
  await buyer.locator('#reference').dispatchEvent('change');
  await buyer.click('#place');
  await buyer.waitForSelector('#notice:not([hidden])', WAIT)
    .catch(async () => assert.fail(`not placed: ${await buyer.textContent('#error')}`));
  assert.match(await buyer.textContent('#notice'), /Đã đặt đơn/);
  assert.deepEqual(problems, [], 'no page reports an error');
  console.log(`catalogue console: ${SKU} completed on a phone, rejected once, approved, its QR stamp downloaded and its origin page read on a phone in both languages, ordered by a chain; a producer onboarded from the hub's work list`);
} finally {
  await browser.close();
}
