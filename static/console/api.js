// The console's only way to the data: the public GraphQL API, over HTTP
// and graphql-transport-ws, with the signed-in token.
import { t } from './i18n.js';
import { showError } from './dom.js';

export const session = { token: null, claims: null, viewer: null };
export const has = (scope) => !!session.viewer?.scopes.includes(scope);

let unauthenticated = () => {};
export function onUnauthenticated(f) { unauthenticated = f; }

export class ApiError extends Error {
  constructor(code, message, extensions = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The claims, read without verifying (the server verifies every request).
export function claimsOf(token) {
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

// The sentence for an error from the API.
export function sentence(error, requestId = '') {
  const code = error?.extensions?.code ?? 'INTERNAL';
  return t(code, { m: code === 'INTERNAL' ? requestId : error?.message ?? '' });
}

// One GraphQL request. RATE_LIMITED waits Retry-After and retries by
// itself; UNAUTHENTICATED signs out; any other error is an ApiError
// carrying its error code, its extensions and a sentence.
export async function gql(query, variables = {}) {
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
      // The server's reason (expired, revoked, suspended...) helps whoever
      // has to issue the next token.
      const message = error.message ? t('unauthenticatedWhy', { m: error.message }) : t('UNAUTHENTICATED');
      unauthenticated(message);
      throw new ApiError(code, message);
    }
    if (error && !body.data?.[Object.keys(body.data ?? {})[0]]) {
      throw new ApiError(code ?? 'INTERNAL', sentence(error, response.headers.get('x-request-id') ?? ''),
        error.extensions);
    }
    return body.data;
  }
}

// graphql-transport-ws by hand: the token goes in connection_init, never
// in the URL; one socket carries every subscription; after a drop it
// reconnects and each subscription rebuilds its payload (the order feed
// resumes from its last cursor).
export class Live {
  constructor(onState) {
    this.subs = new Map();
    this.ws = null;
    this.ready = false;
    this.token = null;
    this.onState = onState;
  }

  start(token) {
    this.token = token;
    this.connect();
  }

  stop() {
    this.token = null;
    this.subs.clear();
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    ws?.close();
  }

  subscribe(id, payload, onNext) {
    this.subs.set(id, { payload, onNext });
    if (this.ready) this.send(id);
  }

  send(id) {
    this.ws.send(JSON.stringify({ id, type: 'subscribe', payload: this.subs.get(id).payload() }));
  }

  connect() {
    if (!this.token || this.ws) return;
    const token = this.token;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql/ws`,
      'graphql-transport-ws');
    this.ws = ws;
    ws.addEventListener('open', () => ws.send(JSON.stringify({
      type: 'connection_init', payload: { Authorization: `Bearer ${token}` } })));
    ws.addEventListener('message', (m) => {
      if (this.ws !== ws) return;
      const msg = JSON.parse(m.data);
      if (msg.type === 'connection_ack') {
        this.ready = true;
        for (const id of this.subs.keys()) this.send(id);
        this.onState(true);
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (msg.type === 'next' && msg.payload?.data) {
        this.subs.get(msg.id)?.onNext(msg.payload.data);
      } else if (msg.type === 'next' || msg.type === 'error') {
        const errors = msg.type === 'error' ? msg.payload : msg.payload?.errors;
        showError(sentence(errors?.[0]));
      }
    });
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      this.onState(false);
      if (e.code === 4403) unauthenticated(t('UNAUTHENTICATED'));
      else if (this.token === token) setTimeout(() => this.connect(), 2000);
    });
  }
}
