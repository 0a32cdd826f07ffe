// Browser tests of the community map against a running Refuge server:
//   REFUGE_URL=http://127.0.0.1:8080 node --test tests/
// They drive Debian's Chromium through playwright-core and fail (never skip) when the server is down.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { harness, emptyMapPoint, distinctColours, legendColours, rgb, OUT, PHONE, TEST_TIMEOUT } from './harness.mjs';

const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CJK = /[\u3400-\u9fff]/;
const DISTANCE = /^\d[\d,.]*\s?(m|km|米|公里)$/;

const { openMap } = harness(BASE, 'REFUGE_URL');

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
  assert.equal(await page.locator('#results .result.not-open').count(), 0, 'shelters with room are not marked as not open');
  assert.equal(await page.locator('#nearest-note').isVisible(), false);
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

test("with the store out of reach, a shelter's popup shows what the list holds of it and why no more", { timeout: TEST_TIMEOUT }, async (t) => {
  const { page } = await openMap(t);
  // The server keeps a brief of each shelter; its whole record is the store's. Answer the details
  // as a server whose store is down does.
  await page.route(/\/api\/v1\/facilities\/\d+(\?.*)?$/, (route) =>
    route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'store_unavailable', message: 'the store cannot be reached now, and it keeps this facility\'s whole record' } }),
    }),
  );
  const at = await emptyMapPoint(page);
  await page.mouse.click(at.x, at.y);
  const rows = page.locator('#results .result');
  await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
  const name = (await rows.first().locator('.name').textContent()).trim();
  await rows.first().click();
  const popup = page.locator('.maplibregl-popup .facility');
  await popup.locator('p.error').waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal((await popup.locator('h3').textContent()).trim(), name);
  assert.match(await popup.locator('p.error').textContent(), /store cannot be reached/);
  assert.ok((await popup.locator('dl dt').count()) > 0, 'the summary the list holds is shown');
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

/** The nearest-line colours drawn on the map for the current results, as `rgb(…)`. */
function drawnLineColours(page) {
  return page.evaluate(() =>
    [...new Set(window.refuge.map.queryRenderedFeatures({ layers: ['nearest-lines'] }).map((f) => f.layer.paint['line-color'].toString()))],
  );
}

test('with no open shelter with room near, the nearest are listed as not open and the panel says why', { timeout: TEST_TIMEOUT }, async (t) => {
  // The demo city has open shelters with room, so the server's answers are changed on their way in:
  // none has room, and the nearest regardless of room are on standby, closed or full.
  const statuses = ['standby', 'closed', 'standby', 'full', 'closed'];
  const asked = [];
  const { page, errors } = await openMap(t, {
    beforeLoad: (page) =>
      page.route('**/api/v1/nearest?*', async (route) => {
        const url = new URL(route.request().url());
        asked.push(url.searchParams);
        if (url.searchParams.get('has_room') === 'true') {
          return route.fulfill({ json: { type: 'FeatureCollection', features: [] } });
        }
        const answer = await (await route.fetch()).json();
        answer.features.forEach((feature, i) => {
          feature.properties.status = statuses[i % statuses.length];
          if (i === 0) feature.properties.room = 'unknown';
        });
        return route.fulfill({ json: answer });
      }),
  });
  const at = await emptyMapPoint(page);
  await page.mouse.click(at.x, at.y);
  const rows = page.locator('#results .result');
  await rows.first().waitFor({ state: 'visible', timeout: 15_000 });

  assert.equal(asked.length, 2, 'asked once with has_room, then once without');
  assert.equal(asked[0].get('has_room'), 'true');
  assert.equal(asked[1].get('has_room'), null);
  assert.equal(asked[1].get('k'), asked[0].get('k'));

  assert.equal(await rows.count(), 5);
  assert.equal(await page.locator('#results .result.not-open').count(), 5, 'every row is marked as not open');
  const badges = (await page.locator('#results .result .badge').allTextContents()).map((s) => s.trim());
  assert.deepEqual(badges, ['Standby', 'Closed', 'Standby', 'Full', 'Closed']);
  assert.match(await rows.first().locator('.free').textContent(), /Capacity unknown/);
  assert.doesNotMatch(await rows.first().locator('.free').textContent(), /\d/, 'no free-places figure when the capacity is unknown');
  const reason = 'No shelter here is open with free places (Standby: 2, Closed: 2, Full: 1).';
  assert.equal((await page.locator('#nearest-note').textContent()).trim(), reason);
  assert.equal((await page.locator('#status').textContent()).trim(), reason);
  assert.notEqual((await page.locator('#nearest-title').textContent()).trim(), 'Nearest shelters with room');

  // On the map the lines to them have the legend's not-open look, not the look of shelters with room.
  await page.waitForFunction(() => window.refuge.map.queryRenderedFeatures({ layers: ['nearest-lines'] }).length > 0);
  const legend = await legendColours(page);
  assert.notEqual(legend.notOpenLine, legend.nearestLine);
  assert.deepEqual((await drawnLineColours(page)).map(rgb), [legend.notOpenLine]);
  await page.screenshot({ path: path.join(OUT, 'nearest-not-open.png') });

  await page.locator('#lang').click();
  assert.equal((await page.locator('#nearest-note').textContent()).trim(), '附近没有开放且有空位的避难场所（待命 2 个、关闭 2 个、已满 1 个）。');
  assert.match(await rows.first().locator('.free').textContent(), /容量未知/);
  assert.deepEqual(errors, []);
});

