// The page's service worker: the map keeps working when the network fails. It keeps the page
// itself, the style, glyphs, the tiles of the visitor's area and the public answers the page got,
// and serves them when the server cannot be reached. Staff requests (with a token), live events and
// writes always go to the server, and are never kept.
//
// - The page's files, the style, TileJSON and glyphs (the page cache, by path: `/?at=…` opens
//   the kept page too) and public API answers (the answer cache): the network first; its answer
//   is kept. When the network fails, or is slow and a kept copy exists, the kept copy is served,
//   marked X-Refuge-Offline: <when kept>.
// - Tiles carry their data version (?v=): a kept tile of that version is served at once; offline, a
//   tile of another version is better than none. Tiles the page met while browsing are bounded
//   (MAX_TILES, oldest first); the visitor's area (message 'keep-area') is kept apart, whole, and
//   replaced when it is kept again.
// - When the browser's storage is full, browsing tiles go first; the page's files never do.

const VERSION = 'refuge-2';
const PAGE_CACHE = `${VERSION}-page`;
const ANSWER_CACHE = `${VERSION}-answers`;
const TILE_CACHE = `${VERSION}-tiles`;
const AREA_CACHE = `${VERSION}-area`;
const MAX_TILES = 3000;
const MAX_ANSWERS = 400;
/** How long the network has before a kept copy, if there is one, is served instead. */
const SLOW_MS = 4000;
/** Bounds are checked every this many puts into a cache (listing a cache is not free). */
const TRIM_EVERY = 25;

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
      const ours = [PAGE_CACHE, ANSWER_CACHE, TILE_CACHE, AREA_CACHE];
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
  const isTile = path.startsWith('/tiles/') && !path.endsWith('.json');
  if (isTile && url.searchParams.has('v')) {
    event.respondWith(versionedTile(event, url));
  } else if (isTile) {
    // An archive's tiles carry no version: the network first.
    event.respondWith(networkFirst(event, TILE_CACHE, request));
  } else if (PAGE_FILES.includes(path) || path.startsWith('/glyphs/') || path.startsWith('/tiles/')) {
    // Kept by path: the page at `/?at=…` is the page at `/`.
    event.respondWith(networkFirst(event, PAGE_CACHE, path));
  } else if (path.startsWith('/api/v1/')) {
    event.respondWith(networkFirst(event, ANSWER_CACHE, request));
  }
});

/** Areas are kept one after another: each replaces the one before, whole. */
let keeping = Promise.resolve();

self.addEventListener('message', (event) => {
  if (event.data?.type !== 'keep-area') return;
  keeping = keeping.then(() => keepArea(event.data, event.source)).catch(() => {});
  event.waitUntil(keeping);
});

/**
 * The network's answer, kept under `key` (in the background). When the network fails or answers
 * with a server error: the kept copy marked as offline, else what it said (or a 503 saying
 * neither). When it is slow and a copy is kept, the copy, while the answer still comes in and is
 * kept for next time.
 */
async function networkFirst(event, cacheName, key) {
  const cache = await caches.open(cacheName);
  const network = fetch(event.request).then((response) => {
    if (response.ok) event.waitUntil(keep(cacheName, key, response.clone()));
    return response;
  });
  event.waitUntil(network.catch(() => {}));
  const kept = await cache.match(key, { ignoreVary: true });
  if (kept) {
    const slow = new Promise((resolve) => setTimeout(resolve, SLOW_MS, 'slow'));
    const first = await Promise.race([network.catch(() => 'failed'), slow]);
    if (first instanceof Response && first.status < 500) return first;
    return markedOffline(kept);
  }
  try {
    return await network;
  } catch {
    return new Response(
      JSON.stringify({ error: { code: 'offline', message: 'The server cannot be reached and this answer was not kept on this device.' } }),
      { status: 503, headers: { 'Content-Type': 'application/json', 'X-Refuge-Offline': 'none' } },
    );
  }
}

/** A tile of a data version: kept (in the area or from browsing), else from the network (kept in
 *  the background), else, when the network fails or is slow, kept at another version, else an
 *  empty tile so that the map draws what it has. */
async function versionedTile(event, url) {
  const request = event.request;
  const [area, tiles] = await Promise.all([caches.open(AREA_CACHE), caches.open(TILE_CACHE)]);
  const kept = (await area.match(request)) ?? (await tiles.match(request));
  if (kept) return kept;
  const network = fetch(request).then((response) => {
    if (response.status === 200 || response.status === 204) event.waitUntil(keep(TILE_CACHE, request, response.clone()));
    return response;
  });
  event.waitUntil(network.catch(() => {}));
  const other = async () =>
    (await area.match(url.pathname, { ignoreSearch: true })) ?? (await tiles.match(url.pathname, { ignoreSearch: true }));
  const slow = new Promise((resolve) => setTimeout(resolve, SLOW_MS, 'slow'));
  const first = await Promise.race([network.catch(() => 'failed'), slow]);
  if (first instanceof Response && first.status < 500) return first;
  const older = await other();
  if (older) return markedOffline(older);
  if (first === 'slow') {
    try {
      return await network;
    } catch {
      // failed after all: an empty tile below
    }
  }
  return new Response(null, { status: 204, headers: { 'X-Refuge-Offline': 'none' } });
}

