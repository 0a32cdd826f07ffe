// Refuge community emergency-facility map: the page's entry module. MapLibre GL is loaded before it
// as the global `maplibregl` (/vendor/maplibre-gl/); the modules in js/ do the work, and this one
// wires them to the page, switches the language and starts the map. Every interface string lives
// in js/strings.js.

import { tileJson } from './js/api.js';
import { $, showStatus } from './js/dom.js';
import { applyStaticStrings, chooseLanguage, lang, t } from './js/i18n.js';
import { applyGroupVisibility, renderLayerToggles, renderLegend } from './js/layers.js';
import { listenForChanges, reloadData } from './js/live.js';
import { addLogisticsLayers, renderLogistics, wireLogistics } from './js/logistics.js';
import { applyMapLanguage, createMap, featuresAt, focusOn, localizeControls, map } from './js/map.js';
import {
  addNearestLayers,
  chooseResult,
  clearNearest,
  drawNearest,
  locateMe,
  nearestOnFoot,
  nearestOrigin,
  nearestProblem,
  renderHazardChoice,
  renderResults,
  restoreNearest,
  resultById,
  runNearest,
  wireHazard,
} from './js/nearest.js';
import { keepArea, renderOffline, startOffline } from './js/offline.js';
import { printPoint, printReady, printRequest, printUrl, renderPrint, requestedPlace, startPrint } from './js/print.js';
import { addPlanningLayers, renderPlanning, wirePlanning } from './js/planning.js';
import { closePopup, openFacility, renderPopup, wirePopupKeys } from './js/popups.js';
import { renderSearchList, wireSearch } from './js/search.js';
import { renderStaff, wireStaff } from './js/staff.js';

/** The style has loaded: its label layers can be put in another language. */
let styleReady = false;
/** The printed sheet asked for (`?print=`), or null for the interactive map. */
const printing = printRequest();

/** Switches the page to `next` ('zh' or 'en'): every text on it, the map's labels too. */
function setLanguage(next) {
  if (!chooseLanguage(next)) return;
  applyStaticStrings();
  renderLayerToggles();
  renderLegend();
  renderHazardChoice();
  renderResults();
  renderSearchList();
  renderPopup();
  renderLogistics();
  renderPlanning();
  renderStaff();
  renderOffline();
  renderPrint(printing);
  if (map) {
    localizeControls();
    if (styleReady) applyMapLanguage();
  }
}

function wireInterface() {
  $('#lang').addEventListener('click', () => setLanguage(lang === 'zh' ? 'en' : 'zh'));
  $('#locate').addEventListener('click', locateMe);
  $('#clear').addEventListener('click', clearNearest);
  $('#print').addEventListener('click', () => window.open(printUrl(map, nearestOrigin()), '_blank', 'noopener'));
  wireSearch();
  wirePopupKeys();
  wireLogistics();
  wirePlanning();
  wireStaff();
  wireHazard();
  if (window.matchMedia('(min-width: 768px)').matches) {
    $('#layers-box').open = true;
    $('#legend-box').open = true;
  }
}

/** A click on the map: a group zooms in, a nearest result is chosen, a facility opens its popup,
 *  and an empty spot asks for the shelters nearest to it. */
function onMapClick(event) {
  const features = featuresAt(event.point);
  const feature = features[0];
  if (!feature) {
    closePopup();
    runNearest(event.lngLat.lng, event.lngLat.lat);
    return;
  }
  const props = feature.properties ?? {};
  const at = feature.geometry?.type === 'Point' ? feature.geometry.coordinates : [event.lngLat.lng, event.lngLat.lat];
  if (Number(props.point_count) > 1) {
    map.easeTo({ center: at, zoom: Math.min(map.getZoom() + 2, map.getMaxZoom()) });
    return;
  }
  const id = props.id ?? feature.id;
  if (feature.layer.id === 'nearest-halo') {
    const result = resultById(id);
    if (result) {
      chooseResult(result);
      return;
    }
  }
  focusOn(at, false);
  openFacility(id, at, feature);
}

/** The sheet: the nearest shelters from its point, drawn, then marked ready to print. */
async function preparePrint() {
  let version = null;
  try {
    version = String((await tileJson('facilities')).tiles?.[0] ?? '').match(/[?&]v=(\d+)/)?.[1] ?? null;
  } catch {
    version = null;
  }
  renderPrint(printing, version);
  const at = printPoint(printing);
  if (at) {
    await runNearest(at[0], at[1], { fit: false, remember: false });
    // A sheet without its list would mislead: no sheet rather.
    const problem = nearestProblem();
    if (problem) throw new Error(problem);
    // Where no streets are known, the distances are straight lines, and the sheet says so.
    const note = $('#print-walk-note');
    note.dataset.i18n = nearestOnFoot() ? 'print.onFoot' : 'print.straight';
    note.textContent = t(note.dataset.i18n);
  }
  // The list and legend have taken their room on the sheet: the area is fitted to what is left.
  map.resize();
  if (printing.bounds) map.fitBounds([printing.bounds.slice(0, 2), printing.bounds.slice(2)], { padding: 8, animate: false });
  await new Promise((resolve) => {
    map.once('idle', resolve);
    map.triggerRepaint();
  });
  printReady();
}

/** What the map shows first once drawn: a sheet's nearest shelters, the place the address names,
 *  the point chosen last on this device, or else the area in view, kept for offline use. */
function firstView() {
  if (printing) {
    preparePrint().catch((error) => {
      showStatus(error.message, 'error');
      document.documentElement.dataset.printReady = 'failed';
    });
    return;
  }
  const place = requestedPlace();
  if (place) {
    map.jumpTo({ center: place, zoom: Math.max(map.getZoom(), 16) });
    runNearest(place[0], place[1]);
  } else if (!restoreNearest()) {
    keepArea(...map.getCenter().toArray()).catch(() => {});
  }
}

async function main() {
  if (printing) startPrint(printing);
  else startOffline(() => map && reloadData(map));
  applyStaticStrings();
  wireInterface();
  renderLayerToggles();
  renderResults();

  await createMap(printing ? { bounds: printing.bounds } : null);
  window.refuge = { map, setLanguage, get lang() { return lang; } };

  map.on('load', () => {
    styleReady = true;
    addNearestLayers();
    addLogisticsLayers();
    addPlanningLayers();
    applyMapLanguage();
    applyGroupVisibility();
    renderLayerToggles();
    renderLegend();
    localizeControls();
    drawNearest();
    // The signal the browser tests wait for: the style, its tiles and the page's layers are drawn.
    map.once('idle', () => {
      document.documentElement.dataset.ready = 'true';
      firstView();
    });
  });
  map.on('click', onMapClick);
  map.on('mousemove', (event) => {
    map.getCanvas().style.cursor = featuresAt(event.point).length ? 'pointer' : '';
  });

  if (!printing) listenForChanges(map);
}

main().catch((error) => {
  console.error(error);
  showStatus(error.message, 'error');
});