test('groups of shelters at low zoom have the legend colour of the status they share', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  await page.evaluate(() => window.refuge.map.jumpTo({ zoom: 11 }));
  await page.waitForFunction(() => window.refuge.map.loaded() && window.refuge.map.queryRenderedFeatures({ layers: ['shelters-cluster'] }).length > 0, null, { timeout: 15_000 });
  const groups = await page.evaluate(() =>
    window.refuge.map
      .queryRenderedFeatures({ layers: ['shelters-cluster'] })
      .map((f) => ({ status: f.properties.status, count: f.properties.point_count, colour: f.layer.paint['circle-color'].toString() })),
  );
  const legend = await legendColours(page);
  const statusName = { open: 'Open', full: 'Full', standby: 'Standby', closed: 'Closed', damaged: 'Damaged' };
  for (const group of groups) {
    assert.ok(group.count > 1, `a group counts its members: ${JSON.stringify(group)}`);
    assert.ok(statusName[group.status], `the demo city's groups share one status: ${JSON.stringify(group)}`);
    assert.equal(rgb(group.colour), legend.status[statusName[group.status]], `group ${JSON.stringify(group)}`);
  }
  const items = (await page.locator('#legend li').allTextContents()).map((s) => s.trim());
  assert.ok(items.includes('Mixed: some open, some not'), `the legend explains mixed groups: ${items.join(' | ')}`);
  await page.locator('#lang').click();
  assert.ok((await page.locator('#legend li').allTextContents()).some((s) => s.trim() === '混合：部分开放'));
  assert.deepEqual(errors, []);
});

test('the map credits exactly the sources its TileJSON documents name', { timeout: TEST_TIMEOUT }, async (t) => {
  const credit = { base: 'Base test credit', facilities: 'Facilities test credit' };
  const { page, errors } = await openMap(t, {
    beforeLoad: (page) =>
      page.route(/\/tiles\/(base|facilities)\.json/, async (route) => {
        const name = new URL(route.request().url()).pathname.match(/(base|facilities)\.json$/)[1];
        const tilejson = await (await route.fetch()).json();
        return route.fulfill({ json: { ...tilejson, attribution: credit[name] } });
      }),
  });
  const attribution = page.locator('.maplibregl-ctrl-attrib-inner');
  await page.waitForFunction(() => document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent.includes('test credit'));
  const text = await attribution.textContent();
  assert.match(text, /Base test credit/);
  assert.match(text, /Facilities test credit/);
  assert.doesNotMatch(text, /OpenStreetMap/, `the page adds a credit of its own: ${text}`);
  assert.deepEqual(errors, []);
});
