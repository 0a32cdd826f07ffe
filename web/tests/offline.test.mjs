// The page when the server goes away: a resident loads the demo city and chooses a point and a
// shelter; the server stops; a reload still shows the map, the nearest list and the walk, with
// "offline — data as of …"; a new point gets the nearest kept shelters; when the server is back the
// banner goes. This test starts and stops its own server (REFUGE_BIN, set by scripts/test.sh), so
// that the other tests' server stays up.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DESKTOP, OUT, TEST_TIMEOUT, emptyMapPoint, launchChromium } from './harness.mjs';

const REFUGE_BIN = process.env.REFUGE_BIN;
const PORT = Number(process.env.REFUGE_OFFLINE_PORT || 18196);
const ORIGIN = `http://127.0.0.1:${PORT}`;

/** `refuge serve --read-only` (the demo city) on PORT, once it answers; stop() ends it. */
async function startServer() {
  const child = spawn(REFUGE_BIN, ['serve', '--read-only', '--bind', `127.0.0.1:${PORT}`], { stdio: 'ignore' });
  for (let i = 0; i < 300; i += 1) {
    try {
      if ((await fetch(`${ORIGIN}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`refuge serve exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (i === 299) {
      child.kill();
      throw new Error(`refuge serve did not answer on ${ORIGIN} within 30 s`);
    }
  }
  return {
    async stop() {
      child.kill();
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}

/** Chromium on the map of `refuge serve` at ORIGIN, the page under its service worker; the
 *  browser closes when the test ends. */
async function openControlledMap(t) {
  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ ...DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${ORIGIN}/`, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: 45_000 });
  await page.evaluate(() => navigator.serviceWorker.ready);
  // The worker controls the page from its first load on (clients.claim); a reload makes sure.
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: 45_000 });
  assert.ok(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), 'the service worker controls the page');
  return { context, page, pageErrors };
}

test('with the server stopped, a reload shows the map, the nearest list and the walk, offline', { timeout: TEST_TIMEOUT * 2 }, async (t) => {
  if (!REFUGE_BIN) {
    t.skip('set REFUGE_BIN to the refuge binary (scripts/test.sh does)');
    return;
  }
  let server = await startServer();
  t.after(() => server.stop());
  const { context, page, pageErrors } = await openControlledMap(t);

  // A point, its nearest shelters on foot, and the walk to the first.
  await page.evaluate(() => window.refuge.map.jumpTo({ center: [7.4246, 43.7384], zoom: 15 }));
  await page.evaluate(() => new Promise((resolve) => window.refuge.map.once('idle', resolve)));
  const spot = await emptyMapPoint(page);
  await page.mouse.click(spot.x, spot.y);
  await page.waitForSelector('#results li.result', { timeout: 20_000 });
  const online = await page.locator('#results li.result .name').allTextContents();
  await page.locator('#results li.result button').first().click();
  await page.waitForSelector('#results li.selected .walk:not(.error)', { timeout: 20_000 });
  const walkOnline = await page.locator('#results li.selected .walk').textContent();
  assert.match(walkOnline, /On foot: .+ min/);
  // Two areas were asked for on this page: the view it opened on, then the point chosen.
  await page.waitForFunction(() => Number(document.documentElement.dataset.areaKept) >= 2, null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.areaWhole), 'true');
  const kept = await page.evaluate(async () => {
    const names = await caches.keys();
    const tiles = await (await caches.open(names.find((n) => n.endsWith('-area')))).keys();
    return { caches: names, tiles: tiles.length };
  });
  assert.ok(kept.tiles > 100, `the area's tiles are kept: ${JSON.stringify(kept)}`);

  // The server stops; the page is reloaded with the browser's own HTTP cache emptied, so that
  // what it shows comes from what the service worker kept.
  await server.stop();
  const devtools = await context.newCDPSession(page);
  await devtools.send('Network.clearBrowserCache');
  // Only the kept area serves tiles now: the tiles met while browsing are gone too.
  const areaTile = await page.evaluate(async () => {
    const names = await caches.keys();
    await caches.delete(names.find((n) => n.endsWith('-tiles')));
    const area = await caches.open(names.find((n) => n.endsWith('-area')));
    // A tile of the area at zoom 16 with streets on it: from now on only the area can serve it.
    for (const request of await area.keys()) {
      if (!request.url.includes('/tiles/base/16/')) continue;
      const kept = await area.match(request);
      if (kept.status === 200 && (await kept.arrayBuffer()).byteLength > 0) return request.url;
    }
    return null;
  });
  assert.ok(areaTile, 'the area holds zoom-16 tiles');
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: 45_000 });
  await page.waitForSelector('#offline:not([hidden])', { timeout: 20_000 });
  assert.match(await page.locator('#offline').textContent(), /Offline — data as of .+ \(version \d+\)/);
  await page.waitForSelector('#results li.selected .walk:not(.error)', { timeout: 20_000 });
  assert.deepEqual(await page.locator('#results li.result .name').allTextContents(), online, 'the same nearest list');
  assert.equal(await page.locator('#results li.selected .walk').textContent(), walkOnline, 'the same walk');
  const drawn = await page.evaluate(() => {
    const map = window.refuge.map;
    return {
      shelters: map.querySourceFeatures('facilities', { sourceLayer: 'shelters' }).length,
      roads: map.querySourceFeatures('base', { sourceLayer: 'roads' }).length,
      walk: map.getSource('walk')._data?.features?.length ?? map.querySourceFeatures('walk').length,
    };
  });
  assert.ok(drawn.shelters > 0 && drawn.roads > 0, `the map draws kept tiles: ${JSON.stringify(drawn)}`);
  const unseen = await page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, bytes: (await response.arrayBuffer()).byteLength };
  }, areaTile);
  assert.ok(unseen.status === 200 && unseen.bytes > 0, `an area tile never shown is served offline: ${JSON.stringify(unseen)}`);
  await page.screenshot({ path: path.join(OUT, 'offline-reload.png') });

  // A new point nearby: the nearest of the kept shelters, said to be offline.
  const other = await emptyMapPoint(page);
  await page.mouse.click(other.x + 40, other.y + 30);
  await page.waitForSelector('#nearest-note:not([hidden])', { timeout: 20_000 });
  assert.match(await page.locator('#nearest-note').textContent(), /Offline: the nearest of the shelters kept on this device/);
  assert.ok((await page.locator('#results li.result').count()) > 0, 'kept shelters are listed');

  // The server is back: the banner goes.
  server = await startServer();
  await page.waitForSelector('#offline', { state: 'hidden', timeout: 30_000 });
  assert.deepEqual(pageErrors, []);
});

