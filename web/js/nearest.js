// The nearest shelters: a point chosen on the map (or the user's location) gives the nearest open
// shelters with room, listed in the panel and drawn with lines on the map; when none has room,
// the nearest ones are listed as not open, with why.

/* global maplibregl */

import { hazardInForce, nearestShelters, pointOf, statusOf, walkingRoute } from './api.js';
import { $, el, showStatus } from './dom.js';
import { dict, displayName, formatDistance, formatNumber, joinList, t, term } from './i18n.js';
import { statusBadge } from './layers.js';
import { focusOn, map } from './map.js';
import { isOffline, keepArea, keptShelters } from './offline.js';
import { openFacility } from './popups.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
/** Colours of the nearest results on the map: open shelters with room, and the not-open fallback. */
const NEAREST_COLOUR = { open: '#1f3b57', notOpen: '#6e7781' };
/** The colour of the walking route. */
const WALK_COLOUR = '#0b6e4f';
/** Below this zoom the facility tiles group shelters: nearest results would hide among the groups. */
const GROUPED_BELOW_ZOOM = 13;

/** The answer shown: { origin: [lon, lat], features, skipped, withRoom, error, selected, loading }, or null. */
let current = null;
/** The emergency the resident shelters from ('' for any): only shelters safe in it are found. */
let hazard = '';
/** Whether the resident chose the hazard (an activation then no longer sets it). */
let hazardChosen = false;
/** The emergencies a resident (or a planner's scenario) may name. */
export const HAZARDS = ['earthquake', 'flood', 'waterlogging', 'typhoon', 'fire', 'landslide', 'chemical', 'public_health'];

/** Fills the hazard choice, takes the emergency in force as its default, and asks again when it changes. */
export async function wireHazard() {
  const select = $('#hazard');
  select.addEventListener('change', () => {
    hazard = select.value;
    hazardChosen = true;
    refreshNearest();
  });
  $('#wheelchair').addEventListener('change', refreshNearest);
  renderHazardChoice();
  try {
    const inForce = await hazardInForce();
    if (inForce && !hazardChosen && HAZARDS.includes(inForce)) {
      hazard = inForce;
      renderHazardChoice();
      refreshNearest();
    }
  } catch {
    // No activation known: the resident chooses.
  }
}

/** The hazard choice, in the page's language. */
export function renderHazardChoice() {
  const select = $('#hazard');
  select.replaceChildren(
    el('option', { value: '', text: t('hazardAny') }),
    ...HAZARDS.map((h) => el('option', { value: h, text: term('hazardType', h) })),
  );
  select.value = hazard;
}
/** Where the last point chosen and the result chosen are remembered, so that a reload (offline
 *  too) shows them again. */
const LAST_KEY = 'refuge.last-nearest';
const LAST_FOR_MS = 7 * 24 * 3600 * 1000;

function rememberLast(last) {
  try {
    if (last) localStorage.setItem(LAST_KEY, JSON.stringify({ ...last, at: Date.now() }));
    else localStorage.removeItem(LAST_KEY);
  } catch {
    // storage blocked: a reload starts afresh
  }
}

/** Asks again for the point last chosen on this device (within a week), and chooses the result
 *  chosen then; false when there is none. */
export function restoreNearest() {
  let last = null;
  try {
    last = JSON.parse(localStorage.getItem(LAST_KEY) ?? 'null');
  } catch {
    last = null;
  }
  if (!Array.isArray(last?.origin) || !(Date.now() - last.at < LAST_FOR_MS)) return false;
  runNearest(last.origin[0], last.origin[1], { select: last.selected });
  return true;
}

/** Cancels the question in flight. */
let currentAbort = null;

/** A paint value for the nearest layers: `yes` for open shelters with room, `no` for the not-open fallback. */
function byOpen(yes, no) {
  return ['case', ['boolean', ['get', 'open'], true], yes, no];
}

/** The source and layers that draw the nearest results over the facilities, and the walk to the
 *  chosen one. */
