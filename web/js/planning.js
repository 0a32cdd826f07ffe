// The planner's panel, for a tab signed in with a planner (or admin) token: the population's
// coverage on the map (the `coverage` tiles, with their legend) and per district, and stress-test
// scenarios played out on the server's copy of the data, their draft zones and the facilities
// they change drawn on this page only. Nothing of a scenario reaches the live map, its tiles or
// other visitors: the server never stores it.

import { staffApi } from './api.js';
import { $, dataTable, el, showStatus, whileBusy } from './dom.js';
import { displayName, formatDistance, formatNumber, t, term } from './i18n.js';
import { setGroupVisible } from './layers.js';
import { map, paintOf } from './map.js';
import { HAZARDS } from './nearest.js';
import { mayAct, onStaffChange } from './staff.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const ZONE_COLOUR = '#3b5bdb';
/** How a facility a scenario changes is marked: ring colours by role. */
const ROLE_COLOUR = { out_of_service: '#495057', cut_off: '#c92a2a', exposed: '#e8590c' };

/** What the panel shows. */
const state = {
  signedIn: false,
  coverageShown: false,
  report: null, // the coverage analysis per district, as the API answers it
  outcome: null, // the last scenario's answer
  form: { name: '', hazard: 'flood', zones: '', outOfService: '', multiplier: '1' },
  busy: false,
};

/** The map source and layers of a scenario: its draft zones and its marked facilities. */
export function addPlanningLayers() {
  map.addSource('scenario', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'scenario-zones',
    type: 'fill',
    source: 'scenario',
    filter: ['all', ['==', ['get', 'role'], 'zone'], ['!=', ['geometry-type'], 'Point']],
    paint: { 'fill-color': ZONE_COLOUR, 'fill-opacity': 0.25 },
  });
  map.addLayer({
    id: 'scenario-zones-line',
    type: 'line',
    source: 'scenario',
    filter: ['all', ['==', ['get', 'role'], 'zone'], ['!=', ['geometry-type'], 'Point']],
    paint: { 'line-color': ZONE_COLOUR, 'line-width': 2, 'line-dasharray': [3, 2] },
  });
  map.addLayer({
    id: 'scenario-marks',
    type: 'circle',
    source: 'scenario',
    filter: ['==', ['geometry-type'], 'Point'],
    paint: {
      'circle-radius': 11,
      'circle-color': 'rgba(0, 0, 0, 0)',
      'circle-stroke-width': 3,
      'circle-stroke-color': ['match', ['get', 'role'], ...Object.entries(ROLE_COLOUR).flat(), ZONE_COLOUR],
    },
  });
  if (state.coverageShown) setGroupVisible('coverage', true);
  drawScenario();
}

/** Shows the panel when a member of staff who may act as a planner signs in; a sign-out hides the
 *  coverage and forgets the scenario. */
export function wirePlanning() {
  onStaffChange(() => {
    const allowed = mayAct('planner');
    if (allowed === state.signedIn) return;
    Object.assign(state, { signedIn: allowed, report: null, outcome: null });
    if (!allowed) showCoverage(false);
    drawScenario();
    renderPlanning();
  });
  renderPlanning();
}

function showCoverage(shown) {
  state.coverageShown = shown;
  setGroupVisible('coverage', shown);
}

function drawScenario() {
  map?.getSource('scenario')?.setData(state.outcome?.map ?? EMPTY);
}

/** Runs `work` with the panel busy, showing an error the API gives; renders after. */
function run(work) {
  return whileBusy(state, renderPlanning, work);
}

async function askCoverage() {
  await run(async () => {
    try {
      state.report = await staffApi.get('analysis/coverage');
    } catch (error) {
      if (error.status !== 404) throw error;
      state.report = { missing: true };
    }
  });
}

/** The form's values, kept so that a re-render (a new language) keeps what the planner typed. */
function readForm() {
  const value = (id) => $(id)?.value;
  if (!$('#scenario-form')) return;
  state.form = {
    name: value('#scenario-name') ?? state.form.name,
    hazard: value('#scenario-hazard') ?? state.form.hazard,
    zones: value('#scenario-zones') ?? state.form.zones,
    outOfService: value('#scenario-out') ?? state.form.outOfService,
    multiplier: value('#scenario-multiplier') ?? state.form.multiplier,
  };
}

