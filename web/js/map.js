// The MapLibre map: where it first looks, the style from the server, labels and controls in the
// page's language, and what the other modules ask of it (layers, features under a point, a paint
// value, moving to a facility).

/* global maplibregl */

import { STYLE_URL, tileJson } from './api.js';
import { showStatus } from './dom.js';
import { lang, t } from './i18n.js';

const CJK_FONTS =
  "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', sans-serif";

/** The map, once `createMap` has made it. */
export let map = null;

/** Makes the map in #map, placed where the facility tiles say the data is; a printed sheet
 *  (`sheet`: { bounds: [w, s, e, n] }) shows its area, still, with a scale bar. */
export async function createMap(sheet = null) {
  const view = sheet?.bounds
    ? { bounds: [sheet.bounds.slice(0, 2), sheet.bounds.slice(2)], fitBoundsOptions: { padding: 8 } }
    : await initialView();
  map = new maplibregl.Map({
    container: 'map',
    style: STYLE_URL,
    ...view,
    interactive: !sheet,
    fadeDuration: sheet ? 0 : 300,
    transformRequest,
    localIdeographFontFamily: CJK_FONTS,
    canvasContextAttributes: { preserveDrawingBuffer: true },
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
  });
  map.touchZoomRotate.disableRotation();
  if (sheet) map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 160 }), 'bottom-left');
  else map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.on('error', (event) => {
    console.error('map error:', event.error?.message ?? event.error);
    showStatus(t('mapError'), 'error');
  });
  return map;
}

/** The first view: the facilities' bounds, else their centre, else the whole world. */
async function initialView() {
  try {
    const tilejson = await tileJson('facilities');
    const b = tilejson.bounds;
    const world = !Array.isArray(b) || b.length < 4 || b[2] - b[0] >= 359 || b[3] - b[1] >= 170;
    if (!world && b.every(Number.isFinite) && b[0] <= b[2] && b[1] <= b[3]) {
      return { bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: { padding: 24, maxZoom: 16 } };
    }
    const c = tilejson.center;
    if (Array.isArray(c) && Number.isFinite(c[0]) && Number.isFinite(c[1])) {
      return { center: [c[0], c[1]], zoom: Number.isFinite(c[2]) ? c[2] : 13 };
    }
  } catch (error) {
    showStatus(error.message, 'error');
  }
  return { center: [0, 20], zoom: 1.5 };
}

/** Server paths in the style and in TileJSON are absolute paths; tile requests run in a worker,
 *  which cannot resolve them, so they are made full URLs here. */
function transformRequest(url) {
  if (url.startsWith('/')) return { url: location.origin + url };
  return { url };
}

/** The style's layers for which `predicate` holds. */
export function styleLayers(predicate) {
  return map.getStyle().layers.filter(predicate);
}

function clickableLayers() {
  const ids = styleLayers((layer) => layer.metadata?.['refuge:click']).map((layer) => layer.id);
  ids.push('nearest-halo');
  return ids.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
}

/** The clickable features drawn within a few pixels of `point`, topmost first. */
export function featuresAt(point) {
  const box = [
    [point.x - 6, point.y - 6],
    [point.x + 6, point.y + 6],
  ];
  return map.queryRenderedFeatures(box, { layers: clickableLayers() });
}

/** A paint property of a style layer, or null before the style has it. */
export function paintOf(layerId, property) {
  if (!map || !map.getLayer(layerId)) return null;
  return map.getPaintProperty(layerId, property);
}

/** Moves the map to a facility; on a short map (a phone) the point goes low so its popup fits above. */
export function focusOn(at, zoomIn) {
  const height = map.getContainer().clientHeight;
  const offset = height < 560 ? [0, Math.round(height * 0.3)] : [0, 0];
  if (zoomIn) map.flyTo({ center: at, zoom: Math.max(map.getZoom(), 16), offset });
  else if (offset[1]) map.easeTo({ center: at, offset });
}

/** The label expression for map text in the current language: the other language is the fallback. */
function labelExpression() {
  return lang === 'zh'
    ? ['coalesce', ['get', 'name_zh'], ['get', 'name'], ['get', 'name_en']]
    : ['coalesce', ['get', 'name_en'], ['get', 'name'], ['get', 'name_zh']];
}

/** The style's label layers (`refuge:label` in their metadata) in the current language. */
export function applyMapLanguage() {
  for (const layer of map.getStyle().layers) {
    if (layer.metadata?.['refuge:label']) map.setLayoutProperty(layer.id, 'text-field', labelExpression());
  }
}

/** MapLibre's own control buttons: their titles follow the language too. */
export function localizeControls() {
  const labels = [
    ['.maplibregl-ctrl-zoom-in', 'controls.zoomIn'],
    ['.maplibregl-ctrl-zoom-out', 'controls.zoomOut'],
    ['.maplibregl-ctrl-compass', 'controls.resetBearing'],
    ['.maplibregl-ctrl-attrib-button', 'controls.attribution'],
  ];
  for (const [selector, key] of labels) {
    for (const node of document.querySelectorAll(selector)) {
      node.title = t(key);
      node.setAttribute('aria-label', t(key));
    }
  }
  const canvas = map.getCanvas();
  canvas.setAttribute('aria-label', t('mapLabel'));
  map.getContainer().setAttribute('aria-label', t('mapLabel'));
}
