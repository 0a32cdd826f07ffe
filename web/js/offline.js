// The page when the network fails: the service worker (/sw.js) keeps the page, the tiles of the
// visitor's area (about 3 km around them, zooms 10 to 16) and the public answers; this module asks
// it to keep the area, says "offline — data as of …" while answers come from what was kept, and
// re-syncs when the server answers again. It also keeps the shelters near the visitor, so that a
// point chosen offline still gets its nearest shelters (as the crow flies) from them.

import { $ } from './dom.js';
import { formatTime, t } from './i18n.js';

/** How far around the visitor the area kept reaches, metres. */
const AREA_RADIUS_M = 3000;
const AREA_ZOOMS = [10, 16];
/** The shelters kept near the visitor, and how many of them get their details kept. */
const KEPT_SHELTERS = 100;
const KEPT_DETAILS = 20;
const SHELTERS_KEY = 'refuge.kept-shelters';
const HEALTH_POLL_MS = 5000;

/** While offline: when the answers shown were kept, and the data version they are of. */
const state = { offline: false, keptAt: null, version: null, poll: 0, onBack: null };

/** Registers the service worker, and `onBack` to run when the server answers again. */
export function startOffline(onBack) {
  state.onBack = onBack;
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js').catch((error) => console.warn('no offline map:', error.message));
  let areasKept = 0;
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type !== 'area-kept') return;
    // The browser tests wait for these; a resident sees nothing of them. The worker keeps the
    // areas asked for one after another, so the count says which have been kept.
    areasKept += 1;
    document.documentElement.dataset.areaKept = String(areasKept);
    document.documentElement.dataset.areaWhole = String(event.data.failed === 0);
  });
}

/** Looks at an answer of the server (or of the service worker for it): kept answers mean offline. */
export function noteResponse(response) {
  const keptAt = response.headers.get('X-Refuge-Offline');
  if (keptAt) showOffline(keptAt === 'none' || keptAt === 'unknown' ? null : keptAt);
  else if (state.offline) backOnline();
}

/** The data version the page shows (from the facilities TileJSON). */
export function noteVersion(tilejson) {
  const match = String(tilejson?.tiles?.[0] ?? '').match(/[?&]v=(\d+)/);
  if (match) state.version = match[1];
}

function showOffline(keptAt) {
  if (keptAt && (!state.keptAt || keptAt < state.keptAt)) state.keptAt = keptAt;
  state.offline = true;
  renderOffline();
  clearInterval(state.poll);
  state.poll = setInterval(checkServer, HEALTH_POLL_MS);
}

async function checkServer() {
  try {
    const response = await fetch('/healthz', { cache: 'no-store' });
    if (response.ok) backOnline();
  } catch {
    // still offline
  }
}

function backOnline() {
  clearInterval(state.poll);
  state.offline = false;
  state.keptAt = null;
  renderOffline();
  state.onBack?.();
}

/** The offline banner, in the page's language. */
export function renderOffline() {
  const banner = $('#offline');
  banner.hidden = !state.offline;
  document.documentElement.dataset.offline = String(state.offline);
  if (!state.offline) return;
  banner.textContent = t('offlineBanner', {
    time: state.keptAt ? formatTime(state.keptAt) : t('offlineUnknownTime'),
    version: state.version ?? '?',
  });
}

/** Whether answers now come from what this device kept. */
export function isOffline() {
  return state.offline;
}

/**
 * Asks the service worker to keep the area around [lon, lat]: the facility and base-map tiles of
 * its zooms (at the versions their TileJSON names now), the shelters nearest to it and the details
 * of the nearest of them. The shelters are also kept in this page's storage.
 */
export async function keepArea(lon, lat) {
  if (!('serviceWorker' in navigator) || state.offline) return;
  const registration = await navigator.serviceWorker.ready;
  const urls = [];
  const tilesets = {};
  const tilejsons = {};
  for (const name of ['facilities', 'base']) {
    try {
      const response = await fetch(`/tiles/${name}.json`);
      if (!response.ok || response.headers.get('X-Refuge-Offline')) return;
      tilejsons[name] = await response.json();
    } catch {
      return;
    }
  }
  const nearestUrl = `/api/v1/nearest?${new URLSearchParams({ lon: lon.toFixed(6), lat: lat.toFixed(6), kind: 'shelter', k: String(KEPT_SHELTERS) })}`;
  for (const [name, tilejson] of Object.entries(tilejsons)) {
    const template = tilejson?.tiles?.[0];
    if (!template) continue;
    const version = template.match(/[?&]v=(\d+)/)?.[1];
    if (version) tilesets[name] = version;
    const maxzoom = Math.min(AREA_ZOOMS[1], tilejson.maxzoom ?? AREA_ZOOMS[1]);
    for (let z = AREA_ZOOMS[0]; z <= maxzoom; z += 1) {
      for (const [x, y] of tilesAround(lon, lat, AREA_RADIUS_M, z)) {
        urls.push(template.replace('{z}', z).replace('{x}', x).replace('{y}', y));
      }
    }
  }
  try {
    const response = await fetch(nearestUrl);
    if (response.ok && !response.headers.get('X-Refuge-Offline')) {
      const shelters = (await response.json()).features ?? [];
      remember(shelters);
      for (const feature of shelters.slice(0, KEPT_DETAILS)) urls.push(`/api/v1/facilities/${feature.id ?? feature.properties?.id}`);
    }
  } catch {
    // the tiles are kept all the same
  }
  registration.active?.postMessage({ type: 'keep-area', urls, tilesets });
}

/** The shelters kept near the visitor, with their positions and last known figures. */
export function keptShelters() {
  try {
    return JSON.parse(localStorage.getItem(SHELTERS_KEY) ?? '[]');
  } catch {
    return [];
  }
}

function remember(shelters) {
  try {
    localStorage.setItem(SHELTERS_KEY, JSON.stringify(shelters.slice(0, KEPT_SHELTERS)));
  } catch {
    // storage full or blocked: offline nearest answers will be fewer
  }
}

/** The x/y of every tile of zoom `z` within `radius` metres of [lon, lat] (a square around it). */
function tilesAround(lon, lat, radius, z) {
  const dLat = (radius / 6371008.8) * (180 / Math.PI);
  const dLon = dLat / Math.max(Math.cos((lat * Math.PI) / 180), 0.01);
  const n = 2 ** z;
  const column = (x) => Math.min(n - 1, Math.max(0, Math.floor(((x + 180) / 360) * n)));
  const row = (y) => {
    const phi = (Math.max(-85.0511, Math.min(85.0511, y)) * Math.PI) / 180;
    return Math.min(n - 1, Math.max(0, Math.floor(((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n)));
  };
  const tiles = [];
  for (let x = column(lon - dLon); x <= column(lon + dLon); x += 1) {
    for (let y = row(lat + dLat); y <= row(lat - dLat); y += 1) tiles.push([x, y]);
  }
  return tiles;
}
