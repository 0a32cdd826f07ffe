// Browser tests of the community map against a running Refuge server:
//   REFUGE_URL=http://127.0.0.1:8080 node --test tests/
// They drive Debian's Chromium through playwright-core and fail (never skip) when the server is down.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-output');
const READY_TIMEOUT = 45_000;
const TEST_TIMEOUT = 120_000;
const CJK = /[\u3400-\u9fff]/;
const DISTANCE = /^\d[\d,.]*\s?(m|km|米|公里)$/;

let browserPromise = null;

/** The browser, once the server has answered /healthz; any problem fails the calling test. */
function browser() {
  browserPromise ??= (async () => {
    let response;
    try {
      response = await fetch(`${BASE}/healthz`, { signal: AbortSignal.timeout(5000) });
    } catch (error) {
      throw new Error(`the Refuge server is not reachable at ${BASE} (set REFUGE_URL): ${error.message}`);
    }
    assert.equal(response.status, 200, `${BASE}/healthz answered ${response.status}`);
    await mkdir(OUT, { recursive: true });
    return chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  })();
  return browserPromise;
}

after(async () => {
  if (browserPromise) await (await browserPromise.catch(() => null))?.close();
});

const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
const PHONE = { viewport: { width: 375, height: 667 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** A fresh page on the map, with console errors and page errors collected in `errors`. */
async function openMap(t, { device = DESKTOP, locale = 'en-US', context: options = {} } = {}) {
  const context = await (await browser()).newContext({ ...device, locale, ...options });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url || 'no url'})`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  const response = await page.goto(`${BASE}/`, { waitUntil: 'load' });
  assert.equal(response.status(), 200, `GET / answered ${response.status()}`);
  try {
    await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: READY_TIMEOUT });
  } catch (error) {
    throw new Error(`the map never became ready: ${error.message}\n${errors.join('\n')}`);
  }
  return { page, errors };
}

/** A point in #map (page coordinates) with no clickable facility near it, as close to the centre as can be. */
async function emptyMapPoint(page) {
  const point = await page.evaluate(() => {
    const map = window.refuge.map;
    const layers = map
      .getStyle()
      .layers.filter((layer) => layer.metadata?.['refuge:click'] || layer.id === 'nearest-halo')
      .map((layer) => layer.id);
    const canvas = map.getCanvas();
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const offsets = [[0, 0]];
    for (let r = 12; r < Math.max(w, h) / 2; r += 12) {
      offsets.push([r, 0], [-r, 0], [0, r], [0, -r], [r, r], [-r, -r], [r, -r], [-r, r]);
    }
    for (const [dx, dy] of offsets) {
      const x = Math.round(w / 2 + dx);
      const y = Math.round(h / 2 + dy);
      if (x < 20 || y < 20 || x > w - 60 || y > h - 40) continue;
      const box = [
        [x - 14, y - 14],
        [x + 14, y + 14],
      ];
      if (map.queryRenderedFeatures(box, { layers }).length === 0) return { x, y };
    }
    return null;
  });
  assert.ok(point, 'no empty spot on the map to click');
  const box = await page.locator('#map').boundingBox();
  return { x: box.x + point.x, y: box.y + point.y };
}

/** Distinct colours in the map's WebGL canvas, copied into a 2-D canvas (the map keeps its drawing buffer). */
function distinctColours(page) {
  return page.evaluate(() => {
    const source = window.refuge.map.getCanvas();
    const copy = document.createElement('canvas');
    copy.width = source.width;
    copy.height = source.height;
    const context = copy.getContext('2d');
    context.drawImage(source, 0, 0);
    const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
    const colours = new Set();
    for (let i = 0; i < pixels.length; i += 4) colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
    return colours.size;
  });
}

test('the map loads with no console errors and draws base and facility tiles', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  await page.locator('#map').screenshot({ path: path.join(OUT, 'map.png') });
  const colours = await distinctColours(page);
  assert.ok(colours > 20, `the map canvas looks blank: ${colours} distinct colours`);

  const rendered = await page.evaluate(() => {
    const map = window.refuge.map;
    const counts = {};
    for (const feature of map.queryRenderedFeatures()) {
      const key = `${feature.source}/${feature.sourceLayer}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  });
  const from = (source) => Object.entries(rendered).filter(([key]) => key.startsWith(`${source}/`));
  assert.ok(from('base').length > 0, `no base-map feature rendered: ${JSON.stringify(rendered)}`);
  assert.ok(rendered['facilities/shelters'] > 0, `no shelter rendered: ${JSON.stringify(rendered)}`);
  assert.deepEqual(errors, []);
});

test('clicking the map lists the nearest shelters with distances; a row opens its details', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  const at = await emptyMapPoint(page);
  await page.mouse.click(at.x, at.y);
  const rows = page.locator('#results .result');
  await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
  assert.ok((await rows.count()) >= 1);
  const distance = (await rows.first().locator('.distance').textContent()).trim();
  assert.match(distance, DISTANCE);
  const name = (await rows.first().locator('.name').textContent()).trim();
  assert.ok(name.length > 0, 'the first result has no name');
  await page.screenshot({ path: path.join(OUT, 'nearest.png') });

  await rows.first().click();
  const title = page.locator('.maplibregl-popup .facility h3');
  await title.waitFor({ state: 'visible', timeout: 15_000 });
  await page.waitForFunction((expected) => document.querySelector('.maplibregl-popup .facility .kind')?.textContent && document.querySelector('.maplibregl-popup .facility h3')?.textContent === expected, name, { timeout: 15_000 });
  await page.screenshot({ path: path.join(OUT, 'popup.png') });
  assert.deepEqual(errors, []);
});

