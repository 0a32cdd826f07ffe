// The printable community map: `refuge print` makes an A4 PDF with the legend, the nearest
// shelters on foot and a QR code that a reader decodes to the live map at the chosen place; the
// page's print view lays out A4 and A3, portrait and landscape, each on one sheet of its size.
// Needs REFUGE_BIN (the refuge binary) and poppler's pdftotext, pdftoppm and pdfinfo.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import jsQR from 'jsqr';
import { DESKTOP, OUT, TEST_TIMEOUT, harness } from './harness.mjs';

const run = promisify(execFile);
const REFUGE_BIN = process.env.REFUGE_BIN;
const BASE = (process.env.REFUGE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const { openMap } = harness(BASE, 'REFUGE_URL');
const AREA = '7.405,43.723,7.44,43.752';
const AT = [7.4246, 43.7384];

/** The first page of a PDF as grey pixels (pdftoppm's PGM), made RGBA for the QR reader. */
async function rasterise(pdf, folder) {
  await run('pdftoppm', ['-r', '200', '-gray', '-singlefile', pdf, path.join(folder, 'page')]);
  const pgm = await readFile(path.join(folder, 'page.pgm'));
  const header = pgm.toString('latin1', 0, 64).match(/^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/);
  const [, width, height] = header.map(Number);
  const grey = pgm.subarray(header[0].length);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i += 1) {
    rgba.set([grey[i], grey[i], grey[i], 255], i * 4);
  }
  return { rgba, width, height };
}

/** The page size of a PDF in points, from pdfinfo. */
async function pageSize(pdf) {
  const { stdout } = await run('pdfinfo', [pdf]);
  const [, w, h] = stdout.match(/Page size:\s+([\d.]+) x ([\d.]+) pts/);
  const pages = Number(stdout.match(/Pages:\s+(\d+)/)[1]);
  return { width: Math.round(Number(w)), height: Math.round(Number(h)), pages };
}

