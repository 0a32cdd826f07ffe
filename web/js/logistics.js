// The logistics officer's panel, for a tab signed in with a logistics (or admin) token: a
// shelter's needs and days of supply, a resupply plan drawn on the map as a line from each source
// labelled with what it sends, the plan dispatched and its shipments received from the panel, and
// the tables of shortages and expiring lots. Everything comes from the logistics API; the map's
// own data follows the changes live.

/* global maplibregl */

import { pointOf, staffApi } from './api.js';
import { $, dataTable as table, el, showStatus, whileBusy } from './dom.js';
import { displayName, formatDistance, formatNumber, lang, t } from './i18n.js';
import { map } from './map.js';
import { closePopup } from './popups.js';
import { mayAct, onStaffChange } from './staff.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const PLAN_COLOUR = '#8a3ffc';

/** What the panel shows: the selected shelter, its supply, the plan, the road, the tables. */
const state = {
  signedIn: false,
  shelter: null, // { id, name, at }
  supply: null, // the days-of-supply report for the shelter
  plan: null, // the kept plan, as the API answers it
  sources: new Map(), // facility id → { name, at }
  road: [], // shipments on the road to or from the shelter
  shortages: [],
  expiring: [],
  itemNames: new Map(), // item id → { zh, en }
  busy: false,
};

/** Whether this tab is signed in for logistics. */
export function signedIn() {
  return state.signedIn;
}

/** The map source and layers of the resupply plan: lines from each source, and their labels. */
export function addLogisticsLayers() {
  map.addSource('resupply', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'resupply-lines',
    type: 'line',
    source: 'resupply',
    layout: { 'line-cap': 'round' },
    paint: { 'line-color': PLAN_COLOUR, 'line-width': 3, 'line-dasharray': [2, 1], 'line-opacity': 0.9 },
  });
  map.addLayer({
    id: 'resupply-labels',
    type: 'symbol',
    source: 'resupply',
    layout: {
      'symbol-placement': 'line-center',
      'text-field': ['get', 'label'],
      'text-font': ['Noto Sans Regular'],
      'text-size': 12,
      'text-allow-overlap': true,
    },
    paint: { 'text-color': PLAN_COLOUR, 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
  });
  drawPlan();
}

/** Shows the panel when a member of staff who may act for logistics signs in, and empties it when
 *  they sign out. */
export function wireLogistics() {
  onStaffChange(async () => {
    const allowed = mayAct('logistics');
    if (allowed === state.signedIn) return;
    Object.assign(state, { signedIn: allowed, shelter: null, supply: null, plan: null, road: [], shortages: [], expiring: [] });
    state.sources.clear();
    drawPlan();
    if (allowed) await refreshTables();
    else renderLogistics();
  });
  renderLogistics();
}

/** Chooses the shelter whose needs the panel shows (from its popup). */
export async function selectShelter(id) {
  if (!state.signedIn) return;
  state.plan = null;
  state.sources.clear();
  drawPlan();
  await run(async () => {
    const feature = await staffApi.get(`facilities/${encodeURIComponent(id)}`);
    noteItemNames(feature.properties?.stock);
    state.shelter = { id: Number(id), name: displayName(feature.properties ?? {}), at: pointOf(feature) };
    await refreshShelter();
  });
  closePopup();
  $('#logistics').scrollIntoView({ block: 'nearest' });
}

/** The shelter's supply and the shipments on its road, asked again. */
async function refreshShelter() {
  if (!state.shelter) return;
  const id = state.shelter.id;
  const [supply, road] = await Promise.all([
    staffApi.get(`stock/supply?facility=${id}`),
    staffApi.get(`shipments?facility=${id}`),
  ]);
  state.supply = supply;
  state.road = road;
  for (const item of supply.items ?? []) state.itemNames.set(item.item, { zh: item.name_zh, en: item.name_en });
}

/** The shortage and expiring tables, asked again. */
async function refreshTables() {
  await run(async () => {
    const [shortages, expiring] = await Promise.all([
      staffApi.get('stock/shortages'),
      staffApi.get('stock/expiring?within_days=30'),
    ]);
    state.shortages = shortages;
    state.expiring = expiring;
  });
}

/** Runs `work` with the panel busy, showing an error the API gives; renders after. */
function run(work) {
  return whileBusy(state, renderLogistics, work);
}

/** Plans a resupply of the needs typed in the panel. */
async function planResupply(event) {
  event.preventDefault();
  const needs = [...event.target.querySelectorAll('input[data-item]')]
    .map((input) => ({ item: input.dataset.item, quantity: Math.round(Number(input.value)) }))
    .filter((need) => Number.isFinite(need.quantity) && need.quantity > 0);
  if (needs.length === 0) {
    showStatus(t('logistics.nothingNeeded'), 'error');
    return;
  }
  await run(async () => {
    state.plan = await staffApi.post('plans/resupply', { destination: state.shelter.id, needs });
    await placeSources();
  });
  drawPlan();
}

