// The map over thin real data: Beijing's designated shelters imported with no status, so every one
// is on standby and none has a known capacity. Runs against its own server:
//   REFUGE_THIN_URL=http://127.0.0.1:8081 node --test tests/
// (a server seeded with `refuge import …/shelters-beijing-gcj02.csv --crs gcj02 --kind shelter`),
// and is skipped with a message when REFUGE_THIN_URL is not set.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { harness, emptyMapPoint, legendColours, rgb, OUT, PHONE, TEST_TIMEOUT } from './harness.mjs';

const BASE = process.env.REFUGE_THIN_URL?.replace(/\/+$/, '');
const skip = BASE ? false : 'REFUGE_THIN_URL is not set: no server with the thin Beijing data to test against';
const { openMap } = harness(BASE, 'REFUGE_THIN_URL');

const NONE_OPEN = 'Shelters here are on standby; none is open.';
const NONE_OPEN_ZH = '附近的避难场所处于待命状态，尚未开放。';

async function json(pathAndQuery) {
  const response = await fetch(BASE + pathAndQuery);
  assert.equal(response.status, 200, `${pathAndQuery} answered ${response.status}`);
  return response.json();
}

/** The server's nearest shelters to [lon, lat], as the page asks for them. */
function nearest([lon, lat], hasRoom) {
  const query = new URLSearchParams({ lon: lon.toFixed(6), lat: lat.toFixed(6), kind: 'shelter', k: '5' });
  if (hasRoom) query.set('has_room', 'true');
  return json(`/api/v1/nearest?${query}`);
}

for (const [device, name] of [
  [undefined, 'desktop'],
  [PHONE, 'phone'],
]) {
  test(`${name}: clicking the map over Beijing lists the nearest standby shelters and says none is open`, { skip, timeout: TEST_TIMEOUT }, async (t) => {
    const { page, errors } = await openMap(t, device ? { device } : {});
    const at = await emptyMapPoint(page);
    const withRoom = await nearest(at.lngLat, true);
    assert.equal(withRoom.features.length, 0, 'the thin data should have no open shelter with room');
    const designated = await nearest(at.lngLat, false);
    assert.equal(designated.features.length, 5);
    assert.ok(designated.features.every((f) => f.properties.status === 'standby'), 'every Beijing shelter is on standby');

    if (device) await page.touchscreen.tap(at.x, at.y);
    else await page.mouse.click(at.x, at.y);
    const rows = page.locator('#results .result');
    await rows.first().waitFor({ state: 'visible', timeout: 15_000 });

    const names = (await rows.locator('.name').allTextContents()).map((s) => s.trim());
    assert.deepEqual(names, designated.features.map((f) => f.properties.name.en ?? f.properties.name.zh));
    assert.equal(await page.locator('#results .result.not-open').count(), 5, 'every row is marked as not open');
    const badges = (await rows.locator('.badge').allTextContents()).map((s) => s.trim());
    assert.deepEqual(badges, Array(5).fill('Standby'));
    const free = await rows.locator('.free').allTextContents();
    designated.features.forEach((feature, i) => {
      if (feature.properties.room === 'unknown') assert.match(free[i], /Capacity unknown/);
    });
    const note = page.locator('#nearest-note');
    assert.equal(await note.isVisible(), true, 'the reason stays in the panel');
    assert.equal((await note.textContent()).trim(), NONE_OPEN);
    assert.equal((await page.locator('#status').textContent()).trim(), NONE_OPEN);

    // The results are drawn with the legend's not-open look.
    await page.waitForFunction(() => window.refuge.map.queryRenderedFeatures({ layers: ['nearest-lines'] }).length > 0);
    const drawn = await page.evaluate(() => [
      ...new Set(window.refuge.map.queryRenderedFeatures({ layers: ['nearest-lines'] }).map((f) => f.layer.paint['line-color'].toString())),
    ]);
    const legend = await legendColours(page);
    assert.deepEqual(drawn.map(rgb), [legend.notOpenLine]);
    await page.screenshot({ path: path.join(OUT, `thin-nearest-${name}.png`) });

    await page.locator('#lang').click();
    assert.equal((await note.textContent()).trim(), NONE_OPEN_ZH);
    assert.deepEqual((await rows.locator('.badge').allTextContents()).map((s) => s.trim()), Array(5).fill('待命'));
    assert.deepEqual(errors, []);
  });
}

