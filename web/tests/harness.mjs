// What the browser tests share: Debian's Chromium through playwright-core, a page on the map of a
// running Refuge server, and a few questions to the map. Not a test file itself (node --test runs
// only *.test.mjs here).

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-output');
export const TEST_TIMEOUT = 120_000;
const READY_TIMEOUT = 45_000;

export const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
export const PHONE = { viewport: { width: 375, height: 667 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** Debian's Chromium, headless, with nothing running in the background that reaches the network. */
export async function launchChromium() {
  await mkdir(OUT, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Browser helpers for the server at `base` (a URL without a trailing slash), set by the variable
 * `urlVariable`. The browser starts once the server has answered /healthz; any problem fails the
 * calling test.
 */
export function harness(base, urlVariable) {
  let browserPromise = null;

  function browser() {
    browserPromise ??= (async () => {
      let response;
      try {
        response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
      } catch (error) {
        throw new Error(`the Refuge server is not reachable at ${base} (set ${urlVariable}): ${error.message}`);
      }
      assert.equal(response.status, 200, `${base}/healthz answered ${response.status}`);
      return launchChromium();
    })();
    return browserPromise;
  }

  after(async () => {
    if (browserPromise) await (await browserPromise.catch(() => null))?.close();
  });

  /** A fresh page on the map, with console errors and page errors collected in `errors`. */
  async function openMap(t, { device = DESKTOP, locale = 'en-US', context: options = {}, beforeLoad = null } = {}) {
    // The service worker would answer requests before page.route() sees them: the tests of the
    // page block it, and offline.test.mjs tests it on a context of its own.
    const context = await (await browser()).newContext({ serviceWorkers: 'block', ...device, locale, ...options });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url || 'no url'})`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    if (beforeLoad) await beforeLoad(page);
    const response = await page.goto(`${base}/`, { waitUntil: 'load' });
    assert.equal(response.status(), 200, `GET / answered ${response.status()}`);
    try {
      await page.waitForSelector('html[data-ready="true"]', { state: 'attached', timeout: READY_TIMEOUT });
    } catch (error) {
      throw new Error(`the map never became ready: ${error.message}\n${errors.join('\n')}`);
    }
    return { page, errors };
  }

  return { openMap };
}

/**
 * A point in #map (page coordinates) with no clickable facility near it, as close to the centre as
 * can be, and the longitude and latitude under it.
 */
export async function emptyMapPoint(page) {
  const point = await page.evaluate(() => {
    const map = window.refuge.map;
    const layers = map
      .getStyle()
      .layers.filter((layer) => layer.metadata?.['refuge:click'] || layer.id === 'nearest-halo')
      .map((layer) => layer.id);
    const canvas = map.getCanvas();
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const offsets = [[0, 0]];
    for (let r = 12; r < Math.max(w, h) / 2; r += 12) {
      offsets.push([r, 0], [-r, 0], [0, r], [0, -r], [r, r], [-r, -r], [r, -r], [-r, r]);
    }
    for (const [dx, dy] of offsets) {
      const x = Math.round(w / 2 + dx);
      const y = Math.round(h / 2 + dy);
      if (x < 20 || y < 20 || x > w - 60 || y > h - 40) continue;
      const box = [
        [x - 14, y - 14],
        [x + 14, y + 14],
      ];
      if (map.queryRenderedFeatures(box, { layers }).length === 0) return { x, y, lngLat: map.unproject([x, y]).toArray() };
    }
    return null;
  });
  assert.ok(point, 'no empty spot on the map to click');
  const box = await page.locator('#map').boundingBox();
  return { x: box.x + point.x, y: box.y + point.y, lngLat: point.lngLat };
}

/** Distinct colours in the map's WebGL canvas, copied into a 2-D canvas (the map keeps its drawing buffer). */
export function distinctColours(page) {
  return page.evaluate(() => {
    const source = window.refuge.map.getCanvas();
    const copy = document.createElement('canvas');
    copy.width = source.width;
    copy.height = source.height;
    const context = copy.getContext('2d');
    context.drawImage(source, 0, 0);
    const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
    const colours = new Set();
    for (let i = 0; i < pixels.length; i += 4) colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
    return colours.size;
  });
}

/**
 * The legend's swatch colours, as `rgb(r, g, b)`: `status` maps each shelter status name shown in
 * the legend to its swatch; `nearestLine` and `notOpenLine` are the line swatches of the nearest results
 * (null when the legend has none).
 */
export function legendColours(page) {
  return page.evaluate(() => {
    const status = {};
    const heading = [...document.querySelectorAll('#legend h3')][0];
    for (const item of heading.parentElement.querySelectorAll('li')) {
      status[item.textContent.trim()] = getComputedStyle(item.querySelector('.swatch')).backgroundColor;
    }
    const line = (selector) => {
      const swatch = document.querySelector(selector);
      return swatch ? getComputedStyle(swatch).borderTopColor : null;
    };
    return { status, nearestLine: line('#legend .swatch.line:not(.not-open)'), notOpenLine: line('#legend .swatch.line.not-open') };
  });
}

/** `rgba(r,g,b,a)` (MapLibre's colour strings) or `rgb(r, g, b)` (CSS) as `rgb(r, g, b)`, for comparing. */
export function rgb(colour) {
  const [r, g, b] = String(colour).match(/[\d.]+/g).map(Number);
  return `rgb(${r}, ${g}, ${b})`;
}