export function addNearestLayers() {
  map.addSource('nearest', { type: 'geojson', data: EMPTY });
  map.addSource('walk', { type: 'geojson', data: EMPTY });
  const before = map.getLayer('pois') ? 'pois' : undefined;
  map.addLayer(
    {
      id: 'walk-casing',
      type: 'line',
      source: 'walk',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': 8, 'line-opacity': 0.9 },
    },
    before,
  );
  map.addLayer(
    {
      id: 'walk-line',
      type: 'line',
      source: 'walk',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': WALK_COLOUR, 'line-width': 4.5 },
    },
    before,
  );
  map.addLayer(
    {
      id: 'nearest-lines',
      type: 'line',
      source: 'nearest',
      filter: ['==', ['get', 'role'], 'line'],
      layout: { 'line-cap': 'round' },
      paint: {
        'line-color': byOpen(NEAREST_COLOUR.open, NEAREST_COLOUR.notOpen),
        'line-width': ['case', ['boolean', ['get', 'selected'], false], 3.5, 2],
        'line-dasharray': byOpen(['literal', [2, 1.5]], ['literal', [0.5, 2]]),
        'line-opacity': 0.85,
      },
    },
    before,
  );
  map.addLayer(
    {
      id: 'nearest-halo',
      type: 'circle',
      source: 'nearest',
      filter: ['==', ['get', 'role'], 'result'],
      paint: {
        'circle-radius': ['case', ['boolean', ['get', 'selected'], false], 19, 14],
        'circle-color': byOpen('rgba(255, 213, 0, 0.45)', 'rgba(255, 255, 255, 0.6)'),
        'circle-stroke-color': byOpen(NEAREST_COLOUR.open, NEAREST_COLOUR.notOpen),
        'circle-stroke-width': 2.5,
      },
    },
    before,
  );
  map.addLayer({
    id: 'nearest-rank',
    type: 'symbol',
    source: 'nearest',
    filter: ['==', ['get', 'role'], 'result'],
    layout: {
      'text-field': ['to-string', ['get', 'rank']],
      'text-font': ['Noto Sans Regular'],
      'text-size': 13,
      'text-offset': [0, -1.7],
      'text-allow-overlap': true,
    },
    paint: { 'text-color': byOpen(NEAREST_COLOUR.open, NEAREST_COLOUR.notOpen), 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
  });
  map.addLayer({
    id: 'nearest-origin',
    type: 'circle',
    source: 'nearest',
    filter: ['==', ['get', 'role'], 'origin'],
    paint: {
      'circle-radius': 7,
      'circle-color': '#1a73e8',
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 3,
    },
  });
}

/** Draws the current answer: the chosen point, each result, and a line to it; and the walk to
 *  the chosen one, when known. */
export function drawNearest() {
  const source = map?.getSource('nearest');
  if (!source) return;
  const nearest = current;
  map.getSource('walk')?.setData(nearest?.walk?.route ?? EMPTY);
  if (!nearest) {
    source.setData(EMPTY);
    return;
  }
  const features = [{ type: 'Feature', geometry: { type: 'Point', coordinates: nearest.origin }, properties: { role: 'origin' } }];
  nearest.features.forEach((feature, index) => {
    const at = pointOf(feature);
    if (!at) return;
    const id = feature.id ?? feature.properties?.id;
    const selected = nearest.selected != null && String(nearest.selected) === String(id);
    const properties = { rank: index + 1, id, selected, open: nearest.withRoom };
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: [nearest.origin, at] },
      properties: { ...properties, role: 'line' },
    });
    features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: { ...properties, role: 'result' } });
  });
  source.setData({ type: 'FeatureCollection', features });
}

function fitNearest() {
  map.resize(); // on a phone the list under the map has just grown, and the map shrunk
  const points = [current.origin, ...current.features.map(pointOf).filter(Boolean)];
  const view = map.getBounds();
  if (map.getZoom() >= GROUPED_BELOW_ZOOM && points.every((p) => view.contains(p))) return;
  const bounds = points.reduce((b, p) => b.extend(p), new maplibregl.LngLatBounds(points[0], points[0]));
  map.fitBounds(bounds, { padding: 48, maxZoom: Math.max(map.getZoom(), 15) });
}

