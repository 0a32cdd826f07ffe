// The printable community map (社区应急避难地图) for notice boards: the page as one sheet of A4 or
// A3, portrait or landscape (`/?print=a4-portrait&bbox=W,S,E,N&at=LON,LAT&title=…`). The sheet has
// the area's shelters, reserves and hazards, the legend, a scale bar and a north arrow, the
// nearest shelters from the chosen point with their distances on foot, the date, the data version,
// and a QR code that opens the live map at that place. `refuge print` makes the same sheet as a
// PDF with headless Chromium. The page is ready to print when `html[data-print-ready="true"]`.

import qrcode from '/vendor/qrcode-generator/qrcode.mjs';
import { $, el } from './dom.js';
import { formatTime, t } from './i18n.js';

/** Paper sizes in millimetres (portrait), and the margin printed around the sheet. */
const PAPER = { a4: [210, 297], a3: [297, 420] };
const MARGIN_MM = 8;
export const SHEETS = ['a4-portrait', 'a4-landscape', 'a3-portrait', 'a3-landscape'];

/** The sheet asked for in the page's address, or null for the interactive map. */
export function printRequest(search = window.location.search) {
  const query = new URLSearchParams(search);
  const sheet = query.get('print');
  if (!sheet) return null;
  const [paper, orientation] = SHEETS.includes(sheet) ? sheet.split('-') : ['a4', 'portrait'];
  return {
    sheet: `${paper}-${orientation}`,
    paper,
    orientation,
    bounds: numbers(query.get('bbox'), 4, ([w, s, e, n]) => w < e && s < n && s >= -85 && n <= 85 && w >= -180 && e <= 180),
    at: numbers(query.get('at'), 2, ([lon, lat]) => Math.abs(lon) <= 180 && Math.abs(lat) <= 85),
    title: (query.get('title') ?? '').slice(0, 120),
  };
}

/** `count` comma-separated finite numbers that pass `valid`, or null. */
function numbers(text, count, valid) {
  const values = String(text ?? '').split(',').map(Number);
  return values.length === count && values.every(Number.isFinite) && valid(values) ? values : null;
}

/** The place the address asks the live map to show (`?at=LON,LAT`, what the QR code opens), or null. */
export function requestedPlace(search = window.location.search) {
  return numbers(new URLSearchParams(search).get('at'), 2, ([lon, lat]) => Math.abs(lon) <= 180 && Math.abs(lat) <= 85);
}

/** The live map at a place: what the QR code opens. */
export function liveMapUrl([lon, lat]) {
  return `${window.location.origin}/?at=${lon.toFixed(5)},${lat.toFixed(5)}`;
}

/** The print view of the map as it is now (its area, and the point chosen, if any). */
export function printUrl(map, origin, sheet = 'a4-portrait') {
  const b = map.getBounds();
  const query = new URLSearchParams({
    print: sheet,
    bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(','),
  });
  if (origin) query.set('at', origin.map((v) => v.toFixed(5)).join(','));
  return `/?${query}`;
}

/** Turns the page into the sheet: its size on screen and on paper, its head and foot. */
export function startPrint(request) {
  const [short, long] = PAPER[request.paper];
  const [width, height] = request.orientation === 'portrait' ? [short, long] : [long, short];
  const root = document.documentElement;
  root.dataset.print = request.sheet;
  root.style.setProperty('--sheet-width', `${width - 2 * MARGIN_MM}mm`);
  root.style.setProperty('--sheet-height', `${height - 2 * MARGIN_MM}mm`);
  const page = document.createElement('style');
  page.textContent = `@page { size: ${request.paper.toUpperCase()} ${request.orientation}; margin: ${MARGIN_MM}mm; }`;
  document.head.append(page);
  $('#print-head').hidden = false;
  $('#print-foot').hidden = false;
  $('#north').hidden = false;
  $('#legend-box').open = true;
  const choice = $('#print-sheet');
  choice.value = request.sheet;
  choice.addEventListener('change', () => {
    const query = new URLSearchParams(window.location.search);
    query.set('print', choice.value);
    window.location.search = query.toString();
  });
  $('#print-now').addEventListener('click', () => window.print());
  renderPrint(request);
}

/** The sheet's texts and QR code, in the page's language; `version` once it is known. */
export function renderPrint(request, version = renderPrint.version) {
  renderPrint.version = version;
  if (!request) return;
  $('#print-title').textContent = request.title || t('print.title');
  $('#print-sheet-label').textContent = t('print.sheet');
  for (const option of $('#print-sheet').options) option.textContent = t(`print.sheets.${option.value}`);
  $('#print-now').textContent = t('print.print');
  const at = request.at ?? centre(request.bounds);
  $('#print-dated').textContent = t('print.dated', {
    date: formatTime(new Date().toISOString()),
    version: version ?? '?',
  });
  const target = at ? liveMapUrl(at) : window.location.origin;
  $('#print-qr-label').textContent = t('print.qr');
  $('#print-url').textContent = target;
  const code = qrcode(0, 'M');
  code.addData(target);
  code.make();
  $('#print-qr').replaceChildren(qrImage(code));
}

/** The QR code as an image of crisp black modules (an SVG data URL: no inline markup). */
function qrImage(code) {
  const svg = code.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
  return el('img', {
    src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`,
    alt: t('print.qrAlt'),
    width: 112,
    height: 112,
  });
}

function centre(bounds) {
  return bounds ? [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2] : null;
}

/** The point whose nearest shelters the sheet lists: the one asked for, else the area's centre. */
export function printPoint(request) {
  return request.at ?? centre(request.bounds);
}

/** Marks the sheet ready to print (what `refuge print` and the tests wait for). */
export function printReady() {
  document.documentElement.dataset.printReady = 'true';
}
