// Partner administration (partners:admin): onboard, suspend, reactivate,
// revoke tokens, add stores, set contract prices, and issue a partner's
// token within its grants (when the gateway signs its own tokens).
import { $, el, labelCells, showError, showNotice, confirmButton } from './dom.js';
import { t, when, localDay } from './i18n.js';
import { gql } from './api.js';

const RETAIL_SCOPES = ['catalog:read', 'inventory:read', 'orders:read', 'orders:write', 'reports:read'];
const PARTNER = 'id code name kind status grants tokensValidAfter stores { id code name }';
const LIFETIMES = [['h1', 60], ['h8', 480], ['d1', 1440], ['d7', 10080], ['d30', 43200]];
let partners = [];

export function initPartners() {
  $('partner-create').addEventListener('submit', (e) => { e.preventDefault(); createPartner(); });
  $('store-create').addEventListener('submit', (e) => { e.preventDefault(); addStore(); });
  $('contract-form').addEventListener('submit', (e) => { e.preventDefault(); setContractPrice(); });
  $('issue-form').addEventListener('submit', (e) => { e.preventDefault(); issueToken(); });
  $('issue-partner').addEventListener('change', renderIssueScopes);
  $('copy-token').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('issued-token').value);
      showNotice(t('copied'));
    } catch {
      $('issued-token').select();
    }
  });
}

export function resetPartners() {
  partners = [];
  $('issued').hidden = true;
  $('issued-token').value = '';
  $('partner-table').querySelector('tbody').replaceChildren();
}

export async function loadPartners() {
  try {
    const data = await gql(`{ partners(first: 100) { nodes { ${PARTNER} } } }`);
    partners = data.partners.nodes;
    showError('');
  } catch (e) {
    return showError(e.message);
  }
  renderPartners();
}

function replace(p) {
  const i = partners.findIndex((x) => x.id === p.id);
  if (i >= 0) partners[i] = p;
  else partners.push(p);
  renderPartners();
}

async function run(mutation, variables, done) {
  try {
    const data = await gql(mutation, variables);
    showError('');
    done(Object.values(data)[0]);
    return true;
  } catch (e) {
    showError(e.message);
    return false;
  }
}

function actions(p) {
  const cell = el('div', { class: 'actions' });
  if (p.kind === 'OPERATOR') return el('td');
  if (p.status === 'ACTIVE') {
    const reason = el('input', { class: 'suspend-reason', maxlength: 500, placeholder: t('suspendReason'),
      'aria-label': `${t('suspendReason')}: ${p.name}` });
    cell.append(reason, el('button', { type: 'button', class: 'suspend', text: t('suspend'), onclick: () => {
      if (!reason.value.trim()) { reason.focus(); return showError(t('reasonRequired')); }
      run('mutation($id: ID!, $r: String!) { suspendPartner(id: $id, reason: $r) { ' + PARTNER + ' } }',
        { id: p.id, r: reason.value.trim() }, (x) => { replace(x); showNotice(t('partnerUpdated', { c: x.code })); });
    } }));
  } else {
    cell.append(el('button', { type: 'button', class: 'reactivate', text: t('reactivate'), onclick: () =>
      run('mutation($id: ID!) { reactivatePartner(id: $id) { ' + PARTNER + ' } }', { id: p.id },
        (x) => { replace(x); showNotice(t('partnerUpdated', { c: x.code })); }) }));
  }
  cell.append(confirmButton(t('revoke'), t('again'), () =>
    run('mutation($id: ID!) { revokePartnerTokens(id: $id) { ' + PARTNER + ' } }', { id: p.id },
      (x) => { replace(x); showNotice(t('partnerUpdated', { c: x.code })); }), { class: 'revoke' }));
  return el('td', {}, cell);
}

