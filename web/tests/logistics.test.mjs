// The logistics officer's path in a real browser, on the demo city: sign in with a logistics
// token, open a shelter that has just filled up, plan its resupply (lines drawn from each source,
// labelled with quantities), dispatch the plan and receive every shipment from the panel; the
// shelter's stock then holds what was planned, and the shortage and expiring tables are shown.
// Needs REFUGE_TOKEN, a logistics (or admin) token of the server under test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { harness, OUT, TEST_TIMEOUT } from './harness.mjs';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const TOKEN = process.env.REFUGE_TOKEN;
const { openMap } = harness(BASE, 'REFUGE_URL');

async function api(pathAndQuery, body) {
  const response = await fetch(`${BASE}/api/v1/${pathAndQuery}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  assert.equal(response.status, 200, `${pathAndQuery}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Usable units of each item at a facility, as its detail lists them. */
async function stockAt(id) {
  const feature = await api(`facilities/${id}`);
  return Object.fromEntries((feature.properties.stock ?? []).map((line) => [line.item, line.quantity]));
}

/** A large shelter with no stock that a search finds by its name, which has just filled up with 200 people
 *  (reported through the API, as its manager would). */
async function shelterThatFilledUp() {
  const shelters = (await api('facilities?kind=shelter&limit=200')).features
    .filter((f) => (f.properties.capacity ?? 0) >= 200)
    .sort((a, b) => b.properties.capacity - a.properties.capacity);
  for (const feature of shelters) {
    const id = feature.properties.id;
    const name = feature.properties.name.en || feature.properties.name.zh;
    const hits = await api(`facilities?q=${encodeURIComponent(name)}&limit=10`);
    if (!hits.features.some((hit) => hit.properties.id === id)) continue;
    // One that holds nothing yet is short of everything (a run before may have supplied others).
    if (Object.keys(await stockAt(id)).length > 0) continue;
    await api(`facilities/${id}/status`, { status: 'open', occupancy: 200 });
    return { id, name };
  }
  assert.fail('the demo city has no shelter for 200 that a search finds by name');
}

test('a logistics officer plans, dispatches and receives a resupply from the panel', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(TOKEN, 'set REFUGE_TOKEN to a logistics token of the server under test');
  const shelter = await shelterThatFilledUp();
  const { page, errors } = await openMap(t);

  // A wrong token is refused by name; the right one opens the panel with its tables.
  await page.locator('#staff-box summary').click();
  await page.locator('#staff-token').fill('not-a-token');
  await page.locator('#staff-submit').click();
  await page.locator('#staff-error').filter({ hasText: /not valid/ }).waitFor({ timeout: 15_000 });
  await page.locator('#staff-token').fill(TOKEN);
  await page.locator('#staff-submit').click();
  await page.locator('#logistics').waitFor({ state: 'visible', timeout: 15_000 });
  await page.locator('#shortages-table').waitFor({ timeout: 15_000 });
  await page.locator('#expiring-table').waitFor({ timeout: 15_000 });

  // The shelter, found by name; its popup offers the officer its supply.
  await page.locator('#search').fill(shelter.name);
  await page.locator(`#search-list .hit[data-id="${shelter.id}"] button`).click({ timeout: 15_000 });
  await page.locator('.maplibregl-popup button.supply').click({ timeout: 15_000 });
  await page.locator('#supply-table tbody tr').first().waitFor({ timeout: 15_000 });
  const needs = await page.locator('#needs-form input[data-item]').evaluateAll((inputs) =>
    inputs.map((input) => ({ item: input.dataset.item, quantity: Number(input.value) })),
  );
  assert.ok(needs.some((need) => need.quantity > 0), `the needs are filled in from the shortfall: ${JSON.stringify(needs)}`);

  // Plan: a line from each source, labelled with what it sends.
  await page.locator('#plan-resupply').click();
  await page.locator('#plan-legs tbody tr').first().waitFor({ timeout: 15_000 });
  const planId = await page.locator('.plan-part').getAttribute('data-plan');
  const plan = await api(`plans/${planId}`);
  assert.equal(plan.state, 'proposed');
  assert.equal(await page.locator('#plan-legs tbody tr').count(), plan.dispatches.length);
  const lines = await page.evaluate(() =>
    window.refuge.map.querySourceFeatures('resupply').map((f) => ({ label: f.properties.label, source: f.properties.source })),
  );
  const sources = new Set(plan.dispatches.map((d) => d.from));
  assert.equal(new Set(lines.map((l) => Number(l.source))).size, sources.size, `one line per source: ${JSON.stringify(lines)}`);
  assert.ok(lines.every((l) => /\d/.test(l.label)), `each line is labelled with quantities: ${JSON.stringify(lines)}`);
  await page.screenshot({ path: path.join(OUT, 'logistics-plan.png') });

  // Dispatch, then receive every shipment from the panel.
  const before = await stockAt(shelter.id);
  await page.locator('#plan-dispatch').click();
  await page.locator('.plan-part[data-state="dispatched"]').waitFor({ timeout: 15_000 });
  const receive = page.locator('#road-table button.receive');
  await receive.first().waitFor({ timeout: 15_000 });
  assert.equal(await receive.count(), plan.dispatches.length, 'every leg on the road to the shelter');
  for (let left = plan.dispatches.length; left > 0; left -= 1) {
    await receive.first().click();
    await page.waitForFunction((n) => document.querySelectorAll('#road-table button.receive').length === n, left - 1, { timeout: 15_000 });
  }
  const after = await stockAt(shelter.id);
  const planned = {};
  for (const d of plan.dispatches) planned[d.item] = (planned[d.item] ?? 0) + d.quantity;
  for (const [item, quantity] of Object.entries(planned)) {
    assert.equal(after[item] ?? 0, (before[item] ?? 0) + quantity, `${item}: the shelter holds what was planned`);
  }
  const done = await api(`plans/${planId}`);
  assert.ok(done.dispatches.every((d) => d.progress === 'arrived'), JSON.stringify(done.dispatches));
  await page.screenshot({ path: path.join(OUT, 'logistics-received.png') });
  // The one error the browser reports is the refused sign-in's 401.
  const unexpected = errors.filter((e) => !(e.includes('401') && e.includes('/api/v1/me')));
  assert.deepEqual(unexpected, []);
});
