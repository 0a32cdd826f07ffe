// Live updates in a real browser: a change made through the write API appears on the open map
// without a reload. Needs REFUGE_TOKEN, a logistics (or admin) token of the server under test.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const TOKEN = process.env.REFUGE_TOKEN;

let browser = null;
after(async () => browser?.close());

test('an occupancy change made through the API appears on the open page', { timeout: 120_000 }, async (t) => {
  assert.ok(TOKEN, 'set REFUGE_TOKEN to a logistics token of the server under test');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));

  // The nearest shelter with room to a point on the map: it will fill up.
  const nearest = await (await fetch(`${BASE}/api/v1/nearest?lon=7.4200&lat=43.7350&kind=shelter&k=1&has_room=true`)).json();
  const shelter = nearest.features[0];
  const [lon, lat] = shelter.geometry.coordinates;
  await page.goto(`${BASE}/`);
  await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: 45_000 });
  await page.evaluate(([lon, lat]) => window.refuge.map.jumpTo({ center: [lon, lat], zoom: 16 }), [lon, lat]);

  const statusOnMap = () =>
    page.evaluate((id) => {
      const map = window.refuge.map;
      const found = map.querySourceFeatures('facilities', { sourceLayer: 'shelters' }).find((f) => Number(f.id ?? f.properties.id) === id);
      return found ? found.properties.status : null;
    }, shelter.id);
  await page.waitForFunction(
    (id) => window.refuge.map.querySourceFeatures('facilities', { sourceLayer: 'shelters' }).some((f) => Number(f.id ?? f.properties.id) === id),
    shelter.id,
    { timeout: 30_000 },
  );
  assert.equal(await statusOnMap(), 'open');

  const response = await fetch(`${BASE}/api/v1/facilities/${shelter.id}/status`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ status: 'full', occupancy: shelter.properties.capacity, reported_by: 'browser test' }),
  });
  assert.equal(response.status, 200, await response.text());

  // No reload: the page hears the change and redraws the shelter as full.
  await page.waitForFunction(() => window.refuge.lastChange?.action === 'facility.status', null, { timeout: 15_000 });
  await page.waitForFunction(
    (id) =>
      window.refuge.map
        .querySourceFeatures('facilities', { sourceLayer: 'shelters' })
        .some((f) => Number(f.id ?? f.properties.id) === id && f.properties.status === 'full'),
    shelter.id,
    { timeout: 20_000 },
  );
  await page.screenshot({ path: new URL('../test-output/live-update.png', import.meta.url).pathname });

  // Put it back so that the other tests see an open shelter.
  const back = await fetch(`${BASE}/api/v1/facilities/${shelter.id}/status`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ status: 'open', occupancy: 0 }),
  });
  assert.equal(back.status, 200);
  assert.deepEqual(errors, []);
});
