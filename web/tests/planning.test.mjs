// The planner's path in a real browser, on the demo city with a population over it: sign in with
// a planner token, turn the population's coverage on (cells drawn, a legend read from the style)
// and read it per district, then play a flood scenario over part of the city: before and after
// in the panel, its draft zone and the shelter it threatens drawn on the planner's map, and
// nothing of it on the public map or in a resident's answers.
// Needs REFUGE_PLANNER_TOKEN, a planner (or admin) token of the server under test, whose store
// holds a population layer (scripts/test.sh imports tests/fixtures/population-monaco.csv).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { harness, OUT, TEST_TIMEOUT } from './harness.mjs';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const PLANNER = process.env.REFUGE_PLANNER_TOKEN;
const { openMap } = harness(BASE, 'REFUGE_URL');

/** A public GET of the API: no token. */
async function publicApi(pathAndQuery) {
  const response = await fetch(`${BASE}/api/v1/${pathAndQuery}`);
  assert.equal(response.status, 200, pathAndQuery);
  return response.json();
}

/** The tile URLs (with their data versions) of the public facility and coverage tiles. */
async function publicTileJson() {
  const urls = [];
  for (const name of ['facilities', 'coverage']) {
    const response = await fetch(`${BASE}/tiles/${name}.json`);
    urls.push((await response.json()).tiles[0]);
  }
  return urls;
}

/** A square of about `half` degrees around a point. */
function square([lon, lat], half) {
  return {
    type: 'Polygon',
    coordinates: [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]],
  };
}

/** The features of a map layer drawn on screen now. */
function rendered(page, layer) {
  return page.evaluate((id) => window.refuge.map.queryRenderedFeatures({ layers: [id] }).map((f) => f.properties), layer);
}

/** Waits until the map has drawn everything it was asked to. */
function idle(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const map = window.refuge.map;
    if (map.loaded() && map.areTilesLoaded()) resolve();
    map.once('idle', resolve);
  }));
}

test('a planner sees coverage and plays a flood scenario that the public never sees', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(PLANNER, 'set REFUGE_PLANNER_TOKEN to a planner token of the server under test');
  const { page, errors } = await openMap(t);
  assert.equal(await page.locator('#planning').isHidden(), true, 'no planning panel for the public');

  await page.locator('#staff-box summary').click();
  await page.locator('#staff-token').fill(PLANNER);
  await page.locator('#staff-submit').click();
  await page.locator('#planning').waitFor({ state: 'visible', timeout: 15_000 });
  assert.match(await page.locator('#staff-who').textContent(), /\(planning\)/);
  assert.equal(await page.locator('#logistics').isHidden(), true, 'a planner is not a logistics officer');

  // Coverage on the map: the cells over the city, coloured as the legend says.
  assert.deepEqual(await rendered(page, 'coverage-cells'), [], 'hidden until asked for');
  await page.locator('#coverage-toggle').check();
  await page.evaluate(() => window.refuge.map.jumpTo({ center: [7.4246, 43.7384], zoom: 14 }));
  await idle(page);
  const cells = await rendered(page, 'coverage-cells');
  assert.ok(cells.length > 10, `coverage cells drawn: ${cells.length}`);
  assert.ok(cells.every((c) => c.people > 0 && c.cell), JSON.stringify(cells[0]));
  const legend = await page.locator('#coverage-legend li').allTextContents();
  assert.equal(legend.length, 5, `four distance bands and the outline: ${legend}`);
  assert.match(legend[0], /0 m – 500 m/);
  await page.screenshot({ path: path.join(OUT, 'planning-coverage.png') });

  // Per district: the API's figures, in the panel.
  await page.locator('#coverage-report').click();
  await page.locator('#coverage-table tbody tr').first().waitFor({ timeout: 15_000 });
  const total = (await page.locator('#coverage-table tbody tr').last().locator('td').allTextContents());
  assert.equal(total[0], 'All');
  assert.equal(total[1], '40,360', 'every resident of the test population');

  // A flood scenario around a shelter that serves in a flood today.
  const [lon, lat] = [7.4246, 43.7384];
  const safe = await publicApi(`nearest?lon=${lon}&lat=${lat}&kind=shelter&k=1&hazard=flood`);
  const shelter = safe.features[0];
  assert.ok(shelter, 'a shelter safe in a flood');
  const zones = {
    type: 'FeatureCollection',
    features: [{
      type: 'Feature',
      geometry: square(shelter.geometry.coordinates, 0.0015),
      properties: { name: 'Browser-test draft flood', hazard_kind: 'flood_zone', risk: 'major', influence_radius_m: 0 },
    }],
  };
  const tilesBefore = await publicTileJson();
  await page.locator('#scenario-name').fill('Harbour flood');
  await page.locator('#scenario-hazard').selectOption('flood');
  await page.locator('#scenario-zones').fill(JSON.stringify(zones));
  await page.locator('#scenario-multiplier').fill('2');
  await page.locator('#scenario-run').click();
  await page.locator('#scenario-table tbody tr').first().waitFor({ timeout: 30_000 });
  const after = await page.locator('#scenario-table tbody tr').last().locator('td').allTextContents();
  assert.equal(after[0], 'All');
  assert.equal(after[1], '40,360 → 80,720', 'twice the demand');
  const marked = await page.locator('#scenario-marked li').allTextContents();
  const name = shelter.properties.name.en || shelter.properties.name.zh;
  assert.ok(marked.some((m) => m.includes(name) && /newly threatened/.test(m)), `${name} in ${marked}`);

  // Its zone and the threatened shelter on this planner's map.
  await page.evaluate(([x, y]) => window.refuge.map.jumpTo({ center: [x, y], zoom: 15 }), shelter.geometry.coordinates);
  await idle(page);
  assert.ok((await rendered(page, 'scenario-zones')).length > 0, 'the draft zone is drawn');
  const marks = await rendered(page, 'scenario-marks');
  assert.ok(marks.some((m) => m.id === shelter.properties.id && m.role === 'exposed'), JSON.stringify(marks));
  await page.screenshot({ path: path.join(OUT, 'planning-scenario.png') });

  // Never on the public map: its tiles are of the same data as before, no zone is in force, and
  // residents are still sent to the shelter.
  assert.deepEqual(await publicTileJson(), tilesBefore, 'the public tiles did not change');
  const exposure = await publicApi('exposure?hazard=flood');
  assert.ok(exposure.every((e) => e.hazard?.name?.en !== 'Browser-test draft flood'), 'no draft zone is in force');
  const resident = await publicApi(`nearest?lon=${shelter.geometry.coordinates[0]}&lat=${shelter.geometry.coordinates[1]}&kind=shelter&k=1&hazard=flood`);
  assert.equal(resident.features[0]?.properties.id, shelter.properties.id, 'the resident is still sent there');

  // Signing out takes the scenario and the coverage off the planner's map.
  await page.locator('#staff-out').click();
  await page.locator('#planning').waitFor({ state: 'hidden', timeout: 15_000 });
  await idle(page);
  assert.deepEqual(await rendered(page, 'scenario-zones'), []);
  assert.deepEqual(await rendered(page, 'coverage-cells'), []);
  assert.deepEqual(errors, []);
});