/** Looks up where each of the plan's sources is, and what its items are called. */
async function placeSources() {
  const ids = [...new Set((state.plan?.dispatches ?? []).map((d) => d.from))].filter((id) => !state.sources.has(id));
  const features = await Promise.all(ids.map((id) => staffApi.get(`facilities/${id}`)));
  for (const feature of features) {
    noteItemNames(feature.properties?.stock);
    state.sources.set(Number(feature.properties.id ?? feature.id), {
      name: displayName(feature.properties ?? {}),
      at: pointOf(feature),
    });
  }
}

/** Takes a step on the plan: `reserve`, `dispatch` or `release`. */
async function stepPlan(step) {
  await run(async () => {
    state.plan = await staffApi.post(`plans/${encodeURIComponent(state.plan.id)}/${step}`);
    await refreshShelter();
  });
  drawPlan();
  await refreshTables();
}

/** Books a shipment's arrival, all of it. */
async function receive(shipment) {
  await run(async () => {
    await staffApi.post(`shipments/${encodeURIComponent(shipment.shipment)}/receive`, { received: quantityOf(shipment) });
    if (state.plan) state.plan = await staffApi.get(`plans/${encodeURIComponent(state.plan.id)}`);
    await refreshShelter();
  });
  await refreshTables();
}

function quantityOf(shipment) {
  return (shipment.lots ?? []).reduce((sum, lot) => sum + Number(lot.quantity), 0);
}

/** Remembers the names of the items in a facility's stock lines. */
function noteItemNames(stock) {
  for (const line of stock ?? []) state.itemNames.set(line.item, { zh: line.name_zh, en: line.name_en });
}

/** An item's name in the page's language. */
function itemName(item) {
  const names = state.itemNames.get(item);
  return (lang === 'zh' ? names?.zh || names?.en : names?.en || names?.zh) || String(item).replace(/_/g, ' ');
}

/** Draws the plan's lines: one from each source to the shelter, labelled with what it sends. */
function drawPlan() {
  const source = map?.getSource('resupply');
  if (!source) return;
  const to = state.shelter?.at;
  const bySource = new Map();
  for (const d of state.plan?.dispatches ?? []) {
    if (!bySource.has(d.from)) bySource.set(d.from, []);
    bySource.get(d.from).push(d);
  }
  const features = [];
  for (const [id, legs] of bySource) {
    const from = state.sources.get(id)?.at;
    if (!from || !to) continue;
    features.push({
      type: 'Feature',
      properties: {
        source: id,
        label: legs.map((d) => `${formatNumber(d.quantity)} ${itemName(d.item)}`).join('\n'),
      },
      geometry: { type: 'LineString', coordinates: [from, to] },
    });
  }
  source.setData({ type: 'FeatureCollection', features });
  if (features.length) {
    const bounds = new maplibregl.LngLatBounds();
    for (const f of features) for (const c of f.geometry.coordinates) bounds.extend(c);
    map.fitBounds(bounds, { padding: 80, maxZoom: 16, duration: 0 });
  }
}

/** The panel, in the page's language. */
export function renderLogistics() {
  const section = $('#logistics');
  section.hidden = !state.signedIn;
  if (!state.signedIn) return;
  section.setAttribute('aria-busy', state.busy ? 'true' : 'false');
  const body = $('#logistics-body');
  body.replaceChildren(...[shelterPart(), planPart(), roadPart(), tablesPart()].filter(Boolean));
}

/** A need's name: a resource (drinking water, food energy) or, by the catalogue profile, an item. */
function needName(need) {
  const name = t(`logistics.needNames.${need}`);
  return name === `logistics.needNames.${need}` ? itemName(need) : name;
}

