// The page's service worker: the map keeps working when the network fails. It keeps the page
// itself, the style, glyphs, the tiles of the visitor's area and the public answers the page got,
// and serves them when the server cannot be reached. Staff requests (with a token), live events and
// writes always go to the server, and are never kept.
//
// - The page's files, the style, TileJSON and public API answers: the network first; its answer is
//   kept, and when the network fails the kept copy is served, marked X-Refuge-Offline: <when kept>.
// - Tiles carry their data version (?v=): a kept tile of that version is served at once; offline, a
//   tile of another version is better than none.
// - The page asks (message 'keep-area') for the tiles and answers of the visitor's area to be kept
//   ahead; once they are, tiles of other versions of those tilesets are dropped.
// - Tiles are bounded (MAX_TILES): the oldest go first, also when the browser's storage is full.

const VERSION = 'refuge-1';
const PAGE_CACHE = `${VERSION}-page`;
const DATA_CACHE = `${VERSION}-data`;
const TILE_CACHE = `${VERSION}-tiles`;
const MAX_TILES = 3000;
const MAX_ANSWERS = 400;
/** How long the network has before a kept copy is served instead. */
const NETWORK_TIMEOUT_MS = 4000;

/** The page's files, kept when the worker installs (the Rust test page.rs checks this list). */
const PAGE_FILES = [
  '/',
  '/index.html',
  '/app.js',
  '/app.css',
  '/favicon.svg',
  '/manifest.webmanifest',
  '/style.json',
  '/js/api.js',
  '/js/dom.js',
  '/js/i18n.js',
  '/js/layers.js',
  '/js/live.js',
  '/js/logistics.js',
  '/js/map.js',
  '/js/nearest.js',
  '/js/offline.js',
  '/js/planning.js',
  '/js/popups.js',
  '/js/print.js',
  '/js/search.js',
  '/js/staff.js',
  '/js/strings.js',
  '/vendor/maplibre-gl/maplibre-gl.js',
  '/vendor/maplibre-gl/maplibre-gl.css',
  '/vendor/maplibre-gl/LICENSE.txt',
  '/vendor/qrcode-generator/qrcode.mjs',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(PAGE_CACHE);
      await cache.addAll(PAGE_FILES.map((url) => new Request(url, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const ours = [PAGE_CACHE, DATA_CACHE, TILE_CACHE];
      for (const name of await caches.keys()) {
        if (name.startsWith('refuge-') && !ours.includes(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.headers.has('Authorization')) return;
  const path = url.pathname;
  if (path === '/healthz' || path === '/api/v1/events' || path === '/api/v1/me' || path === '/sw.js') return;
  if (path.startsWith('/tiles/') && !path.endsWith('.json')) {
    event.respondWith(tile(request, url));
  } else if (path.startsWith('/glyphs/')) {
    event.respondWith(keptFirst(request, DATA_CACHE));
  } else if (PAGE_FILES.includes(path)) {
    event.respondWith(networkFirst(request, PAGE_CACHE));
  } else if (path.startsWith('/api/v1/') || path.startsWith('/tiles/')) {
    event.respondWith(networkFirst(request, DATA_CACHE));
  }
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'keep-area') event.waitUntil(keepArea(event.data, event.source));
});

/** The network's answer (kept), or the kept copy marked as offline, or a 503 saying neither. */
async function networkFirst(request, cacheName) {
  try {
    const response = await fetchWithin(request, NETWORK_TIMEOUT_MS);
    if (response.ok) await keep(cacheName, request, response.clone());
    return response;
  } catch {
    const cache = await caches.open(cacheName);
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return markedOffline(kept);
    return new Response(
      JSON.stringify({ error: { code: 'offline', message: 'The server cannot be reached and this answer was not kept on this device.' } }),
      { status: 503, headers: { 'Content-Type': 'application/json', 'X-Refuge-Offline': 'none' } },
    );
  }
}

/** A kept copy if there is one, else the network's answer, kept. */
async function keptFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await keep(cacheName, request, response.clone());
  return response;
}

/** A tile: kept at this version, else from the network (kept), else kept at another version. */
async function tile(request, url) {
  const cache = await caches.open(TILE_CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  try {
    const response = await fetchWithin(request, NETWORK_TIMEOUT_MS);
    if (response.status === 200 || response.status === 204) await keepTile(cache, request, response.clone());
    return response;
  } catch {
    const anyVersion = await cache.match(url.pathname, { ignoreSearch: true });
    if (anyVersion) return markedOffline(anyVersion);
    // No such tile kept: an empty one, so that the map draws what it has.
    return new Response(null, { status: 204, headers: { 'X-Refuge-Offline': 'none' } });
  }
}

/** `fetch`, given up after `ms`: a network that hangs counts as down. */
async function fetchWithin(request, ms) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await fetch(request, { signal: abort.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** `response` with the time it was kept as X-Refuge-Offline; the page shows it. */
function markedOffline(response) {
  const headers = new Headers(response.headers);
  headers.set('X-Refuge-Offline', response.headers.get('X-Refuge-Kept-At') ?? 'unknown');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Keeps `response` with the time it was kept; answers beyond MAX_ANSWERS go oldest first. */
async function keep(cacheName, request, response) {
  const cache = await caches.open(cacheName);
  await putBounded(cache, request, await stamped(response), cacheName === DATA_CACHE ? MAX_ANSWERS : Infinity);
}

async function keepTile(cache, request, response) {
  await putBounded(cache, request, await stamped(response), MAX_TILES);
}

async function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set('X-Refuge-Kept-At', new Date().toISOString());
  const body = response.status === 204 ? null : await response.arrayBuffer();
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** Puts, then drops the oldest entries past `limit`; when storage is full, drops a quarter of them
 *  and tries once more, and otherwise gives up on keeping this one (the page goes on). */
async function putBounded(cache, request, response, limit) {
  try {
    await cache.put(request, response.clone());
  } catch {
    await dropOldest(cache, Math.ceil((await cache.keys()).length / 4));
    try {
      await cache.put(request, response);
    } catch {
      return;
    }
  }
  if (Number.isFinite(limit)) {
    const keys = await cache.keys();
    if (keys.length > limit) await dropOldest(cache, keys.length - limit);
  }
}

/** Deletes the `n` entries kept first (a cache lists its entries in the order they were put). */
async function dropOldest(cache, n) {
  const keys = await cache.keys();
  for (const request of keys.slice(0, n)) await cache.delete(request);
}

/**
 * Keeps the tiles and answers of the visitor's area (`urls`, all same-origin GETs), four at a
 * time, then drops the tiles of other versions of `tilesets` ({ name: version }), and tells the
 * page how many were kept.
 */
async function keepArea({ urls, tilesets }, client) {
  const tiles = await caches.open(TILE_CACHE);
  let kept = 0;
  let failed = 0;
  const queue = [...new Set(urls)];
  const worker = async () => {
    while (queue.length) {
      const url = queue.shift();
      const request = new Request(url);
      const isTile = new URL(url, self.location.origin).pathname.startsWith('/tiles/') && !url.includes('.json');
      try {
        if (isTile && (await tiles.match(request))) {
          kept += 1;
          continue;
        }
        const response = await fetch(request);
        if (!response.ok) {
          failed += 1;
          continue;
        }
        if (isTile) await keepTile(tiles, request, response);
        else await keep(DATA_CACHE, request, response);
        kept += 1;
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  if (failed === 0) {
    for (const request of await tiles.keys()) {
      const url = new URL(request.url);
      const name = url.pathname.split('/')[2];
      const version = url.searchParams.get('v');
      if (name in (tilesets ?? {}) && version !== String(tilesets[name])) await tiles.delete(request);
    }
  }
  client?.postMessage({ type: 'area-kept', kept, failed });
}
