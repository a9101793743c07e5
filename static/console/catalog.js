// The catalogue kept by producers and the hub (catalog:write). A producer
// sees its products with what each still lacks (the rule's sentence beside
// each field), completes the label, takes or uploads a photo, and submits
// for review; a rejection's reasons are shown. The operator gets the
// review queue (IN_REVIEW, oldest first) with approve and reject-with-reasons.
import { $, el, field, showError, showNotice } from './dom.js';
import { t } from './i18n.js';
import { gql, session, has } from './api.js';

const PRODUCT = `id sku nameVi status version stampUrl netContent { value unit } shelfLifeDays ingredients storage usage
  review { decision reasons } images { url role }
  completeness { score ready missing { field rule message } }`;
// The label fields a producer fills in here, and the missing item each answers.
const TEXTS = [['ingredients', 'fIngredients'], ['storage', 'fStorage'], ['usage', 'fUsage']];
let products = [];
let editing = null;

const isOperator = () => has('partners:admin');

export function initCatalog() {
  $('product-edit').addEventListener('submit', (e) => { e.preventDefault(); save(); });
}

export function resetCatalog() {
  products = [];
  editing = null;
  $('my-products').replaceChildren();
  $('product-edit').hidden = true;
}

export async function loadCatalog() {
  const producerId = session.viewer?.partner?.producerId;
  const filter = isOperator() ? '{ status: IN_REVIEW }' : `{ producerId: ${JSON.stringify(producerId)} }`;
  const order = isOperator() ? '{ field: UPDATED_AT, direction: ASC }' : '{ field: UPDATED_AT, direction: DESC }';
  try {
    const data = await gql(`{ products(first: 50, filter: ${filter}, orderBy: ${order}) { nodes { ${PRODUCT} } } }`);
    products = data.products.nodes;
  } catch (e) {
    return showError(e.message);
  }
  renderCatalog();
}

export function renderCatalog() {
  $('catalog-h2').textContent = t(isOperator() ? 'reviewQueue' : 'myProducts');
  if (products.length === 0) {
    $('my-products').replaceChildren(el('p', { text: t(isOperator() ? 'noReviews' : 'noProducts') }));
    return;
  }
  $('my-products').replaceChildren(...products.map((p) => el('li', { class: 'card', dataset: { sku: p.sku } },
    el('h3', { text: `${p.nameVi} (${p.sku})` }),
    el('p', { class: 'status', text: `${t(`st_${p.status}`)} · ${t('complete', { s: p.completeness.score })}` }),
    p.review?.decision === 'REJECT' && p.status === 'DRAFT'
      ? el('p', { class: 'error reasons', text: `${t('rejectedBecause')} ${p.review.reasons.join('; ')}` }) : null,
    p.completeness.missing.length > 0
      ? el('ul', { class: 'missing' }, ...p.completeness.missing.map((m) => el('li', { text: m.message }))) : null,
    isOperator() ? reviewControls(p) : producerControls(p),
    stamp(p))));
}

// The QR stamp a producer prints itself: the SVG the origin page serves,
// shown small and downloadable (the file name is the SKU). A draft's stamp
// may be printed ahead; its page answers once the hub approves it.
function stamp(p) {
  if (!p.stampUrl) return null;
  const svg = `${p.stampUrl}/qr.svg`;
  return el('div', { class: 'stamp' },
    el('img', { src: svg, alt: t('stampAlt', { p: p.nameVi }), width: 96, height: 96, class: 'qr' }),
    el('div', {},
      el('a', { href: svg, download: `${p.sku}-qr.svg`, class: 'download-qr', text: t('downloadStamp') }),
      el('br'),
      el('a', { href: p.stampUrl, target: '_blank', rel: 'noopener', class: 'origin-link', text: t('originPage') }),
      p.status === 'ACTIVE' ? null : el('small', { class: 'hint', text: ` ${t('stampAfterApproval')}` })));
}

function producerControls(p) {
  if (p.status !== 'DRAFT') return null;
  return el('div', { class: 'actions' },
    el('button', { type: 'button', class: 'edit', text: t('complete_it'), onclick: () => edit(p) }),
    el('button', { type: 'button', class: 'submit', text: t('submitReview'), onclick: () => submit(p) }));
}

