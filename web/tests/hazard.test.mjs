// Hazard-aware guidance in a real browser: a flood zone laid over a shelter takes it out of a
// resident's nearest shelters once the resident says they shelter from a flood, and the panel
// says why it was passed over; with no emergency chosen, nothing is passed over.
// Needs REFUGE_PLANNER_TOKEN, a planner (or admin) token of the server under test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { harness, emptyMapPoint, OUT, TEST_TIMEOUT } from './harness.mjs';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const PLANNER = process.env.REFUGE_PLANNER_TOKEN;
const { openMap } = harness(BASE, 'REFUGE_URL');

/** Lays a hazard (a GeoJSON Feature) as the planner; answers what the upload says. */
async function uploadHazard(feature) {
  const response = await fetch(`${BASE}/api/v1/hazards`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PLANNER}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(feature),
  });
  const answer = await response.json();
  assert.equal(response.status, 201, JSON.stringify(answer));
  return answer;
}

/** A square of about `half` degrees around a point. */
function square([lon, lat], half) {
  return {
    type: 'Polygon',
    coordinates: [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]],
  };
}

const resultIds = (page) => page.locator('#results li[data-id]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id)));

test('a shelter inside a flood zone is never recommended in a flood, and the panel says why', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(PLANNER, 'set REFUGE_PLANNER_TOKEN to a planner token of the server under test');
  const { page, errors } = await openMap(t);
  const spot = await emptyMapPoint(page);
  const [lon, lat] = spot.lngLat;

  // The shelter the page would send a resident to in a flood from here.
  const before = await (await fetch(`${BASE}/api/v1/nearest?lon=${lon}&lat=${lat}&kind=shelter&k=5&has_room=true&hazard=flood`)).json();
  assert.ok(before.features.length, `no shelter safe in a flood near ${lon},${lat}`);
  const first = before.features[0];
  // A source id of its own: uploaded again, it updates the same hazard.
  const flood = {
    type: 'Feature',
    geometry: square(first.geometry.coordinates, 0.0005),
    properties: {
      id: `browser-test-flood-${Date.now()}`,
      name: 'Browser-test flood zone',
      hazard_kind: 'flood_zone',
      risk: 'major',
      influence_radius_m: 0,
    },
  };
  const laid = await uploadHazard(flood);
  assert.ok(laid.exposed.some((e) => e.id === first.id), `the upload names the shelter it exposes: ${JSON.stringify(laid)}`);
  // Made safe afterwards, so that no other test meets it.
  t.after(async () => {
    const closed = await uploadHazard({ ...flood, properties: { ...flood.properties, status: 'closed' } });
    assert.deepEqual(closed.hazards, laid.hazards, 'the same hazard, closed');
  });

  await page.locator('#hazard').selectOption('flood');
  await page.mouse.click(spot.x, spot.y);
  await page.locator('#results li[data-id]').first().waitFor({ timeout: 15_000 });
  const inFlood = await resultIds(page);
  assert.ok(!inFlood.includes(first.id), `shelter ${first.id} is inside the zone: ${inFlood}`);
  await page.locator(`#skipped li[data-id="${first.id}"]`).waitFor({ timeout: 15_000 });
  assert.match(await page.locator(`#skipped li[data-id="${first.id}"]`).textContent(), /inside Browser-test flood zone/);
  await page.screenshot({ path: path.join(OUT, 'hazard-flood.png') });

  // Every shelter the page shows is outside every flood zone in force.
  const exposure = await (await fetch(`${BASE}/api/v1/exposure?hazard=flood&kind=shelter`)).json();
  const exposed = new Set(exposure.map((e) => e.id));
  assert.ok(inFlood.every((id) => !exposed.has(id)), `shown ${inFlood}, exposed ${[...exposed]}`);

  // With no emergency chosen, nothing is passed over.
  await page.locator('#hazard').selectOption('');
  await page.waitForFunction(() => document.querySelector('#skipped').hidden, null, { timeout: 15_000 });
  assert.deepEqual(errors, []);
});
