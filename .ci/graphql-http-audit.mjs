// Runs graphql-http's audit suite (GraphQL over HTTP) against a running
// gateway, as a partner with a token. Fails on any MUST (error) or SHOULD
// (warn) finding; MAY findings (notice) are printed.
//
//   OCOP_URL=http://127.0.0.1:PORT/graphql OCOP_TOKEN=... \
//     node .ci/graphql-http-audit.mjs <node_modules dir>
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'x.js'));
const { auditServer } = require('graphql-http');

const token = process.env.OCOP_TOKEN;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url: process.env.OCOP_URL, fetchFn });
const count = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const r of results) {
  count[r.status]++;
  if (r.status !== 'ok') {
    const why = r.reason ? `: ${r.reason}` : '';
    console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}${why}`);
  }
}
console.log(`graphql-http audit: ${count.ok} ok, ${count.notice} MAY not taken, ${count.warn} SHOULD failed, ${count.error} MUST failed`);
process.exit(count.warn + count.error === 0 ? 0 : 1);
