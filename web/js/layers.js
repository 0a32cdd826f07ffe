// The layer toggles and the legend, and the shelter status colours: all read from the style's
// paint, so that they show what the map draws.

import { $, el } from './dom.js';
import { joinList, t, term } from './i18n.js';
import { map, paintOf, styleLayers } from './map.js';

/** Layer groups that the toggles switch, in display order; style layers name theirs in metadata. */
const GROUPS = ['shelters', 'reserves', 'micro_storage', 'hazards', 'pois', 'base'];
// The look of a group of shelters whose statuses differ (`mixed`), as tiles/style.json draws it.
const MIXED = { fill: '#ffffff', ring: '#59636e' };
/** The groups switched off, kept while the style loads. */
const hidden = new Set();

/** Used until the style has loaded; afterwards the `shelters` layer's colours (as in the legend) win. */
const STATUS_COLOURS = { open: '#1a9850', full: '#f28e2b', standby: '#2b83ba', closed: '#8c8c8c', damaged: '#c51b1b' };

/** The colour the map and the legend give a shelter status. */
function statusColour(status) {
  const pair = matchPairs(paintOf('shelters', 'circle-color')).find(([values]) => values?.includes(status));
  return pair?.[1] ?? STATUS_COLOURS[status] ?? '#666';
}

/** A status as a coloured badge, or null for none. */
export function statusBadge(status) {
  if (!status) return null;
  return el('span', { class: 'badge', style: `background:${statusColour(status)}`, text: term('status', status) });
}

/** [[values, colour], …, [null, fallback]] from a `match` expression, or one pair for a constant. */
function matchPairs(expression) {
  if (typeof expression === 'string') return [[null, expression]];
  if (!Array.isArray(expression) || expression[0] !== 'match') return [];
  const pairs = [];
  for (let i = 2; i + 1 < expression.length; i += 2) {
    const values = Array.isArray(expression[i]) ? expression[i] : [expression[i]];
    pairs.push([values, expression[i + 1]]);
  }
  return pairs;
}

function swatch(colour, kind = '', ring = null) {
  const style = [colour && `background:${colour}`, ring && `border-color:${ring}`].filter(Boolean).join(';');
  return el('span', { class: `swatch ${kind}`.trim(), style: style || null, 'aria-hidden': 'true' });
}

const GROUP_SWATCH = {
  shelters: ['shelters', 'circle-color', '#1a9850', ''],
  reserves: ['reserves', 'circle-color', '#7b5aa6', 'depot'],
  micro_storage: ['micro_storage', 'circle-color', '#00897b', ''],
  hazards: ['hazards-point', 'circle-color', '#e34a33', ''],
  pois: ['pois', 'circle-color', '#6c757d', ''],
  base: [null, null, null, 'base'],
};

function groupColour(group) {
  const [layer, property, fallback] = GROUP_SWATCH[group];
  if (!layer) return null;
  const pairs = matchPairs(paintOf(layer, property));
  return pairs.length ? pairs[0][1] : fallback;
}

/** The layer toggles, each with its swatch, in the current language. */
export function renderLayerToggles() {
  const box = $('#layers');
  box.replaceChildren(
    ...GROUPS.map((group) =>
      el(
        'label',
        {},
        el('input', {
          type: 'checkbox',
          'data-group': group,
          checked: !hidden.has(group),
          onchange: (event) => setGroupVisible(group, event.target.checked),
        }),
        swatch(groupColour(group), GROUP_SWATCH[group][3]),
        el('span', { text: t(`layerNames.${group}`) }),
      ),
    ),
  );
}

/** Shows or hides every style layer of a group (`refuge:group` in their metadata). */
export function setGroupVisible(group, visible) {
  if (visible) hidden.delete(group);
  else hidden.add(group);
  if (!map) return;
  for (const layer of styleLayers((l) => l.metadata?.['refuge:group'] === group)) {
    map.setLayoutProperty(layer.id, 'visibility', visible ? 'visible' : 'none');
  }
}

/** The legend, its colours read from the style's paint, in the current language. */
export function renderLegend() {
  const box = $('#legend');
  const section = (title, items, note) =>
    el('div', {}, el('h3', { text: title }), items.length ? el('ul', {}, items) : null, note ? el('p', { text: note }) : null);
  const entries = (layer, table, kind = '') =>
    matchPairs(paintOf(layer, 'circle-color')).map(([values, colour]) =>
      el('li', {}, swatch(colour, kind), joinList((values ?? []).map((v) => term(table, v)))),
    );
  box.replaceChildren(
    section(t('legendShelters'), entries('shelters', 'status'), t('legendShelterSize')),
    section(
      t('legendShelterGroups'),
      [
        el('li', {}, swatch(MIXED.fill, 'group', statusColour('open')), t('legendMixedSomeOpen')),
        el('li', {}, swatch(MIXED.fill, 'group', MIXED.ring), t('legendMixedNoneOpen')),
      ],
      t('legendShelterGroupsNote'),
    ),
    section(t('legendReserves'), entries('reserves', 'tier', 'depot')),
    section(t('legendMicro'), [el('li', {}, swatch(groupColour('micro_storage')), t('layerNames.micro_storage'))]),
    section(
      t('legendHazards'),
      matchPairs(paintOf('hazards-point', 'circle-color')).map(([values, colour]) =>
        el('li', {}, swatch(colour), swatch(colour, 'zone'), joinList((values ?? []).map((v) => term('risk', v)))),
      ),
    ),
    section(t('legendPois'), entries('pois', 'poiKind')),
    section(t('nearestTitle'), [
      el('li', {}, swatch(null, 'ring'), swatch(null, 'line'), t('legendNearest')),
      el('li', {}, swatch(null, 'ring not-open'), swatch(null, 'line not-open'), t('legendNearestNotOpen')),
      el('li', {}, swatch(null, 'origin'), t('legendOrigin')),
      el('li', {}, swatch(null, 'walk'), t('legendWalk')),
    ]),
    el('p', { text: t('legendCluster') }),
  );
}

/** Hides the groups switched off before the style had loaded. */
export function applyGroupVisibility() {
  for (const group of hidden) setGroupVisible(group, false);
}