test('refuge print makes an A4 PDF with the legend, the nearest shelters on foot and a QR code of the live map there', { timeout: TEST_TIMEOUT }, async (t) => {
  if (!REFUGE_BIN) {
    t.skip('set REFUGE_BIN to the refuge binary (scripts/test.sh does)');
    return;
  }
  const folder = await mkdtemp(path.join(tmpdir(), 'refuge-print-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const pdf = path.join(folder, 'map.pdf');
  await run(REFUGE_BIN, ['print', '--bbox', AREA, '--at', AT.join(','), '--lang', 'en', '-o', pdf], { timeout: 200_000 });
  assert.deepEqual(await pageSize(pdf), { width: 595, height: 842, pages: 1 }, 'one A4 portrait sheet');

  const { stdout: text } = await run('pdftotext', ['-layout', pdf, '-']);
  for (const heading of ['Community emergency map', 'Nearest shelters with room', 'Shelters by status', 'Reserve depots by tier', 'Hazards by risk']) {
    assert.ok(text.includes(heading), `the sheet says “${heading}”:\n${text}`);
  }
  assert.match(text, /data version \d+/);
  // Five shelters, each with its distance on foot.
  assert.ok(text.includes('Distances on foot along the streets'), text);
  const rows = text.split('\n').filter((line) => /^\s+\S.*?\s{2,}\d[\d,.]* k?m(\s|$)/.test(line));
  assert.equal(rows.length, 5, `five nearest shelters with their distances:\n${text}`);
  assert.match(text, /500 m|1 km|200 m|300 m/, 'a scale bar');

  const { rgba, width, height } = await rasterise(pdf, folder);
  const code = jsQR(rgba, width, height);
  assert.ok(code, 'a QR code is readable on the printed sheet');
  const target = new URL(code.data);
  assert.equal(target.pathname + target.search, `/?at=${AT[0].toFixed(5)},${AT[1].toFixed(5)}`);
});

test('refuge print of a community by name is titled with it, on the paper asked for; an unknown one is named with those there are', { timeout: TEST_TIMEOUT }, async (t) => {
  if (!REFUGE_BIN) {
    t.skip('set REFUGE_BIN to the refuge binary (scripts/test.sh does)');
    return;
  }
  const folder = await mkdtemp(path.join(tmpdir(), 'refuge-print-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const pdf = path.join(folder, 'monte-carlo.pdf');
  await run(REFUGE_BIN, ['print', '--community', 'Monte-Carlo', '--paper', 'a3', '--landscape', '-o', pdf], { timeout: 200_000 });
  assert.deepEqual(await pageSize(pdf), { width: 1191, height: 842, pages: 1 }, 'one A3 landscape sheet');
  const { stdout: text } = await run('pdftotext', [pdf, '-']);
  assert.ok(text.includes('Monte-Carlo') && text.includes('最近的有空位避难场所'), text);
  const refused = await run(REFUGE_BIN, ['print', '--community', 'Atlantis', '-o', path.join(folder, 'x.pdf')]).then(
    () => null,
    (error) => error.stderr,
  );
  assert.match(refused, /no area called `Atlantis` in the base map; it has: .*Monte-Carlo/);
});

test('the QR code opens the live map at its place with the nearest shelters', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, errors } = await openMap(t);
  await page.goto(`${BASE}/?at=${AT[0].toFixed(5)},${AT[1].toFixed(5)}`, { waitUntil: 'load' });
  await page.waitForSelector('#results li.result', { timeout: 30_000 });
  const centre = await page.evaluate(() => window.refuge.map.getCenter().toArray());
  assert.ok(Math.abs(centre[0] - AT[0]) < 0.01 && Math.abs(centre[1] - AT[1]) < 0.01, `the map shows the place: ${centre}`);
  assert.deepEqual(errors, []);
});

test('the print view lays out A4 and A3, portrait and landscape, each on one sheet', { timeout: TEST_TIMEOUT * 2 }, async (t) => {
  const folder = await mkdtemp(path.join(tmpdir(), 'refuge-sheets-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const sizes = { 'a4-portrait': [595, 842], 'a4-landscape': [842, 595], 'a3-portrait': [842, 1191], 'a3-landscape': [1191, 842] };
  for (const [sheet, [width, height]] of Object.entries(sizes)) {
    const { page, errors } = await openMap(t, { device: DESKTOP });
    await page.goto(`${BASE}/?print=${sheet}&bbox=${AREA}&at=${AT.join(',')}&lang=zh`, { waitUntil: 'load' });
    await page.waitForSelector('html[data-print-ready="true"]', { state: 'attached', timeout: 45_000 });
    assert.equal(await page.locator('#print-title').textContent(), '社区应急避难地图');
    assert.equal(await page.locator('#results li.result').count(), 5, `${sheet}: the nearest shelters`);
    assert.ok(await page.locator('#legend').isVisible(), `${sheet}: the legend`);
    assert.ok(await page.locator('#north').isVisible(), `${sheet}: the north arrow`);
    assert.ok(await page.locator('.maplibregl-ctrl-scale').isVisible(), `${sheet}: the scale bar`);
    const shown = await page.evaluate(() => window.refuge.map.getBounds().toArray().flat());
    const [w, s, e, n] = AREA.split(',').map(Number);
    assert.ok(shown[0] <= w && shown[1] <= s && shown[2] >= e && shown[3] >= n, `${sheet}: the whole area is on the sheet: ${shown}`);
    const areaShare = ((e - w) * (n - s)) / ((shown[2] - shown[0]) * (shown[3] - shown[1]));
    assert.ok(areaShare > 0.3, `${sheet}: the area fills the map (${areaShare.toFixed(2)} of it)`);
    assert.equal(await page.evaluate(() => localStorage.getItem('refuge.last-nearest')), null, `${sheet}: the sheet leaves the device's last point alone`);
    // Nothing of the sheet runs past its paper.
    const overflow = await page.evaluate(() => {
      const sheetBox = document.body.getBoundingClientRect();
      return [...document.querySelectorAll('#print-head, #map-wrap, #panel, #nearest, #legend-box, #print-foot')].some((node) => {
        const box = node.getBoundingClientRect();
        return box.right > sheetBox.right + 1 || box.bottom > sheetBox.bottom + 1;
      });
    });
    assert.equal(overflow, false, `${sheet}: everything on the sheet`);
    const pdf = path.join(folder, `${sheet}.pdf`);
    await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
    assert.deepEqual(await pageSize(pdf), { width, height, pages: 1 }, sheet);
    if (sheet === 'a3-landscape') await page.screenshot({ path: path.join(OUT, 'print-a3-landscape.png'), fullPage: true });
    assert.deepEqual(errors, []);
  }
});
