// The way on foot in a real browser: choosing a shelter from the nearest list asks the server for
// the walk there, draws it on the map over the streets and says how far and how long it is.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { harness, emptyMapPoint, OUT, TEST_TIMEOUT } from './harness.mjs';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const { openMap } = harness(BASE, 'REFUGE_URL');

test('choosing a shelter draws the way on foot to it and says how long it is', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  const spot = await emptyMapPoint(page);
  await page.mouse.click(spot.x, spot.y);
  const first = page.locator('#results li[data-id]').first();
  await first.waitFor({ timeout: 15_000 });
  const id = Number(await first.getAttribute('data-id'));

  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/route?'), { timeout: 15_000 });
  await first.locator('button').click();
  const route = await (await answered).json();
  assert.equal(route.geometry.type, 'LineString', JSON.stringify(route));
  assert.equal(route.properties.to, id);
  const [lon, lat] = route.geometry.coordinates[0];
  assert.ok(Math.abs(lon - spot.lngLat[0]) < 1e-5 && Math.abs(lat - spot.lngLat[1]) < 1e-5, 'from the point chosen');
  assert.ok(route.geometry.coordinates.length > 2, 'along the streets');
  assert.ok(route.properties.metres >= route.properties.straight_m - 0.1);

  const said = page.locator(`#results li[data-id="${id}"] .walk`);
  await said.filter({ hasText: /min/ }).waitFor({ timeout: 15_000 });
  await page.evaluate(() => window.refuge.map.fitBounds(
    window.refuge.map.getSource('walk').serialize().data.geometry.coordinates.reduce(
      (b, c) => b.extend(c), new window.maplibregl.LngLatBounds(),
    ),
    { padding: 60, duration: 0 },
  ));
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.refuge.map;
    if (map.loaded() && map.areTilesLoaded()) resolve();
    map.once('idle', resolve);
  }));
  const drawn = await page.evaluate(() => window.refuge.map.queryRenderedFeatures({ layers: ['walk-line'] }).length);
  assert.ok(drawn > 0, 'the walk is drawn on the map');
  await page.screenshot({ path: path.join(OUT, 'walk.png') });
  assert.deepEqual(errors, []);
});