async function runScenario(event) {
  event.preventDefault();
  readForm();
  const { name, hazard, zones, outOfService, multiplier } = state.form;
  let parsedZones;
  if (zones.trim()) {
    try {
      parsedZones = JSON.parse(zones);
    } catch (error) {
      showStatus(t('planning.zonesNotJson', { message: error.message }), 'error');
      return;
    }
  }
  const ids = outOfService
    .split(/[\s,，、]+/)
    .filter(Boolean)
    .map(Number);
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
    showStatus(t('planning.badIds'), 'error');
    return;
  }
  await run(async () => {
    state.outcome = await staffApi.post('scenarios', {
      name: name.trim() || t('planning.untitled'),
      hazard,
      zones: parsedZones,
      out_of_service: ids,
      demand_multiplier: Number(multiplier) || 1,
    });
    drawScenario();
  });
}

function clearScenario() {
  state.outcome = null;
  drawScenario();
  renderPlanning();
}

/** Reads a GeoJSON file the planner chose into the zones box. */
async function readZonesFile(event) {
  const file = event.target.files?.[0];
  if (!file) return;
  readForm();
  state.form.zones = await file.text();
  renderPlanning();
}

/** The panel, in the page's language. */
export function renderPlanning() {
  const section = $('#planning');
  section.hidden = !state.signedIn;
  if (!state.signedIn) return;
  readForm();
  section.setAttribute('aria-busy', state.busy ? 'true' : 'false');
  $('#planning-body').replaceChildren(coveragePart(), scenarioPart(), outcomePart());
}

/** [[upper bound or null, colour], …] from a `step` expression over metres. */
function steps(expression) {
  if (!Array.isArray(expression) || expression[0] !== 'step') return [];
  const bands = [];
  let below = expression[2];
  for (let i = 3; i + 1 < expression.length; i += 2) {
    bands.push([expression[i], below]);
    below = expression[i + 1];
  }
  bands.push([null, below]);
  return bands;
}

function swatch(colour, kind = '') {
  return el('span', { class: `swatch ${kind}`.trim(), style: kind === 'outline' ? `border-color:${colour}` : `background:${colour}`, 'aria-hidden': 'true' });
}

function coverageLegend() {
  let from = 0;
  const bands = steps(paintOf('coverage-cells', 'fill-color')).map(([upTo, colour]) => {
    const text =
      upTo == null
        ? t('planning.bandBeyond', { from: formatDistance(from) })
        : t('planning.band', { from: formatDistance(from), to: formatDistance(upTo) });
    from = upTo ?? from;
    return el('li', {}, swatch(colour, 'zone'), text);
  });
  const unmet = paintOf('coverage-unmet', 'line-color');
  return el(
    'ul',
    { id: 'coverage-legend', class: 'legend-list' },
    bands,
    unmet ? el('li', {}, swatch(unmet, 'outline'), t('planning.unmetOutline')) : null,
  );
}

function share(value) {
  return `${formatNumber((value ?? 0) * 100, 1)}%`;
}

function coveragePart() {
  const report = state.report;
  let figures = null;
  if (report?.missing) figures = el('p', { class: 'hint', id: 'coverage-table', text: t('planning.noPopulation') });
  else if (report) {
    const rows = [...report.districts, report.total].map((d) => [
      d === report.total ? t('planning.all') : d.name,
      formatNumber(d.population),
      `${formatNumber(d.places)} (${share(d.places_share)})`,
      share(d.covered_share),
      formatNumber(d.unprovided),
    ]);
    figures = el(
      'div',
      {},
      dataTable(
        t('planning.coverageCaption', { target: share(report.total.target_share) }),
        [t('planning.district'), t('planning.residents'), t('planning.places'), t('planning.withinRadius'), t('planning.withoutPlace')],
        rows,
        { id: 'coverage-table' },
      ),
      el('p', { class: 'hint', text: report.method.join('; ') }),
    );
  }
  return el(
    'div',
    { class: 'coverage-part' },
    el('h3', { text: t('planning.coverageTitle') }),
    el(
      'label',
      { class: 'toggle' },
      el('input', {
        type: 'checkbox',
        id: 'coverage-toggle',
        checked: state.coverageShown,
        onchange: (event) => {
          showCoverage(event.target.checked);
          renderPlanning();
        },
      }),
      t('planning.showCoverage'),
    ),
    state.coverageShown ? coverageLegend() : null,
    el('button', { type: 'button', id: 'coverage-report', disabled: state.busy, onclick: askCoverage, text: t('planning.askCoverage') }),
    figures,
  );
}

