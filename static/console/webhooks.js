// A partner's webhook endpoints (webhooks:manage): register one (the
// secret shown once, with a copy button), choose topics, turn it on or
// off, send a test, rotate the secret, and read the delivery log with the
// reason of each failure and a redeliver button.
import { $, el, labelCells, showError, showNotice, confirmButton } from './dom.js';
import { t, when } from './i18n.js';
import { gql } from './api.js';

const TOPICS = ['ORDER_EVENTS', 'STOCK_CHANGED', 'LOW_STOCK', 'PRODUCT_CHANGED'];
const DELIVERY = 'id eventType status attempts lastAttemptAt nextAttemptAt responseStatus failureReason';
const ENDPOINT = `id url description topics enabled disabledReason failingSince deliveries(first: 20) { ${DELIVERY} }`;
let endpoints = [];

export function initWebhooks() {
  $('webhook-create').addEventListener('submit', (e) => { e.preventDefault(); create(); });
  $('copy-secret').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('webhook-secret').value);
      showNotice(t('copied'));
    } catch {
      $('webhook-secret').select();
    }
  });
}

export function resetWebhooks() {
  endpoints = [];
  $('webhook-secret-box').hidden = true;
  $('webhook-secret').value = '';
  $('webhook-list').replaceChildren();
}

export async function loadWebhooks() {
  try {
    endpoints = (await gql(`{ webhookEndpoints { ${ENDPOINT} } }`)).webhookEndpoints;
    showError('');
  } catch (e) {
    return showError(e.message);
  }
  renderWebhooks();
}

async function run(mutation, variables, notice) {
  try {
    const data = await gql(mutation, variables);
    showError('');
    if (notice) showNotice(notice);
    await loadWebhooks();
    return Object.values(data)[0];
  } catch (e) {
    showError(e.message);
    return null;
  }
}

async function create() {
  const topics = TOPICS.filter((tp) => $(`topic-${tp}`).checked);
  const made = await run(
    'mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id } } }',
    { i: { url: $('webhook-url').value.trim(), topics, description: $('webhook-description').value } },
  );
  if (!made) return;
  $('webhook-secret').value = made.secret;
  $('webhook-secret-box').hidden = false;
  $('webhook-url').value = '';
  $('webhook-secret').focus();
}

function statusText(d) {
  const s = t(`ds_${d.status}`);
  return d.status === 'PENDING' && d.nextAttemptAt ? `${s} (${t('whNext', { d: when(new Date(d.nextAttemptAt)) })})` : s;
}

function log(e) {
  if (!e.deliveries.length) return el('p', { text: t('whNoDeliveries') });
  const table = el('table', { class: 'cards webhook-log' },
    el('thead', {}, el('tr', {}, ...['whEvent', 'whStatus', 'whAttempts', 'whAnswer', 'whWhen', 'whReason', 'actions']
      .map((k) => el('th', { text: t(k) })))),
    el('tbody', {}, ...e.deliveries.map((d) => el('tr', { class: d.status === 'FAILED' ? 'failed' : null, dataset: { status: d.status } },
      el('td', { text: d.eventType }),
      el('td', { text: statusText(d) }),
      el('td', { text: String(d.attempts) }),
      el('td', { text: d.responseStatus == null ? '–' : String(d.responseStatus) }),
      el('td', { text: d.lastAttemptAt ? when(new Date(d.lastAttemptAt)) : '–' }),
      el('td', { class: 'reason', text: d.failureReason || '' }),
      el('td', {}, d.status === 'DELIVERED' && d.attempts > 0 ? null : el('button', {
        type: 'button', text: t('whRedeliver'),
        onclick: () => run('mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }', { d: d.id }, t('whRedelivered')),
      }))))));
  labelCells(table);
  return table;
}

export function renderWebhooks() {
  const list = $('webhook-list');
  const topics = $('webhook-topics');
  topics.replaceChildren(el('legend', { text: t('webhookTopics') }), ...TOPICS.map((tp) => el('label', {},
    el('input', { type: 'checkbox', id: `topic-${tp}`, checked: tp === 'ORDER_EVENTS' }), ` ${t(`top_${tp}`)}`)));
  if (!endpoints.length) return list.replaceChildren(el('p', { text: t('webhookNone') }));
  list.replaceChildren(...endpoints.map((e) => el('article', { class: 'endpoint', dataset: { id: e.id } },
    el('h3', {}, el('span', { class: 'url', text: e.url }), ' ',
      el('span', { class: e.enabled ? 'ok-badge' : 'bad-badge', text: t(e.enabled ? 'whEnabled' : 'whDisabled') })),
    e.description ? el('p', { text: e.description }) : null,
    el('p', { text: e.topics.map((tp) => t(`top_${tp}`)).join(', ') }),
    e.disabledReason ? el('p', { class: 'error-inline', text: e.disabledReason }) : null,
    el('div', { class: 'actions' },
      el('button', {
        type: 'button', text: t(e.enabled ? 'whDisable' : 'whEnable'),
        onclick: () => run('mutation($id: ID!, $on: Boolean!) { updateWebhookEndpoint(id: $id, input: { enabled: $on }) { id } }', { id: e.id, on: !e.enabled }),
      }),
      el('button', {
        type: 'button', class: 'ping', text: t('whPing'),
        onclick: () => run('mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id } }', { id: e.id }, t('whPinged')),
      }),
      el('button', { type: 'button', text: t('whRefresh'), onclick: loadWebhooks }),
      confirmButton(t('whRotate'), t('whRotateConfirm'), async () => {
        const r = await run('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: e.id });
        if (r) {
          $('webhook-secret').value = r.secret;
          $('webhook-secret-box').hidden = false;
        }
      }),
      confirmButton(t('whDelete'), t('whDeleteConfirm'), () => run('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: e.id }))),
    log(e))));
}
