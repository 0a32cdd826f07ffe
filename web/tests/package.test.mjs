// An offline map package (`refuge export --format pmtiles`) opened from a plain static server
// (Python's http.server), with no Refuge server: the map draws the base map and the shelters from
// the one archive, a shelter's popup names it, and every request stays in the folder's origin.
// Needs REFUGE_BIN, the refuge binary (scripts/test.sh sets it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DESKTOP, OUT, TEST_TIMEOUT, launchChromium } from './harness.mjs';

const run = promisify(execFile);
const REFUGE_BIN = process.env.REFUGE_BIN;
const PORT = Number(process.env.REFUGE_PACKAGE_PORT || 18197);
const MONACO = '7.40,43.72,7.45,43.76';

/** A static server of `folder` on loopback, stopped when the test ends. */
async function staticServer(t, folder) {
  const server = spawn('python3', ['-m', 'http.server', String(PORT), '--bind', '127.0.0.1', '--directory', folder], {
    stdio: 'ignore',
  });
  t.after(() => server.kill());
  const origin = `http://127.0.0.1:${PORT}`;
  for (let i = 0; i < 100; i += 1) {
    try {
      if ((await fetch(`${origin}/README.txt`)).ok) return origin;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`python3 -m http.server did not answer on ${origin}`);
}

test('an offline package opens from a plain static server and shows the base map and the shelters', { timeout: TEST_TIMEOUT }, async (t) => {
  if (!REFUGE_BIN) {
    t.skip('set REFUGE_BIN to the refuge binary (scripts/test.sh does)');
    return;
  }
  const folder = await mkdtemp(path.join(tmpdir(), 'refuge-package-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const packageDir = path.join(folder, 'monaco');
  await run(REFUGE_BIN, ['export', '--format', 'pmtiles', '--bbox', MONACO, '--minzoom', '12', '--maxzoom', '16', '-o', packageDir]);
  const sheltersFile = path.join(folder, 'shelters.geojson');
  await run(REFUGE_BIN, ['export', '--kind', 'shelter', '-o', sheltersFile]);
  const shelters = JSON.parse(await readFile(sheltersFile, 'utf8')).features.filter(({ geometry: { coordinates: [lon, lat] } }) => {
    const [w, s, e, n] = MONACO.split(',').map(Number);
    return lon > w && lon < e && lat > s && lat < n;
  });
  assert.ok(shelters.length > 10, `the demo city has shelters in Monaco (${shelters.length})`);

  const origin = await staticServer(t, packageDir);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ ...DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  const errors = [];
  const elsewhere = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) elsewhere.push(url);
  });
  await page.goto(`${origin}/`, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: 45_000 }).catch((error) => {
    throw new Error(`the package's map never became ready: ${error.message}\n${errors.join('\n')}`);
  });
  assert.match(await page.locator('#about').textContent(), /data as of .+ \(version \d+\)/);
  const legend = await page.locator('#legend').textContent();
  for (const entry of ['open 开放', 'standby 待命', 'district 区级', 'major 重大']) {
    assert.ok(legend.includes(entry), `the legend has “${entry}”: ${legend}`);
  }

  // Every shelter of the area is in the archive, at its place, at the highest zoom.
  const shelter = shelters[0];
  const [lon, lat] = shelter.geometry.coordinates;
  const drawn = await page.evaluate(async ([lon, lat]) => {
    const map = window.refugeMap;
    map.jumpTo({ center: [lon, lat], zoom: 16 });
    await new Promise((resolve) => map.once('idle', resolve));
    const point = map.project([lon, lat]);
    const near = [[point.x - 6, point.y - 6], [point.x + 6, point.y + 6]];
    return {
      here: map.queryRenderedFeatures(near, { layers: ['shelters'] }).map((f) => f.id),
      shelters: map.querySourceFeatures('refuge', { sourceLayer: 'shelters' }).length,
      roads: map.querySourceFeatures('refuge', { sourceLayer: 'roads' }).length,
      buildings: map.querySourceFeatures('refuge', { sourceLayer: 'buildings' }).length,
      x: point.x,
      y: point.y,
    };
  }, [lon, lat]);
  assert.ok(drawn.here.includes(shelter.id), `shelter ${shelter.id} is drawn at its place: ${JSON.stringify(drawn)}`);
  assert.ok(drawn.roads > 0 && drawn.buildings > 0, `the base map is drawn: ${JSON.stringify(drawn)}`);

  // Its popup names it.
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + drawn.x, box.y + drawn.y);
  const popup = page.locator('.maplibregl-popup .popup');
  await popup.waitFor({ timeout: 5_000 });
  assert.match(await popup.textContent(), new RegExp(shelter.properties.name.en.replace(/[()]/g, '\\$&')));
  await page.screenshot({ path: path.join(OUT, 'package-monaco.png') });

  assert.deepEqual(elsewhere, [], 'the package asks nothing of any other server');
  assert.deepEqual(errors, []);
});
