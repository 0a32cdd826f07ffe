// Accessibility in a real browser: axe-core (from npm) finds no serious or critical violation on
// the desktop and phone views, before and after a nearest search; the results and the popup are
// reached and used with the keyboard alone; and the wheelchair filter keeps only shelters with
// step-free access.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { harness, emptyMapPoint, DESKTOP, OUT, PHONE, TEST_TIMEOUT } from './harness.mjs';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const { openMap } = harness(BASE, 'REFUGE_URL');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** The serious and critical violations axe-core finds on the page as it is now. */
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    // The map canvas is a picture for sighted users; its content is in the panel's list.
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

for (const [name, device] of [
  ['desktop', DESKTOP],
  ['phone', PHONE],
]) {
  test(`${name}: axe-core finds no serious or critical violation, before and after a search`, { timeout: TEST_TIMEOUT }, async (t) => {
    // axe-core is injected as a script the page's own policy would refuse.
    const { page, errors } = await openMap(t, { device, context: { bypassCSP: true } });
    assert.deepEqual(await violations(page), [], 'the page as it opens');
    const spot = await emptyMapPoint(page);
    if (device.hasTouch) await page.touchscreen.tap(spot.x, spot.y);
    else await page.mouse.click(spot.x, spot.y);
    await page.locator('#results li[data-id]').first().waitFor({ timeout: 15_000 });
    assert.deepEqual(await violations(page), [], 'the page with its nearest list');
    assert.deepEqual(errors, []);
  });
}

test('the nearest list and a facility popup work with the keyboard alone', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  const spot = await emptyMapPoint(page);
  await page.mouse.click(spot.x, spot.y);
  const first = page.locator('#results li[data-id]').first();
  await first.waitFor({ timeout: 15_000 });
  // Tab until a result is focused, then Enter opens its popup, whose close button takes focus.
  let reached = false;
  for (let n = 0; n < 40 && !reached; n += 1) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => Boolean(document.activeElement?.closest('#results li[data-id]')));
  }
  assert.ok(reached, 'a result is reached with Tab');
  await page.keyboard.press('Enter');
  await page.locator('.maplibregl-popup').waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => Boolean(document.activeElement?.closest('.maplibregl-popup')), null, { timeout: 15_000 });
  const name = await page.locator('.maplibregl-popup h2, .maplibregl-popup h3').first().textContent();
  assert.ok(name && name.trim().length > 0, 'the popup names the facility');
  await page.keyboard.press('Escape');
  await page.locator('.maplibregl-popup').waitFor({ state: 'detached', timeout: 15_000 });
  assert.ok(
    await page.evaluate(() => Boolean(document.activeElement?.closest('#results li[data-id]'))),
    'the focus is back on the result that opened it',
  );
  assert.deepEqual(errors, []);
});

test('with the wheelchair filter, only shelters with step-free access are listed', { timeout: TEST_TIMEOUT }, async (t) => {
  const ADMIN = process.env.REFUGE_ADMIN_TOKEN;
  assert.ok(ADMIN, 'set REFUGE_ADMIN_TOKEN to an admin token of the server under test');
  const { page, errors } = await openMap(t);
  const spot = await emptyMapPoint(page);
  const [lon, lat] = spot.lngLat;
  // The demo city's OpenStreetMap data marks no shelter step-free: an administrator adds one
  // near the spot, open and with room, and takes it away afterwards.
  const created = await fetch(`${BASE}/api/v1/facilities`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lon + 0.0004, lat] },
      properties: {
        kind: 'shelter', name_en: 'Browser-test step-free hall', status: 'open', capacity: 200,
        space: 'indoor', amenities: 'accessible;toilets', source_id: `browser-test-step-free-${Date.now()}`,
      },
    }),
  });
  const hall = await created.json();
  assert.equal(created.status, 201, JSON.stringify(hall));
  t.after(async () => {
    await fetch(`${BASE}/api/v1/facilities/${hall.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${ADMIN}`, 'If-Match': created.headers.get('etag') },
    });
  });

  await page.mouse.click(spot.x, spot.y);
  await page.locator('#results li[data-id]').first().waitFor({ timeout: 15_000 });
  const all = await resultIds(page);
  await page.locator('#wheelchair').check();
  // The list empties while the new answer loads: wait for the answer, not for the empty list.
  await page.waitForFunction(
    (before) => {
      const now = [...document.querySelectorAll('#results li[data-id]')].map((r) => Number(r.dataset.id));
      return now.length > 0 && JSON.stringify(now) !== before;
    },
    JSON.stringify(all),
    { timeout: 15_000 },
  );
  const stepFree = await resultIds(page);
  assert.ok(stepFree.includes(hall.id), `the step-free hall is listed: ${stepFree}`);
  for (const id of stepFree) {
    const detail = await (await fetch(`${BASE}/api/v1/facilities/${id}`)).json();
    const amenities = detail.properties.attributes?.amenities ?? [];
    assert.ok(amenities.includes('accessible'), `shelter ${id} is step-free: ${JSON.stringify(detail.properties)}`);
  }
  await page.screenshot({ path: path.join(OUT, 'wheelchair.png') });
  assert.deepEqual(errors, []);
});

const resultIds = (page) => page.locator('#results li[data-id]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id)));