function scenarioPart() {
  const { form } = state;
  const field = (label, input) => el('label', { class: 'field' }, el('span', { text: label }), input);
  return el(
    'form',
    { id: 'scenario-form', onsubmit: runScenario },
    el('h3', { text: t('planning.scenarioTitle') }),
    el('p', { class: 'hint', text: t('planning.scenarioHint') }),
    field(t('planning.name'), el('input', { id: 'scenario-name', type: 'text', value: form.name, maxlength: '200' })),
    field(
      t('planning.hazard'),
      el(
        'select',
        { id: 'scenario-hazard' },
        HAZARDS.map((h) => el('option', { value: h, selected: h === form.hazard, text: term('hazardType', h) })),
      ),
    ),
    field(t('planning.zones'), el('textarea', { id: 'scenario-zones', rows: '4', spellcheck: 'false', placeholder: t('planning.zonesPlaceholder') }, form.zones)),
    field(t('planning.zonesFile'), el('input', { id: 'scenario-file', type: 'file', accept: '.geojson,.json,application/geo+json,application/json', onchange: readZonesFile })),
    field(t('planning.outOfService'), el('input', { id: 'scenario-out', type: 'text', inputmode: 'numeric', value: form.outOfService })),
    field(t('planning.multiplier'), el('input', { id: 'scenario-multiplier', type: 'number', min: '0.01', max: '100', step: 'any', value: form.multiplier })),
    el(
      'div',
      { class: 'steps' },
      el('button', { type: 'submit', id: 'scenario-run', disabled: state.busy, text: t('planning.run') }),
      state.outcome ? el('button', { type: 'button', id: 'scenario-clear', onclick: clearScenario, text: t('planning.clear') }) : null,
    ),
  );
}

/** "before → after", with the change marked when there is one. */
function change(before, after, format) {
  const text = `${format(before)} → ${format(after)}`;
  return el('span', { class: before === after ? '' : 'changed', text });
}

function outcomePart() {
  const outcome = state.outcome;
  if (!outcome) return null;
  const { before, after } = outcome;
  const number = (v) => formatNumber(v ?? 0);
  let coverage = el('p', { class: 'hint', text: t('planning.noPopulation') });
  if (after.total) {
    // Districts are left out of an answer whose population has none.
    const districts = (after.districts ?? []).map((d, i) => [d, before.districts[i]]);
    districts.push([after.total, before.total]);
    coverage = dataTable(
      t('planning.outcomeCaption', { name: outcome.name, hazard: term('hazardType', outcome.hazard), multiplier: formatNumber(outcome.demand_multiplier, 2) }),
      [t('planning.district'), t('planning.residents'), t('planning.withinRadius'), t('planning.withoutPlace')],
      districts.map(([a, b], i) => [
        i === districts.length - 1 ? t('planning.all') : a.name,
        change(b.population, a.population, number),
        change(b.covered_share, a.covered_share, share),
        change(b.unprovided, a.unprovided, number),
      ]),
      { id: 'scenario-table' },
    );
  }
  const newly = after.exposed.filter((id) => !before.exposed.includes(id));
  const marked = (outcome.map?.features ?? []).filter((f) => f.properties.role !== 'zone');
  return el(
    'div',
    { class: 'outcome', id: 'scenario-outcome' },
    coverage,
    el(
      'ul',
      { id: 'scenario-facts' },
      el('li', {}, t('planning.exposed', { before: before.exposed.length, after: after.exposed.length, newly: newly.length })),
      el('li', {}, t('planning.cutOff', { before: before.depots_cut_off.length, after: after.depots_cut_off.length })),
      el('li', {}, t('planning.plansUnmet', { n: after.plans_unmet.length })),
    ),
    marked.length
      ? el(
          'ul',
          { class: 'legend-list', id: 'scenario-marked' },
          marked.map((f) => el('li', {}, swatch(ROLE_COLOUR[f.properties.role], 'outline'), `${displayName(f.properties)}: ${t(`planning.roles.${f.properties.role}`)}`)),
        )
      : null,
    el('p', { class: 'hint', text: t('planning.draftOnly') }),
  );
}