/** `response` with the time it was kept as X-Refuge-Offline; the page shows it. */
function markedOffline(response) {
  const headers = new Headers(response.headers);
  headers.set('X-Refuge-Offline', response.headers.get('X-Refuge-Kept-At') ?? 'unknown');
  const body = response.status === 204 ? null : response.body;
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** Puts since the last look at each cache's size: the first put after the worker starts looks. */
const putsSinceTrim = new Map();

/** Keeps `response` under `key` with the time it was kept; the answer and tile caches are kept
 *  within their bounds, oldest first. */
async function keep(cacheName, key, response) {
  const cache = await caches.open(cacheName);
  const stamped = await stamp(response);
  if (!(await putOrMakeRoom(cache, key, stamped))) return;
  const limit = { [TILE_CACHE]: MAX_TILES, [ANSWER_CACHE]: MAX_ANSWERS }[cacheName];
  if (!limit) return;
  const puts = (putsSinceTrim.get(cacheName) ?? TRIM_EVERY - 1) + 1;
  putsSinceTrim.set(cacheName, puts % TRIM_EVERY);
  if (puts % TRIM_EVERY === 0) {
    const keys = await cache.keys();
    if (keys.length > limit) await dropOldest(cache, keys, keys.length - limit);
  }
}

/** `response` with the time it is kept, as X-Refuge-Kept-At (a kept copy already has one). */
async function stamp(response) {
  if (response.headers.has('X-Refuge-Kept-At')) return response;
  const headers = new Headers(response.headers);
  headers.set('X-Refuge-Kept-At', new Date().toISOString());
  const body = response.status === 204 ? null : await response.arrayBuffer();
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** Puts; when storage is full, makes room once (browsing tiles first, then old answers) and tries
 *  again. Whether it was kept. */
async function putOrMakeRoom(cache, key, response) {
  try {
    await cache.put(key, response.clone());
    return true;
  } catch (error) {
    if (error?.name !== 'QuotaExceededError') return false;
    await makeRoom();
    try {
      await cache.put(key, response);
      return true;
    } catch {
      return false;
    }
  }
}

/** Room made, or being made: one at a time, however many puts found storage full. */
let makingRoom = null;

function makeRoom() {
  makingRoom ??= dropHalf().finally(() => {
    makingRoom = null;
  });
  return makingRoom;
}

async function dropHalf() {
  for (const name of [TILE_CACHE, ANSWER_CACHE]) {
    const cache = await caches.open(name);
    const keys = await cache.keys();
    if (keys.length > 0) {
      await dropOldest(cache, keys, Math.ceil(keys.length / 2));
      return;
    }
  }
}

/** Deletes the `n` entries kept first (a cache lists its entries in the order they were put). */
async function dropOldest(cache, keys, n) {
  for (const request of keys.slice(0, n)) await cache.delete(request);
}

/**
 * Keeps the visitor's area: its tiles (`urls` under /tiles/, at the versions `tilesets` names,
 * { name: version }) in the area cache, whole, and its answers (the other `urls`) in the answer
 * cache; four at a time. Once every one is kept, the area cache drops what is no longer the area,
 * and the browsing tiles of older versions of those tilesets go. Tells the page how many were kept.
 */
async function keepArea({ urls, tilesets }, client) {
  const [area, tiles] = await Promise.all([caches.open(AREA_CACHE), caches.open(TILE_CACHE)]);
  const wanted = [...new Set(urls)].map((url) => new URL(url, self.location.origin).href);
  let kept = 0;
  let failed = 0;
  let tilesFailed = 0;
  const queue = [...wanted];
  const worker = async () => {
    while (queue.length) {
      const url = queue.shift();
      const isTile = new URL(url).pathname.startsWith('/tiles/');
      try {
        if (isTile && (await area.match(url))) {
          kept += 1;
          continue;
        }
        const response = (isTile && (await tiles.match(url))) || (await fetch(url));
        if (!response.ok) throw new Error(`${response.status}`);
        if (isTile) {
          if (!(await putOrMakeRoom(area, url, await stamp(response)))) throw new Error('not kept');
        } else {
          await keep(ANSWER_CACHE, url, response);
        }
        kept += 1;
      } catch {
        failed += 1;
        if (isTile) tilesFailed += 1;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  // The area is whole: what is no longer in it goes, and older versions of its tiles.
  if (tilesFailed === 0) {
    const inArea = new Set(wanted);
    for (const request of await area.keys()) {
      if (!inArea.has(request.url)) await area.delete(request);
    }
    for (const request of await tiles.keys()) {
      const url = new URL(request.url);
      const name = url.pathname.split('/')[2];
      const version = Number(url.searchParams.get('v'));
      if (name in (tilesets ?? {}) && version < Number(tilesets[name])) await tiles.delete(request);
    }
  }
  client?.postMessage({ type: 'area-kept', kept, failed });
}