test('a low-zoom group of Beijing shelters is drawn in the standby colour, not the open colour', { skip, timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  await page.evaluate(() => window.refuge.map.jumpTo({ center: [116.4, 39.9], zoom: 10 }));
  await page.waitForFunction(
    () => window.refuge.map.loaded() && window.refuge.map.queryRenderedFeatures({ layers: ['shelters-cluster'] }).length > 0,
    null,
    { timeout: 15_000 },
  );
  await page.screenshot({ path: path.join(OUT, 'thin-groups.png') });
  const groups = await page.evaluate(() =>
    window.refuge.map.queryRenderedFeatures({ layers: ['shelters-cluster'] }).map((f) => ({
      status: f.properties.status,
      count: f.properties.point_count,
      colour: f.layer.paint['circle-color'].toString(),
    })),
  );
  const legend = await legendColours(page);
  assert.notEqual(legend.status.Standby, legend.status.Open);
  for (const group of groups) {
    assert.ok(group.count > 1, JSON.stringify(group));
    assert.equal(group.status, 'standby', `every group of Beijing shelters is on standby: ${JSON.stringify(group)}`);
    assert.equal(rgb(group.colour), legend.status.Standby, `a standby group has the legend's standby colour: ${JSON.stringify(group)}`);
  }

  // The layer's colour expression itself maps standby to the single shelters' standby colour.
  const [groupExpression, singleExpression] = await page.evaluate(() =>
    ['shelters-cluster', 'shelters'].map((id) => window.refuge.map.getPaintProperty(id, 'circle-color')),
  );
  assert.equal(groupExpression[0], 'match');
  assert.deepEqual(groupExpression[1], ['get', 'status']);
  assert.equal(matchOutput(groupExpression, 'standby'), matchOutput(singleExpression, 'standby'));
  assert.notEqual(matchOutput(groupExpression, 'standby'), matchOutput(singleExpression, 'open'));
  assert.deepEqual(errors, []);
});

test("the map's credits are the TileJSON documents' and name OpenStreetMap only if they do", { skip, timeout: TEST_TIMEOUT }, async (t) => {
  const credits = (await Promise.all(['base', 'facilities'].map((name) => json(`/tiles/${name}.json`))))
    .map((tilejson) => tilejson.attribution)
    .filter(Boolean);
  const { page, errors } = await openMap(t);
  await page.waitForFunction(() => document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent.trim());
  const text = await page.locator('.maplibregl-ctrl-attrib-inner').textContent();
  for (const credit of credits) assert.ok(text.includes(plainText(credit)), `the credit "${credit}" is missing from "${text}"`);
  if (!credits.some((credit) => /OpenStreetMap/i.test(credit))) {
    assert.doesNotMatch(text, /OpenStreetMap/i, 'no OpenStreetMap data is on the map, yet it is credited');
  }
  assert.deepEqual(errors, []);
});

/** The output of a `match` expression for one input value. */
function matchOutput(expression, value) {
  for (let i = 2; i + 1 < expression.length; i += 2) {
    const labels = Array.isArray(expression[i]) ? expression[i] : [expression[i]];
    if (labels.includes(value)) return expression[i + 1];
  }
  return expression[expression.length - 1];
}

/** An attribution's text as the control shows it (attributions may hold HTML links). */
function plainText(html) {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&copy;/g, '©')
    .replace(/&amp;/g, '&')
    .trim();
}