export function renderPartners() {
  $('partner-table').querySelector('tbody').replaceChildren(...partners.map((p) => el('tr', { dataset: { partner: p.code } },
    el('td', { text: p.code }),
    el('td', { text: p.name }),
    el('td', { text: t(p.kind === 'OPERATOR' ? 'OPERATOR' : 'RETAILER') }),
    el('td', {}, el('span', { class: `status s-${p.status.toLowerCase()}`, text: t(p.status) }),
      p.tokensValidAfter ? el('div', { class: 'muted', text: `${t('revoke')}: ${when(new Date(p.tokensValidAfter))}` }) : null),
    el('td', { text: p.grants.join(', ') }),
    el('td', { text: p.stores.map((s) => s.code).join(', ') || '–' }),
    actions(p))));
  labelCells($('partner-table'));
  const retail = partners.filter((p) => p.kind !== 'OPERATOR');
  for (const id of ['store-partner', 'contract-partner', 'issue-partner']) {
    const select = $(id);
    const chosen = select.value;
    select.replaceChildren(...retail.map((p) => el('option', { value: p.id, text: `${p.name} (${p.code})` })));
    if (retail.some((p) => p.id === chosen)) select.value = chosen;
  }
  if (!$('grant-boxes').childElementCount) $('grant-boxes').append(...checkboxes('grant', RETAIL_SCOPES, RETAIL_SCOPES));
  const lifetime = $('issue-lifetime').value || '1440';
  $('issue-lifetime').replaceChildren(...LIFETIMES.map(([k, m]) => el('option', { value: m, text: t(k) })));
  $('issue-lifetime').value = lifetime;
  $('contract-from').value ||= localDay(0);
  renderIssueScopes();
}

function checkboxes(name, scopes, checked) {
  return scopes.map((s) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name, value: s, checked: checked.includes(s) }), ` ${s}`));
}

// The partner's grants, all ticked at first; a redraw for the same
// partner (after another change on the page) keeps what was ticked.
function renderIssueScopes() {
  const p = partners.find((x) => x.id === $('issue-partner').value);
  const box = $('issue-scopes');
  const ticked = box.dataset.partner === p?.id ? chosen(box, 'scope') : p?.grants ?? [];
  box.dataset.partner = p?.id ?? '';
  box.replaceChildren(...checkboxes('scope', p?.grants ?? [], ticked));
}

const chosen = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

function createPartner() {
  const form = $('partner-create');
  run('mutation($input: CreatePartnerInput!) { createPartner(input: $input) { ' + PARTNER + ' } }',
    { input: { code: $('new-code').value.trim(), name: $('new-name').value.trim(), grants: chosen(form, 'grant') } },
    (p) => { replace(p); form.reset(); showNotice(t('partnerCreated', { c: p.code })); });
}

function addStore() {
  const partner = partners.find((p) => p.id === $('store-partner').value);
  run('mutation($input: AddStoreInput!) { addStore(input: $input) { id code name } }',
    { input: { partnerId: $('store-partner').value, code: $('store-code').value.trim(), name: $('store-name').value.trim(),
      address: $('store-address').value.trim(), province: $('store-province').value.trim() || null } },
    (s) => {
      if (partner) replace({ ...partner, stores: [...partner.stores, s] });
      $('store-create').reset();
      showNotice(t('storeAdded', { c: s.code }));
    });
}

async function setContractPrice() {
  const sku = $('contract-sku').value.trim();
  let product;
  try {
    product = (await gql('query($sku: String!) { productBySku(sku: $sku) { id sku } }', { sku })).productBySku;
  } catch (e) {
    return showError(e.message);
  }
  if (!product) return showError(t('unknownSku', { s: sku }));
  const partner = partners.find((p) => p.id === $('contract-partner').value);
  run('mutation($input: SetContractPriceInput!) { setContractPrice(input: $input) { id } }',
    { input: { partnerId: $('contract-partner').value, productId: product.id,
      unitPrice: Number($('contract-price').value), minimumQuantity: Number($('contract-min').value),
      quantityIncrement: Number($('contract-inc').value || 1), validFrom: $('contract-from').value || null } },
    () => showNotice(t('priceSaved', { s: product.sku, c: partner?.code ?? '' })));
}

function issueToken() {
  const scopes = chosen($('issue-form'), 'scope');
  if (scopes.length === 0) return showError(t('noScopes'));
  run('mutation($input: IssuePartnerTokenInput!) { issuePartnerToken(input: $input) { token expiresAt scopes partner { code } } }',
    { input: { partnerId: $('issue-partner').value, scopes, expiresInMinutes: Number($('issue-lifetime').value) } },
    (r) => {
      $('issued-token').value = r.token;
      $('issued-note').textContent = t('issuedOnce', { d: when(new Date(r.expiresAt)) });
      $('issued').hidden = false;
      $('issued-token').focus();
      $('issued-token').select();
    });
}