function reviewControls(p) {
  const reason = el('input', { type: 'text', class: 'reason', maxlength: 500 });
  return el('div', { class: 'actions' },
    el('button', { type: 'button', class: 'approve', text: t('approve'), onclick: () => decide(p, 'APPROVE', []) }),
    field(t('rejectReason'), reason),
    el('button', { type: 'button', class: 'reject', text: t('reject'),
      onclick: () => (reason.value.trim() ? decide(p, 'REJECT', [reason.value.trim()]) : showError(t('reasonNeeded'))) }));
}

// What the completeness rules say about a field, shown beside it.
function hint(p, name) {
  const m = p.completeness.missing.find((x) => x.field === name);
  return m ? el('small', { class: 'hint', text: m.message }) : null;
}

function edit(p) {
  editing = p;
  const form = $('product-edit');
  const value = el('input', { type: 'number', id: 'f-net-value', min: 0, step: 'any', value: p.netContent?.value ?? '' });
  const unit = el('select', { id: 'f-net-unit' },
    ...['G', 'KG', 'ML', 'L', 'PIECE'].map((u) => el('option', { value: u, text: u, selected: p.netContent?.unit === u })));
  const shelf = el('input', { type: 'number', id: 'f-shelf', min: 1, value: p.shelfLifeDays ?? '' });
  const photo = el('input', { type: 'file', id: 'f-photo', accept: 'image/jpeg,image/png,image/webp', capture: 'environment' });
  form.replaceChildren(
    el('h3', { text: `${t('completing')} ${p.nameVi}` }),
    field(t('fNetValue'), value), field(t('fNetUnit'), unit), hint(p, 'netContent'),
    field(t('fShelf'), shelf), hint(p, 'shelfLifeDays'),
    ...TEXTS.flatMap(([name, label]) => [
      field(t(label), el('textarea', { id: `f-${name}`, rows: 2, maxlength: 2000, value: p[name] ?? '' })), hint(p, name)]),
    field(t('fPhoto'), photo), hint(p, 'images'),
    el('button', { type: 'submit', text: t('save') }));
  form.hidden = false;
  value.focus();
}

async function upload(file) {
  const r = await fetch('/media', { method: 'POST', headers: { authorization: `Bearer ${session.token}` }, body: file });
  const body = await r.json();
  if (!r.ok) throw new Error(body.errors?.[0]?.message ?? r.statusText);
  return body.id;
}

async function save() {
  const p = editing;
  if (!p) return;
  const num = (id) => ($(id).value === '' ? null : Number($(id).value));
  const input = {};
  if (num('f-net-value') != null) input.netContent = { value: num('f-net-value'), unit: $('f-net-unit').value };
  if (num('f-shelf') != null) input.shelfLifeDays = num('f-shelf');
  for (const [name] of TEXTS) input[name] = $(`f-${name}`).value;
  try {
    const saved = await gql(`mutation($id: ID!, $v: Int!, $in: UpdateProductInput!) {
      updateProduct(id: $id, expectedVersion: $v, input: $in) { version } }`, { id: p.id, v: p.version, in: input });
    const file = $('f-photo').files[0];
    if (file) {
      const mediaId = await upload(file);
      await gql(`mutation($id: ID!, $m: String!, $a: String!) { addProductImage(productId: $id, mediaId: $m, alt: $a, role: FRONT) { version } }`,
        { id: p.id, m: mediaId, a: p.nameVi });
    }
    showNotice(t('savedProduct', { v: saved.updateProduct.version }));
  } catch (e) {
    return showError(e.message);
  }
  $('product-edit').hidden = true;
  editing = null;
  await loadCatalog();
}

async function submit(p) {
  try {
    await gql('mutation($id: ID!) { submitProduct(id: $id) { status } }', { id: p.id });
    showNotice(t('submitted', { p: p.nameVi }));
  } catch (e) {
    return showError(e.message);
  }
  await loadCatalog();
}

async function decide(p, decision, reasons) {
  try {
    await gql('mutation($id: ID!, $d: ReviewDecision!, $r: [String!]) { reviewProduct(id: $id, decision: $d, reasons: $r) { status } }',
      { id: p.id, d: decision, r: reasons });
    showNotice(t(decision === 'APPROVE' ? 'approved' : 'rejected', { p: p.nameVi }));
  } catch (e) {
    return showError(e.message);
  }
  await loadCatalog();
}
