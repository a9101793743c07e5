// GraphiQL in headless Chromium, as served by the binary: it renders from
// this origin alone under its strict policy (any CSP violation or page
// error fails), runs a query with a token pasted in the Headers tab, and
// keeps that token out of the browser's storage.
//
//   OCOP_BASE=http://127.0.0.1:PORT OCOP_TOKEN=... node .ci/graphiql-smoke.mjs <node_modules dir>
import { createRequire } from 'node:module';
import path from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'x.js'));
const { chromium } = require('playwright-core');
const base = process.env.OCOP_BASE;
const token = process.env.OCOP_TOKEN;
const WAIT = { timeout: 15000 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const problems = [];
const outside = [];
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()); });
  await page.goto(`${base}/graphql`);
  await page.waitForSelector('.graphiql-container', WAIT);

  // The query editor and the Headers tab are CodeMirror editors: type into them.
  const query = '{ viewer { partner { code } scopes } }';
  await page.click('.graphiql-query-editor .CodeMirror');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(query);
  await page.click('button:has-text("Headers")');
  await page.click('.graphiql-editor-tool .CodeMirror >> visible=true');
  await page.keyboard.type(JSON.stringify({ Authorization: `Bearer ${token}` }));
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => document.querySelector('.result-window')?.textContent.includes('aeon-vn'),
    null,
    WAIT,
  );
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes(token.slice(-24)), 'the pasted token is not kept in the browser');
  assert.deepEqual(outside, [], 'no request leaves this origin');
  assert.deepEqual(problems, [], 'no page error, no CSP violation');
  console.log('graphiql: rendered, ran a query with a pasted token, kept nothing; 0 problems');
} finally {
  await browser.close();
}
