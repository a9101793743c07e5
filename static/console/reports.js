// Sales by day and by partner as bar charts (plain SVG: no library, no
// inline style), each with its figures as a table, and the fulfilment
// figures. The operator sees every partner; a retailer only itself.
import { $, el, showError } from './dom.js';
import { t, vnd, num, percent, day, localDay } from './i18n.js';
import { gql, session, sentence } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
let last = null;

export function initReports() {
  $('report-from').value = localDay(-29);
  $('report-to').value = localDay(0);
  $('report-form').addEventListener('submit', (e) => {
    e.preventDefault();
    loadReports();
  });
  $('report-csv').addEventListener('click', downloadCsv);
}

// The CSV export needs the token in a header, so it is fetched and handed
// to the browser as a file (a link would have to carry the token).
async function downloadCsv() {
  const query = new URLSearchParams({ from: $('report-from').value, to: $('report-to').value,
    groupBy: $('report-group').value });
  let response;
  try {
    response = await fetch(`/reports/sales.csv?${query}`, { headers: { authorization: `Bearer ${session.token}` } });
  } catch {
    return showError(t('network'));
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    return showError(sentence(body.errors?.[0], response.headers.get('x-request-id') ?? ''));
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'sales.csv';
  const url = URL.createObjectURL(await response.blob());
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function resetReports() {
  last = null;
  for (const id of ['chart-day', 'chart-partner', 'fulfilment-figures']) $(id).replaceChildren();
}

export async function loadReports() {
  const vars = { from: $('report-from').value, to: $('report-to').value };
  try {
    last = { ...vars, ...(await gql(`query($from: Date!, $to: Date!) {
      byDay: salesReport(from: $from, to: $to, groupBy: DAY) { key label orders units revenue }
      byPartner: salesReport(from: $from, to: $to, groupBy: PARTNER, first: 12) { key label orders units revenue }
      fulfillmentReport(from: $from, to: $to) { orders unitsOrdered unitsAccepted unitsShipped unitsDelivered
        fillRate lineFillRate onTimeRate cancelRate
        leadTimeHours { placedToConfirmed { p50 p90 } placedToDelivered { p50 p90 } } } }`, vars)) };
    showError('');
  } catch (e) {
    return showError(e.message);
  }
  renderReports();
}

// Every day of the window, with nothing sold shown as zero.
function days(from, to, rows) {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const out = [];
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1)) {
    const k = d.toISOString().slice(0, 10);
    out.push(byKey.get(k) ?? { key: k, label: day(k), orders: 0, units: 0, revenue: 0 });
  }
  return out;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

const short = (n) => new Intl.NumberFormat('vi-VN', { notation: 'compact', maximumFractionDigits: 1 }).format(n);

// Vertical bars (one per day) or horizontal ones (one per partner).
function barChart(rows, { horizontal, label, title }) {
  const max = Math.max(1, ...rows.map((r) => r.revenue));
  const W = 640;
  const H = horizontal ? 28 * rows.length + 10 : 220;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart',
    'aria-label': `${title}: ${rows.length}` });
  rows.forEach((r, i) => {
    const tip = svg('title', {});
    tip.textContent = `${label(r)}: ${vnd(r.revenue)}`;
    if (horizontal) {
      const w = Math.max(1, (r.revenue / max) * (W - 290));
      const text = svg('text', { x: 0, y: 28 * i + 20, class: 'axis' });
      const name = label(r);
      text.textContent = name.length > 28 ? `${name.slice(0, 27)}…` : name;
      const value = svg('text', { x: 200 + w + 6, y: 28 * i + 20, class: 'axis' });
      value.textContent = short(r.revenue);
      chart.append(text, svg('rect', { x: 200, y: 28 * i + 6, width: w, height: 18, class: 'bar' }, tip), value);
    } else {
      const bw = (W - 40) / rows.length;
      const h = (r.revenue / max) * (H - 40);
      chart.append(svg('rect', { x: 40 + i * bw + 1, y: H - 20 - h, width: Math.max(1, bw - 2), height: Math.max(0, h), class: 'bar' }, tip));
      if (i === 0 || i === rows.length - 1 || i === Math.floor(rows.length / 2)) {
        const last = i === rows.length - 1 && i > 0;
        const text = svg('text', { x: last ? W : 40 + i * bw, y: H - 4, class: 'axis', 'text-anchor': last ? 'end' : 'start' });
        text.textContent = label(r);
        chart.append(text);
      }
    }
  });
  if (!horizontal) {
    const top = svg('text', { x: 0, y: 14, class: 'axis' });
    top.textContent = short(max);
    chart.append(top, svg('line', { x1: 40, y1: H - 20, x2: W, y2: H - 20, class: 'baseline' }));
  }
  return chart;
}

function figures(rows, label) {
  return el('details', {}, el('summary', { text: t('figures') }),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: label }), el('th', { text: t('ordersCount') }),
      el('th', { text: t('units') }), el('th', { text: t('revenue') }))),
    el('tbody', {}, rows.map((r) => el('tr', {}, el('td', { text: r.label }), el('td', { class: 'num', text: num(r.orders) }),
      el('td', { class: 'num', text: num(r.units) }), el('td', { class: 'num', text: vnd(r.revenue) }))))));
}

export function renderReports() {
  if (!last) return;
  const byDay = days(last.from, last.to, last.byDay);
  const sold = last.byDay.length > 0;
  // Through el(), which leaves out the parts that are false.
  $('chart-day').replaceChildren(el('div', {}, el('h3', { text: t('salesByDay') }),
    sold ? barChart(byDay, { title: t('salesByDay'), label: (r) => day(r.key).slice(0, 5) }) : el('p', { text: t('noSales') }),
    sold && figures(last.byDay, t('day'))));
  $('chart-partner').replaceChildren(el('div', {}, el('h3', { text: t('salesByPartner') }),
    last.byPartner.length ? barChart(last.byPartner, { horizontal: true, title: t('salesByPartner'), label: (r) => r.label })
      : el('p', { text: t('noSales') }),
    last.byPartner.length > 0 && figures(last.byPartner, t('partner'))));
  const f = last.fulfillmentReport;
  const lead = (l) => (l.p50 == null ? '–' : `${num(l.p50, 1)} / ${num(l.p90, 1)}`);
  const facts = [
    ['ordersCount', num(f.orders)], ['unitsOrdered', num(f.unitsOrdered)], ['unitsAccepted', num(f.unitsAccepted)],
    ['unitsShipped', num(f.unitsShipped)], ['unitsDelivered', num(f.unitsDelivered)],
    ['fillRate', percent(f.fillRate)], ['lineFillRate', percent(f.lineFillRate)],
    ['onTimeRate', percent(f.onTimeRate)], ['cancelRate', percent(f.cancelRate)],
    ['leadConfirm', lead(f.leadTimeHours.placedToConfirmed)], ['leadDeliver', lead(f.leadTimeHours.placedToDelivered)],
  ];
  $('fulfilment-figures').replaceChildren(el('h3', { text: t('fulfilment') }),
    el('dl', { class: 'facts' }, facts.flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', { text: v, dataset: { fact: k } })])));
}