function shelterPart() {
  if (!state.shelter) return el('p', { class: 'hint', text: t('logistics.pickShelter') });
  const rows = state.supply?.shelters ?? [];
  const supply = rows.length
    ? table(
        t('logistics.supplyCaption', { days: state.supply.target_days }),
        [t('logistics.need'), t('logistics.people'), t('logistics.onHand'), t('logistics.days'), t('logistics.short')],
        rows.map((r) => [
          needName(r.need),
          formatNumber(r.people),
          `${formatNumber(r.on_hand)} ${r.unit}`,
          Number.isFinite(r.days) ? formatNumber(r.days, 1) : '∞',
          `${formatNumber(Math.ceil(r.shortfall))} ${r.unit}`,
        ]),
        { id: 'supply-table' },
      )
    : el('p', { class: 'hint', text: t('logistics.nobodyThere') });
  // What to send: each need's shortfall as an order of the item the depots hold enough of; with
  // nobody there, each need's first item, for the officer to fill in.
  const orders = new Map(rows.filter((r) => r.order).map((r) => [r.order.item, r.order.quantity]));
  for (const need of state.supply?.profile?.needs ?? []) {
    const first = need.items?.[0]?.item;
    if (first && !need.items.some((p) => orders.has(p.item))) orders.set(first, 0);
  }
  const inputs = [...orders].map(([item, quantity]) =>
    el(
      'label',
      { class: 'need' },
      el('span', { text: itemName(item) }),
      el('input', { type: 'number', min: '0', step: '1', inputmode: 'numeric', 'data-item': item, value: String(quantity) }),
    ),
  );
  return el(
    'div',
    { class: 'shelter-part' },
    el('h3', { text: state.shelter.name }),
    supply,
    el(
      'form',
      { id: 'needs-form', onsubmit: planResupply },
      el('fieldset', {}, el('legend', { text: t('logistics.needs') }), inputs),
      el('button', { type: 'submit', id: 'plan-resupply', disabled: state.busy, text: t('logistics.plan') }),
    ),
  );
}

function planPart() {
  const plan = state.plan;
  if (!plan) return null;
  const legs = (plan.dispatches ?? []).map((d) => {
    const metres = (plan.legs ?? []).find((l) => l.source === d.from && l.item === d.item)?.distance_m;
    const from = state.sources.get(d.from)?.name ?? String(d.from);
    return [
      el('span', {}, from, Number.isFinite(metres) ? el('span', { class: 'distance', text: ` · ${formatDistance(metres)}` }) : null),
      itemName(d.item),
      formatNumber(d.quantity),
      t(`logistics.progress.${d.progress ?? 'planned'}`),
    ];
  });
  const unmet = (plan.unmet ?? []).map((n) => `${formatNumber(n.quantity)} ${itemName(n.item)}`);
  const button = (step, label) =>
    el('button', { type: 'button', id: `plan-${step}`, disabled: state.busy, text: label, onclick: () => stepPlan(step) });
  const steps = {
    proposed: [button('dispatch', t('logistics.dispatch')), button('reserve', t('logistics.reserve'))],
    reserved: [button('dispatch', t('logistics.dispatch')), button('release', t('logistics.release'))],
  }[plan.state] ?? [];
  return el(
    'div',
    { class: 'plan-part', 'data-plan': plan.id, 'data-state': plan.state },
    el('h3', { text: t('logistics.planTitle', { state: t(`logistics.state.${plan.state}`) }) }),
    legs.length
      ? table(t('logistics.legsCaption'), [t('logistics.from'), t('fields.item'), t('fields.quantity'), t('logistics.progressHead')], legs, { id: 'plan-legs' })
      : el('p', { class: 'hint', text: t('logistics.noSource') }),
    unmet.length ? el('p', { class: 'unmet', text: t('logistics.unmet', { what: unmet.join(', ') }) }) : null,
    steps.length ? el('div', { class: 'steps' }, steps) : null,
  );
}

function roadPart() {
  if (!state.shelter || state.road.length === 0) return null;
  const rows = state.road.map((s) => [
    state.sources.get(s.from)?.name ?? String(s.from),
    itemName(s.item),
    formatNumber(quantityOf(s)),
    s.to === state.shelter.id
      ? el('button', { type: 'button', class: 'receive', disabled: state.busy, text: t('logistics.receive'), onclick: () => receive(s) })
      : t('logistics.outgoing'),
  ]);
  return table(t('logistics.roadCaption'), [t('logistics.from'), t('fields.item'), t('fields.quantity'), ''], rows, { id: 'road-table' });
}

function tablesPart() {
  const shortages = state.shortages.map((s) => [s.name ?? String(s.facility), itemName(s.item), formatNumber(s.usable), formatNumber(s.minimum)]);
  const expiring = state.expiring.map((l) => [l.name ?? String(l.facility), itemName(l.item), l.lot, formatNumber(l.quantity), l.expires ?? '']);
  return el(
    'div',
    { class: 'tables' },
    shortages.length
      ? table(t('logistics.shortagesCaption'), [t('logistics.facility'), t('fields.item'), t('logistics.usable'), t('logistics.minimum')], shortages, { id: 'shortages-table' })
      : el('p', { class: 'hint', id: 'shortages-table', text: t('logistics.noShortages') }),
    expiring.length
      ? table(t('logistics.expiringCaption'), [t('logistics.facility'), t('fields.item'), t('logistics.lot'), t('fields.quantity'), t('logistics.expires')], expiring, { id: 'expiring-table' })
      : el('p', { class: 'hint', id: 'expiring-table', text: t('logistics.noExpiring') }),
  );
}