test('a tile cache filled to its bound drops its oldest tiles and the map goes on', { timeout: TEST_TIMEOUT * 2 }, async (t) => {
  if (!REFUGE_BIN) {
    t.skip('set REFUGE_BIN to the refuge binary (scripts/test.sh does)');
    return;
  }
  const server = await startServer();
  t.after(() => server.stop());
  const { page, pageErrors } = await openControlledMap(t);

  // The browsing tiles' cache filled to its bound (3,000) with old tiles (of a tileset no area
  // cleanup touches),
  // and the kept area elsewhere (emptied), so that the tiles met now are kept as browsing ones.
  await page.waitForSelector('html[data-area-kept]', { state: 'attached', timeout: 60_000 });
  const name = await page.evaluate(async () => {
    const area = (await caches.keys()).find((n) => n.endsWith('-area'));
    await caches.delete(area);
    const tiles = (await caches.keys()).find((n) => n.endsWith('-tiles'));
    const cache = await caches.open(tiles);
    const puts = [];
    for (let i = 0; i < 3000; i += 1) {
      puts.push(cache.put(`/tiles/fake/20/${i}/0.mvt?v=1`, new Response(new Uint8Array(64), { headers: { 'X-Refuge-Kept-At': '2026-01-01T00:00:00Z' } })));
    }
    await Promise.all(puts);
    return tiles;
  });
  // Browsing on: the map moves over Monaco, zoom by zoom, and its new tiles are kept.
  for (const [lon, lat, zoom] of [[7.42, 43.735, 14], [7.43, 43.745, 15], [7.415, 43.73, 16], [7.44, 43.75, 16], [7.425, 43.74, 17]]) {
    await page.evaluate(([lon, lat, zoom]) => new Promise((resolve) => {
      const map = window.refuge.map;
      map.once('idle', resolve);
      map.jumpTo({ center: [lon, lat], zoom });
    }), [lon, lat, zoom]);
  }
  const after = await page.evaluate(async (tiles) => {
    const keys = await (await caches.open(tiles)).keys();
    return {
      count: keys.length,
      fake: keys.filter((k) => k.url.includes('/tiles/fake/20/')).length,
      firstFakeLeft: keys.some((k) => k.url.includes('/tiles/fake/20/0/0.mvt')),
      real: keys.filter((k) => !k.url.includes('/tiles/fake/20/')).length,
    };
  }, name);
  assert.ok(after.real > 25, `new tiles are kept: ${JSON.stringify(after)}`);
  assert.ok(after.count <= 3000 + 25, `the cache stays within its bound: ${JSON.stringify(after)}`);
  assert.equal(after.firstFakeLeft, false, 'the oldest tile went first');
  assert.ok(after.fake < 3000, `old tiles made room: ${JSON.stringify(after)}`);
  // The map still draws and answers.
  const drawn = await page.evaluate(() => window.refuge.map.querySourceFeatures('base', { sourceLayer: 'roads' }).length);
  assert.ok(drawn > 0);
  assert.deepEqual(pageErrors, []);
});
