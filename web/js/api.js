// The server's API as the page uses it: every URL it asks, the JSON fetch with the server's error
// message, and reading the GeoJSON features that come back.

import { t } from './i18n.js';
import { noteResponse, noteVersion } from './offline.js';

/** The map style. */
export const STYLE_URL = '/style.json';
/** The server-sent change announcements. */
export const EVENTS_URL = '/api/v1/events';
const NEAREST_QUERY = { kind: 'shelter', k: '5' };

/** The TileJSON document of a tile set (`base`, `facilities`, `coverage`). */
export function tileJsonUrl(name) {
  return `/tiles/${name}.json`;
}

class ApiError extends Error {
  constructor(message, status = 0, code = null) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const TOKEN_KEY = 'refuge.token';

/** The staff token this tab signed in with, or null. Kept for the tab only (sessionStorage). */
export function staffToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Remembers `token` for this tab, or forgets it (null). */
export function setStaffToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage blocked: the token lasts as long as the page
  }
}

/** Asks the API; a non-2xx answer becomes an ApiError with the server's message and code. The
 *  staff token, if the tab has one, goes with every question: staff see more. */
async function requestJson(method, path, { body, signal, token = staffToken() } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, signal, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(t('networkError'));
  }
  noteResponse(response);
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok || answer?.error) {
    const message = answer?.error?.message;
    throw new ApiError(message ? String(message) : t('httpError', { status: response.status }), response.status, answer?.error?.code ?? null);
  }
  return answer;
}

/** GET a JSON document. */
function getJson(path, signal) {
  return requestJson('GET', path, { signal });
}

/** The API for signed-in staff: GET or POST `path` (under /api/v1) with the tab's token, or
 *  with `token` when one is given. */
export const staffApi = {
  get: (path, token) => requestJson('GET', `/api/v1/${path}`, token ? { token } : {}),
  post: (path, body = null) => requestJson('POST', `/api/v1/${path}`, { body }),
};

/** The features of a FeatureCollection, or none. */
function featuresOf(collection) {
  return Array.isArray(collection?.features) ? collection.features : [];
}

/** The TileJSON document of a tile set. */
export async function tileJson(name) {
  const tilejson = await getJson(tileJsonUrl(name));
  if (name === 'facilities') noteVersion(tilejson);
  return tilejson;
}

/** The nearest shelters on foot, nearest first: `{ features, skipped }`, each with its metres
 *  on foot (`walk_m`, where a way leads there) and as the crow flies. `hasRoom` keeps only open
 *  shelters with room; `hazard` only those safe in it, the walks going around its zones, and
 *  `skipped` then lists the nearer ones passed over, and why; `wheelchair` only those with
 *  step-free access. */
export async function nearestShelters(lon, lat, { hasRoom, hazard, wheelchair }, signal) {
  const query = new URLSearchParams({ lon: lon.toFixed(6), lat: lat.toFixed(6), ...NEAREST_QUERY, by: 'walk' });
  if (hasRoom) query.set('has_room', 'true');
  if (hazard) query.set('hazard', hazard);
  if (wheelchair) query.set('wheelchair', 'true');
  const answer = await getJson(`/api/v1/nearest?${query}`, signal);
  return { features: featuresOf(answer), skipped: Array.isArray(answer?.skipped) ? answer.skipped : [] };
}

/** The walk from `from` ([lon, lat]) to facility `id`, around the zones of `hazard`: a GeoJSON
 *  LineString Feature with `metres` and `minutes`. */
export function walkingRoute(from, id, hazard, signal) {
  const query = new URLSearchParams({ from: `${from[0].toFixed(6)},${from[1].toFixed(6)}`, to: String(id) });
  if (hazard) query.set('hazard', hazard);
  return getJson(`/api/v1/route?${query}`, signal);
}

/** The hazard of the emergency in force (the latest activation not ended), or null. */
export async function hazardInForce() {
  const answer = await getJson('/api/v1/activations');
  const inForce = (answer?.activations ?? []).filter((a) => !a.ended_at);
  inForce.sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
  return inForce[0]?.hazard ?? null;
}

/** Up to ten facilities whose names contain `query`. */
export async function searchFacilities(query, signal) {
  return featuresOf(await getJson(`/api/v1/facilities?${new URLSearchParams({ q: query, limit: '10' })}`, signal));
}

/** One facility's feature with all its details. */
export function facilityDetails(id) {
  return getJson(`/api/v1/facilities/${encodeURIComponent(id)}`);
}

/** The [lon, lat] of a Point feature, or null. */
export function pointOf(feature) {
  const geometry = feature?.geometry;
  if (geometry?.type === 'Point') return geometry.coordinates.slice(0, 2);
  return null;
}

/** A feature's live status: a string in lists, tiles and details alike. */
export function statusOf(props) {
  return props?.status || null;
}