/** Asks for the shelters nearest to a point, shows them in the panel and on the map; `select`
 *  chooses the result with that id once they are there. Offline, with no answer kept for the
 *  point, the shelters kept on this device are ranked as the crow flies. A printed sheet keeps its
 *  area (`fit: false`) and leaves this device's last point and offline area as they were
 *  (`remember: false`). */
export async function runNearest(lon, lat, { select = null, fit = true, remember = true } = {}) {
  currentAbort?.abort();
  const abort = new AbortController();
  currentAbort = abort;
  current = { origin: [lon, lat], features: [], skipped: [], withRoom: true, error: null, selected: null, loading: true, offline: false };
  if (remember) rememberLast({ origin: [lon, lat], selected: select });
  drawNearest();
  renderResults();
  showStatus(t('nearestLoading'), 'info', 0);
  try {
    // No open shelter with room near: the nearest designated ones, shown as not open, and why.
    // Either way only shelters safe in the chosen hazard.
    const asked = { hazard, wheelchair: $('#wheelchair').checked };
    let answer = await nearestShelters(lon, lat, { ...asked, hasRoom: true }, abort.signal);
    const withRoom = answer.features.length > 0;
    if (!withRoom) answer = await nearestShelters(lon, lat, { ...asked, hasRoom: false }, abort.signal);
    Object.assign(current, { features: answer.features, skipped: answer.skipped, withRoom, loading: false });
    showStatus(nearestSummary(current), 'info', withRoom ? 4000 : 8000);
    drawNearest();
    if (remember && !isOffline()) keepArea(lon, lat).catch(() => {});
  } catch (error) {
    if (error.name === 'AbortError') return;
    current.loading = false;
    if (error.code === 'offline') {
      const nearest = nearestKept(lon, lat);
      Object.assign(current, { features: nearest.features, withRoom: nearest.withRoom, offline: true });
      showStatus(t('nearestOffline'), 'info', 8000);
      drawNearest();
    } else {
      current.error = error.message;
      showStatus(error.message, 'error');
    }
  }
  renderResults();
  if (fit && current.features.length > 0) fitNearest();
  if (currentAbort === abort) currentAbort = null;
  $('#nearest').scrollIntoView({ block: 'nearest' });
  const chosen = select != null ? resultById(select) : null;
  if (chosen) chooseResult(chosen);
}

/** The five kept shelters nearest to [lon, lat] as the crow flies: open ones with room if any
 *  (as last known), else the nearest of all; each with its distance. */
function nearestKept(lon, lat) {
  const ranked = keptShelters()
    .map((feature) => {
      const at = pointOf(feature);
      if (!at) return null;
      const distance = greatCircleMetres([lon, lat], at);
      return { ...feature, properties: { ...feature.properties, distance_m: distance, walk_m: null } };
    })
    .filter(Boolean)
    .sort((a, b) => a.properties.distance_m - b.properties.distance_m);
  const withRoom = ranked.filter((f) => statusOf(f.properties) === 'open' && f.properties.room !== 'none');
  return withRoom.length > 0 ? { features: withRoom.slice(0, 5), withRoom: true } : { features: ranked.slice(0, 5), withRoom: false };
}

/** Metres along the great circle between two [lon, lat] points (haversine, R = 6,371,008.8 m). */
function greatCircleMetres([lon1, lat1], [lon2, lat2]) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** One sentence on a finished nearest answer: how many have room, or why none is open with room. */
function nearestSummary(nearest) {
  const n = nearest.features.length;
  if (n === 0) return t('nearestNone');
  if (!nearest.withRoom) return notOpenReason(nearest.features);
  return n === 1 ? t('nearestFoundOne') : t('nearestFound', { n });
}

