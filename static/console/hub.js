// The hub's catalogue work (operator, catalog:write): the work list
// (catalogQuality: what is ready, what is missing by field, certificates
// lapsing), the certificates expiring or expired by product, and producer
// onboarding (a producer, its PRODUCER partner and its first token, in one
// form: the token is shown once, to hand to the producer).
import { $, el, field, showError, showNotice } from './dom.js';
import { t } from './i18n.js';
import { gql, has } from './api.js';

const isOperator = () => has('partners:admin') && has('catalog:write');
const PRODUCER_SCOPES = ['catalog:read', 'catalog:write', 'inventory:read'];
const TOKEN_MINUTES = 30 * 24 * 60;

export function initHub() {
  $('onboard-form').addEventListener('submit', (e) => { e.preventDefault(); onboard(); });
}

export function resetHub() {
  for (const id of ['hub-work', 'onboard', 'onboard-done']) $(id).hidden = true;
  $('work-figures').replaceChildren();
  $('cert-list').replaceChildren();
}

export async function loadHub() {
  if (!isOperator()) return resetHub();
  $('hub-work').hidden = false;
  $('onboard').hidden = false;
  try {
    const d = await gql(`{ catalogQuality { products ready missingByField { field count } certificatesExpiring certificatesExpired }
      expiring: products(first: 50, filter: { certificateStatus: EXPIRING }) { nodes { sku nameVi certificate { number expiresOn status } } }
      expired: products(first: 50, filter: { certificateStatus: EXPIRED }) { nodes { sku nameVi certificate { number expiresOn status } } } }`);
    render(d);
  } catch (e) {
    showError(e.message);
  }
}

function figure(label, value) {
  return el('div', { class: 'figure' }, el('span', { class: 'label', text: label }), el('strong', { text: String(value) }));
}

function render(d) {
  const q = d.catalogQuality;
  $('work-figures').replaceChildren(
    el('div', { class: 'figures' },
      figure(t('wProducts'), q.products), figure(t('wReady'), q.ready),
      figure(t('wExpiring'), q.certificatesExpiring), figure(t('wExpired'), q.certificatesExpired)),
    q.missingByField.length === 0 ? el('p', { text: t('wNothingMissing') })
      : el('ul', { class: 'missing-by-field' },
        ...q.missingByField.map((m) => el('li', { text: t('wMissing', { f: m.field, n: m.count }) }))));
  const rows = [...d.expired.nodes, ...d.expiring.nodes];
  $('cert-list').replaceChildren(...(rows.length === 0 ? [el('li', { text: t('wNoCerts') })]
    : rows.map((p) => el('li', { class: 'card', dataset: { sku: p.sku } },
      el('h3', { text: `${p.nameVi} (${p.sku})` }),
      el('p', { class: p.certificate.status === 'EXPIRED' ? 'error' : 'status',
        text: t(p.certificate.status === 'EXPIRED' ? 'wCertExpired' : 'wCertExpiring',
          { n: p.certificate.number, d: p.certificate.expiresOn }) })))));
}

async function onboard() {
  const v = (id) => $(id).value.trim();
  const missing = ['ob-code', 'ob-name', 'ob-commune', 'ob-district', 'ob-province', 'ob-address'].find((id) => v(id) === '');
  if (missing) {
    $(missing).focus();
    return showError(t('obMissing', { f: $(missing).labels?.[0]?.textContent ?? missing }));
  }
  try {
    const { createProducer: producer } = await gql(`mutation($in: CreateProducerInput!) { createProducer(input: $in) { id code } }`,
      { in: { code: v('ob-code'), name: v('ob-name'), kind: $('ob-kind').value, commune: v('ob-commune'),
        district: v('ob-district'), province: v('ob-province'), address: v('ob-address') } });
    const { createPartner: partner } = await gql(`mutation($in: CreatePartnerInput!) { createPartner(input: $in) { id code } }`,
      { in: { code: v('ob-code').toLowerCase(), name: v('ob-name'), kind: 'PRODUCER', producerId: producer.id, grants: PRODUCER_SCOPES } });
    const { issuePartnerToken: issued } = await gql(`mutation($in: IssuePartnerTokenInput!) { issuePartnerToken(input: $in) { token expiresAt } }`,
      // A token holds no more than its issuer's: what of the grants the hub holds.
      { in: { partnerId: partner.id, scopes: PRODUCER_SCOPES.filter(has), expiresInMinutes: TOKEN_MINUTES } });
    $('onboard-token').value = issued.token;
    $('onboard-note').textContent = t('obDone', { c: partner.code, d: issued.expiresAt.slice(0, 10) });
    $('onboard-done').hidden = false;
    $('onboard-form').reset();
    showNotice(t('obDone', { c: partner.code, d: issued.expiresAt.slice(0, 10) }));
  } catch (e) {
    showError(e.message);
  }
}

// The form's fields, built once (labels follow the language on render).
export function onboardFields() {
  const input = (id, maxlength = 200) => el('input', { id, maxlength });
  const kind = el('select', { id: 'ob-kind' },
    ...['COOPERATIVE', 'HOUSEHOLD', 'ENTERPRISE'].map((k) => el('option', { value: k, text: t(`pk_${k}`) })));
  $('onboard-form').replaceChildren(
    el('div', { class: 'grid' },
      field(t('obCode'), input('ob-code', 32)), field(t('obName'), input('ob-name')), field(t('obKind'), kind),
      field(t('obAddress'), input('ob-address')), field(t('obCommune'), input('ob-commune')),
      field(t('obDistrict'), input('ob-district')), field(t('obProvince'), input('ob-province'))),
    el('button', { type: 'submit', text: t('obSubmit') }));
}
