// Spreadsheets: the hub and producers upload a catalogue sheet, the buyer
// an order sheet. A file is always checked first (a dry run: nothing is
// written) and the rows to fix are shown highlighted with their reasons;
// only a clean check offers the button that writes it.
import { $, el, showError, showNotice } from './dom.js';
import { t, vnd } from './i18n.js';
import { session, has, sentence } from './api.js';

const KINDS = {
  catalog: { path: '/catalog/import', scope: 'catalog:write' },
  orders: { path: '/orders/import', scope: 'orders:write' },
};
// The file last checked clean, per kind, until another is chosen.
const checked = {};

export function initSheets() {
  for (const kind of Object.keys(KINDS)) {
    $(`${kind}-sheet`).addEventListener('change', () => {
      delete checked[kind];
      $(`${kind}-commit`).hidden = true;
      $(`${kind}-report`).replaceChildren();
    });
    $(`${kind}-check`).addEventListener('click', () => send(kind, true));
    $(`${kind}-commit`).addEventListener('click', () => send(kind, false));
  }
  $('catalog-export').addEventListener('click', exportCatalog);
}

export function resetSheets() {
  for (const kind of Object.keys(KINDS)) {
    delete checked[kind];
    $(`${kind}-sheet`).value = '';
    $(`${kind}-commit`).hidden = true;
    $(`${kind}-report`).replaceChildren();
  }
}

export function showSheets() {
  for (const [kind, k] of Object.entries(KINDS)) $(`${kind}-sheets`).hidden = !has(k.scope);
}

async function send(kind, dryRun) {
  const file = $(`${kind}-sheet`).files[0];
  if (!file) return showError(t('sheetNeeded'));
  if (!dryRun && checked[kind] !== file) return showError(t('sheetCheckFirst'));
  const policy = $(`${kind}-policy`).value;
  let response;
  try {
    response = await fetch(`${KINDS[kind].path}?dryRun=${dryRun}&errorPolicy=${policy}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'text/csv' },
      body: file,
    });
  } catch {
    return showError(t('network'));
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return showError(sentence(body.errors?.[0], response.headers.get('x-request-id') ?? ''));
  showError('');
  render(kind, body);
  const clean = body.failed === 0;
  if (dryRun) {
    // With REJECT_FAILED_ROWS the good rows may go in as they are.
    const writable = clean || policy === 'REJECT_FAILED_ROWS';
    if (writable) checked[kind] = file;
    $(`${kind}-commit`).hidden = !writable;
    showNotice(t(clean ? 'sheetClean' : 'sheetToFix', { n: body.failed }));
  } else {
    delete checked[kind];
    $(`${kind}-commit`).hidden = true;
    showNotice(kind === 'catalog'
      ? t('sheetImported', { c: body.created, u: body.updated })
      : t('sheetPlaced', { p: body.placed, a: body.alreadyPlaced }));
  }
}

// The report: a summary, then every row with a problem first, highlighted,
// then what was (or would be) done.
function render(kind, r) {
  const byRow = new Map();
  for (const e of r.errors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e]);
  const summary = kind === 'catalog'
    ? t('sheetSummary', { r: r.rows, c: r.created, u: r.updated, s: r.unchanged, f: r.failed })
    : t('orderSheetSummary', { r: r.rows, o: r.orders.length, p: r.placed, a: r.alreadyPlaced, f: r.failed });
  const problems = [...byRow.entries()].map(([row, errs]) => el('tr', { class: 'failed', dataset: { row } },
    el('td', { text: String(row) }),
    el('td', { text: errs.map((e) => e.field).filter(Boolean).join(', ') || '–' }),
    el('td', { text: errs.map((e) => e.message).join('; ') })));
  const table = (head, rows) => el('table', { class: 'cards sheet-report' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: t(h) })))), el('tbody', {}, ...rows));
  const done = kind === 'catalog'
    ? r.results.filter((x) => x.action !== 'failed').map((x) => el('tr', { dataset: { row: x.row } },
      el('td', { text: String(x.row) }), el('td', { text: x.sku }), el('td', { text: t(`act_${x.action}`) })))
    : r.orders.filter((o) => o.action !== 'failed').map((o) => el('tr', { class: 'order-result' },
      el('td', { text: o.rows.join(', ') }), el('td', { text: `${o.storeCode} · ${o.buyerReference}` }),
      el('td', { text: t(`act_${o.action}`) }), el('td', { text: o.totalVnd != null ? vnd(o.totalVnd) : '' })));
  $(`${kind}-report`).replaceChildren(
    el('p', { class: 'sheet-summary', text: summary }),
    problems.length ? table(['sheetRow', 'sheetField', 'sheetReason'], problems) : null,
    done.length ? table(kind === 'catalog' ? ['sheetRow', 'sku', 'sheetAction'] : ['sheetRow', 'sheetOrder', 'sheetAction', 'sheetTotal'], done) : null);
}

// The export needs the token, so it is fetched and handed over as a file.
async function exportCatalog() {
  try {
    const response = await fetch('/catalog/export.csv', { headers: { authorization: `Bearer ${session.token}` } });
    if (!response.ok) throw new Error(t('network'));
    const link = el('a', { href: URL.createObjectURL(await response.blob()), download: 'ocop-catalogue.csv' });
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (e) {
    showError(e.message);
  }
}