/** Why none of these shelters is open with room, from the statuses they report. */
function notOpenReason(features) {
  const counts = new Map();
  for (const feature of features) {
    const status = statusOf(feature.properties) ?? 'unknown';
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const [only] = counts.keys();
  if (counts.size === 1 && dict().notOpen[only]) return t(`notOpen.${only}`);
  const statuses = joinList([...counts].map(([status, n]) => t('statusCount', { status: term('status', status), n })));
  return t('notOpenMixed', { statuses });
}

function freeText(props = {}) {
  if (props.room === 'unknown') return t('capacityUnknown');
  const free = props.available;
  const total = props.capacity;
  if (Number.isFinite(free) && Number.isFinite(total)) {
    return t('freeOf', { n: formatNumber(free), total: formatNumber(total) });
  }
  if (Number.isFinite(free)) return t('free', { n: formatNumber(free) });
  return t('freeUnknown');
}

/** The panel: the results as a list, or what is happening instead. */
export function renderResults() {
  const list = $('#results');
  const nearest = current;
  $('#clear').hidden = !nearest;
  // A row with the focus keeps it through the list drawn again.
  const focused = document.activeElement?.closest('#results li[data-id]')?.dataset.id;
  list.replaceChildren();
  renderNearestHeading(nearest);
  renderSkipped(nearest);
  if (!nearest) return;
  if (nearest.loading) {
    list.append(el('li', { class: 'empty', text: t('nearestLoading') }));
    return;
  }
  if (nearest.error) {
    list.append(el('li', { class: 'empty error', text: nearest.error }));
    return;
  }
  if (nearest.features.length === 0) {
    list.append(el('li', { class: 'empty', text: t('nearestNone') }));
    return;
  }
  nearest.features.forEach((feature, index) => {
    const props = feature.properties ?? {};
    const id = feature.id ?? props.id;
    const selected = nearest.selected != null && String(nearest.selected) === String(id);
    const classes = ['result', selected && 'selected', !nearest.withRoom && 'not-open'].filter(Boolean).join(' ');
    const row = el(
      'li',
      { class: classes, 'data-id': id },
      el(
        'button',
        { type: 'button', onclick: () => chooseResult(feature) },
        el('span', { class: 'rank', text: index + 1 }),
        el('span', { class: 'name', text: displayName(props) }),
        distanceOf(props),
        el('span', { class: 'free' }, nearest.withRoom ? null : statusBadge(statusOf(props)), freeText(props)),
      ),
      selected ? walkLine(nearest.walk) : null,
    );
    list.append(row);
  });
  if (focused) list.querySelector(`li[data-id="${focused}"] button`)?.focus({ preventScroll: true });
}

/** A result's distance: on foot where a way leads there, else as the crow flies. */
function distanceOf(props) {
  const straight = formatDistance(Number(props.distance_m));
  if (props.walk_m == null) return el('span', { class: 'distance', title: t('distanceStraight'), text: straight });
  return el('span', { class: 'distance', title: t('distanceOnFoot', { straight }), text: formatDistance(Number(props.walk_m)) });
}

/** Under the chosen result: how long the walk there is, or why there is none. */
function walkLine(walk) {
  if (!walk) return null;
  if (walk.error) return el('p', { class: 'walk error', text: t('walkNone', { why: walk.error }) });
  if (!walk.route) return el('p', { class: 'walk', text: t('walkLoading') });
  const { metres, minutes } = walk.route.properties;
  return el('p', { class: 'walk', text: t('walk', { distance: formatDistance(metres), minutes: formatNumber(Math.max(1, Math.round(minutes))) }) });
}

/** The nearer shelters passed over in the chosen hazard, and why. */
function renderSkipped(nearest) {
  const box = $('#skipped');
  const skipped = nearest && !nearest.loading && !nearest.error ? nearest.skipped ?? [] : [];
  box.hidden = skipped.length === 0;
  if (box.hidden) {
    box.replaceChildren();
    return;
  }
  const line = (s) => {
    const name = displayName({ name: s.name });
    const distance = formatDistance(Number(s.distance_m));
    if (s.reason === 'exposed' && s.hazard) {
      const source = `${displayName({ name: s.hazard.name })} (${term('hazardKind', s.hazard.hazard_kind)})`;
      return s.hazard.distance_m > 0
        ? t('skippedNear', { name, distance, source, metres: formatDistance(s.hazard.distance_m) })
        : t('skippedInside', { name, distance, source });
    }
    return t('skippedUnsuitable', { name, distance, hazard: term('hazardType', hazard) });
  };
  // Those inside or near a hazard first: the danger a resident may not see.
  const shown = [...skipped.filter((s) => s.reason === 'exposed'), ...skipped.filter((s) => s.reason !== 'exposed')].slice(0, 5);
  const more = skipped.length - shown.length;
  box.replaceChildren(
    el('p', { class: 'skipped-title', text: t('skippedTitle', { hazard: term('hazardType', hazard) }) }),
    el('ul', {}, shown.map((s) => el('li', { 'data-id': s.id, text: line(s) }))),
    more > 0 ? el('p', { class: 'skipped-more', text: t('skippedMore', { n: more }) }) : null,
  );
}

/** The panel heading says when the list holds shelters that are not open with room, and the note says why. */
function renderNearestHeading(nearest) {
  const notOpen = Boolean(nearest && !nearest.loading && !nearest.error && !nearest.withRoom && nearest.features.length);
  const heading = $('#nearest-title');
  heading.dataset.i18n = notOpen ? 'nearestTitleNotOpen' : 'nearestTitle';
  heading.textContent = t(heading.dataset.i18n);
  const note = $('#nearest-note');
  const offline = Boolean(nearest?.offline && !nearest.loading);
  note.textContent = [offline ? t('nearestOffline') : '', notOpen ? nearestSummary(nearest) : ''].filter(Boolean).join(' ');
  note.hidden = !note.textContent;
}

/** Selects a result: marked in the list and on the map, the map moved to it, its popup opened. */
export function chooseResult(feature) {
  const id = feature.id ?? feature.properties?.id;
  const at = pointOf(feature);
  if (current) {
    current.selected = id;
    rememberLast({ origin: current.origin, selected: id });
  }
  drawNearest();
  renderResults();
  if (at) focusOn(at, true);
  openFacility(id, at, feature);
  showWalk(id);
}

/** Asks for the walk from the chosen point to facility `id`, then draws it and says how long it is. */
async function showWalk(id) {
  const nearest = current;
  // No result has a way on foot (the server knows no streets here): nothing to draw.
  if (!nearest || !nearest.features.some((f) => f.properties?.walk_m != null)) return;
  nearest.walk = { id, route: null, error: null };
  drawNearest();
  try {
    const route = await walkingRoute(nearest.origin, id, hazard);
    if (current !== nearest || nearest.walk?.id !== id) return;
    nearest.walk.route = route;
  } catch (error) {
    if (current !== nearest || nearest.walk?.id !== id) return;
    nearest.walk.error = error.message;
  }
  drawNearest();
  renderResults();
}

/** Forgets the answer, on the map and in the panel. */
export function clearNearest() {
  currentAbort?.abort();
  current = null;
  rememberLast(null);
  drawNearest();
  renderResults();
}

/** Asks the browser where the user is and runs the nearest search from there. */
export function locateMe() {
  if (!('geolocation' in navigator)) {
    showStatus(t('geoUnsupported'), 'error');
    return;
  }
  showStatus(t('locating'), 'info', 0);
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const { longitude, latitude } = position.coords;
      map.flyTo({ center: [longitude, latitude], zoom: Math.max(map.getZoom(), 15) });
      runNearest(longitude, latitude);
    },
    (error) => showStatus(error.code === 1 ? t('geoDenied') : t('geoFailed'), 'error'),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

/** Whether the shelters shown have distances on foot (the server knows the streets here). */
export function nearestOnFoot() {
  return Boolean(current?.features.some((f) => f.properties?.walk_m != null));
}

/** Why the last nearest question got no answer, or null. */
export function nearestProblem() {
  return current?.error ?? null;
}

/** The point whose nearest shelters are shown, or null. */
export function nearestOrigin() {
  return current?.origin ?? null;
}

/** The result with this facility id, if the answer shown has one. */
export function resultById(id) {
  return current?.features.find((f) => String(f.id ?? f.properties?.id) === String(id));
}

/** Asks again for the point shown (after the data changed), unless the last answer was an error. */
export function refreshNearest() {
  if (current?.origin && !current.error) runNearest(...current.origin);
}