test('"use my location" lists the shelters nearest the browser position', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  const [lon, lat] = await page.evaluate(() => window.refuge.map.getCenter().toArray());
  await page.context().setGeolocation({ longitude: lon, latitude: lat });
  await page.context().grantPermissions(['geolocation']);
  await page.locator('#locate').click();
  const first = page.locator('#results .result').first();
  await first.waitFor({ state: 'visible', timeout: 15_000 });
  assert.match((await first.locator('.distance').textContent()).trim(), DISTANCE);
  assert.deepEqual(errors, []);
});

test("an error answer from the nearest query shows the server's message", { timeout: TEST_TIMEOUT }, async (t) => {
  const { page } = await openMap(t);
  // Spoil the query on its way out so the real server answers with its error JSON.
  await page.route('**/api/v1/nearest?*', (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set('lon', '200');
    return route.continue({ url: url.href });
  });
  const at = await emptyMapPoint(page);
  await page.mouse.click(at.x, at.y);
  const message = page.locator('#results .empty.error');
  await message.waitFor({ state: 'visible', timeout: 15_000 });
  const text = (await message.textContent()).trim();
  assert.match(text, /lon/, `the message should name the bad parameter: ${text}`);
  assert.equal((await page.locator('#status').textContent()).trim(), text);
  assert.equal(await page.locator('#results .result').count(), 0);
});

test('the language switch turns the interface and the map labels into Chinese and back', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t, { locale: 'en-US' });
  const heading = page.locator('#nearest-title');
  const english = (await heading.textContent()).trim();
  assert.match(english, /[A-Za-z]/);
  assert.doesNotMatch(english, CJK);
  assert.match(await page.locator('#lang').textContent(), CJK, 'the switch offers Chinese');

  await page.locator('#lang').click();
  const chinese = (await heading.textContent()).trim();
  assert.match(chinese, CJK);
  assert.match(await page.locator('#locate').textContent(), CJK);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  const label = await page.evaluate(() => window.refuge.map.getLayoutProperty('shelters-label', 'text-field'));
  assert.deepEqual(label.slice(0, 2), ['coalesce', ['get', 'name_zh']]);

  await page.locator('#lang').click();
  assert.equal((await heading.textContent()).trim(), english);
  assert.deepEqual(errors, []);
});

test('a Chinese browser gets the Chinese interface', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t, { locale: 'zh-CN' });
  assert.match(await page.locator('#heading').textContent(), CJK);
  assert.match(await page.locator('#search').getAttribute('placeholder'), CJK);
  assert.deepEqual(errors, []);
});

test('on a 375×667 phone the map loads and a tap lists the nearest shelters', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t, { device: PHONE });
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.width >= 370 && map.height >= 250, `the map is too small on a phone: ${JSON.stringify(map)}`);
  assert.ok((await distinctColours(page)) > 20, 'the map canvas looks blank on a phone');
  const at = await emptyMapPoint(page);
  await page.touchscreen.tap(at.x, at.y);
  const first = page.locator('#results .result').first();
  await first.waitFor({ state: 'visible', timeout: 15_000 });
  assert.match((await first.locator('.distance').textContent()).trim(), DISTANCE);
  assert.ok(await first.isVisible());
  await page.screenshot({ path: path.join(OUT, 'phone.png') });
  assert.deepEqual(errors, []);
});

test('searching by name lists matches and choosing one opens its details', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  // A real shelter name to search for: the one nearest the map centre, asked of the server.
  const [lon, lat] = await page.evaluate(() => window.refuge.map.getCenter().toArray());
  const nearest = await (await fetch(`${BASE}/api/v1/nearest?lon=${lon}&lat=${lat}&kind=shelter&k=1`)).json();
  assert.ok(nearest.features?.length, `the server found no shelter near the map centre: ${JSON.stringify(nearest)}`);
  const wanted = nearest.features[0].properties.name.en || nearest.features[0].properties.name.zh;
  await page.locator('#search').fill(wanted);
  const hit = page.locator('#search-list .hit').first();
  await hit.waitFor({ state: 'visible', timeout: 15_000 });
  await page.locator('#search').press('Enter');
  await page.locator('.maplibregl-popup .facility h3').waitFor({ state: 'visible', timeout: 15_000 });
  assert.ok((await page.locator('.maplibregl-popup .facility h3').textContent()).trim().length > 0);
  assert.deepEqual(errors, []);
});

test('layer toggles hide and show a layer group', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  const toggle = page.locator('#layers input[data-group="shelters"]');
  const visibility = () => page.evaluate(() => window.refuge.map.getLayoutProperty('shelters', 'visibility') ?? 'visible');
  assert.equal(await toggle.isChecked(), true);
  await toggle.uncheck();
  assert.equal(await visibility(), 'none');
  await toggle.check();
  assert.equal(await visibility(), 'visible');
  assert.deepEqual(errors, []);
});
