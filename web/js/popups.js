// The facility popup: opened from the map, the nearest list or a search hit, it shows what the
// API says of the facility (status, capacity, stock, contact, …) in the page's language.

/* global maplibregl */

import { facilityDetails, pointOf, statusOf } from './api.js';
import { $, el, showStatus } from './dom.js';
import { displayName, formatDistance, formatNumber, formatTime, joinList, lang, otherName, t, term } from './i18n.js';
import { statusBadge } from './layers.js';
import { selectShelter, signedIn } from './logistics.js';
import { map } from './map.js';

/** The popup open: { popup, id, feature, hint, error, opener }, or null. */
let shown = null;

/** Escape closes the popup and gives the focus back to what opened it. */
export function wirePopupKeys() {
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !shown) return;
    const back = shown.opener;
    closePopup();
    // The list may have been drawn again meanwhile: its row with the same id, then.
    const row = back?.closest?.('li[data-id]')?.dataset.id;
    const again = row ? document.querySelector(`#results li[data-id="${row}"] button`) : null;
    (back?.isConnected ? back : again)?.focus?.({ preventScroll: true });
  });
}

/** Opens the popup of facility `id` at `at` (or where its details place it), shown from `hint`, a
 *  feature already at hand, until the details come. */
export async function openFacility(id, at, hint) {
  if (id == null) return;
  // Opened from the keyboard (a list row, a search hit), the focus moves into the popup and
  // comes back when it closes.
  const from = document.activeElement;
  const byKeyboard = Boolean(from && from !== document.body && !from.closest('#map'));
  closePopup();
  if (!$('#status').classList.contains('error')) showStatus('');
  const popup = new maplibregl.Popup({ closeButton: false, maxWidth: '300px', className: 'refuge-popup', focusAfterOpen: false });
  const entry = { popup, id, feature: null, hint, error: null, opener: byKeyboard ? from : null };
  shown = entry;
  popup.on('close', () => {
    if (shown === entry) shown = null;
  });
  if (at) popup.setLngLat(at).addTo(map);
  renderPopup();
  if (byKeyboard) focusPopup(entry);
  try {
    const feature = await facilityDetails(id);
    if (shown !== entry) return;
    entry.feature = feature;
    if (!at) {
      const point = pointOf(feature);
      if (!point) return;
      popup.setLngLat(point).addTo(map);
    }
  } catch (error) {
    if (shown !== entry) return;
    entry.error = error.message;
    showStatus(error.message, 'error');
  }
  renderPopup();
}

/** Moves the focus to the popup's close button. */
function focusPopup(entry) {
  entry.popup.getElement()?.querySelector('button.close')?.focus({ preventScroll: true });
}

/** Closes the popup, if one is open. */
export function closePopup() {
  const entry = shown;
  shown = null;
  entry?.popup.remove();
}

/** The popup's content, in the current language. */
export function renderPopup() {
  const entry = shown;
  if (!entry) return;
  const closeButton = el('button', {
    type: 'button',
    class: 'close',
    'aria-label': t('close'),
    title: t('close'),
    text: '×',
    onclick: closePopup,
  });
  let body;
  if (entry.feature) body = renderFacility(entry.feature, closeButton);
  else if (entry.error && entry.hint) {
    // No details to be had (the store out of reach, the network down): what the map or the list
    // already holds of it, and why no more.
    body = renderFacility(entry.hint, closeButton);
    body.append(el('p', { class: 'error', text: entry.error }));
  } else {
    const props = entry.hint?.properties ?? {};
    body = el(
      'div',
      { class: 'facility' },
      el('header', {}, el('h3', { text: entry.hint ? displayName(props) : t('loading') }), closeButton),
      entry.error ? el('p', { class: 'error', text: entry.error }) : el('p', { class: 'kind', text: t('loading') }),
    );
  }
  // The popup never gets taller than most of the map, so it fits on a phone.
  body.style.maxHeight = `${Math.max(140, Math.round(map.getContainer().clientHeight * 0.6))}px`;
  const hadFocus = Boolean(entry.popup.getElement()?.contains(document.activeElement));
  entry.popup.setDOMContent(body);
  if (hadFocus) focusPopup(entry);
}

/** A facility's details: its names, kind, status and the fields of its kind. */
function renderFacility(feature, closeButton) {
  const p = feature.properties ?? {};
  // The summary's fields are on the feature; the rest of its kind's record under `attributes`.
  const a = p.attributes ?? {};
  const kind = p.kind;
  const rows = [];
  const row = (key, value, strong = false) => {
    if (value == null || value === '' || (Array.isArray(value) && value.length === 0)) return;
    rows.push(el('dt', { text: t(`fields.${key}`) }), el('dd', { class: strong ? 'strong' : null }, value));
  };
  const num = (value) => (Number.isFinite(value) ? value : null);
  const persons = (value) => (num(value) == null ? null : t('persons', { n: formatNumber(value) }));
  let subtitle = term('kinds', kind);
  let extra = null;

  if (kind === 'shelter') {
    subtitle = term('shelterType', p.shelter_type) || subtitle;
    row('class', term('shelterClass', a.class));
    row('space', term('space', a.space));
    row('area', num(a.effective_area_m2) == null ? null : t('squareMetres', { n: formatNumber(a.effective_area_m2) }));
    row('designCapacity', persons(a.design_capacity));
    row('capacity', persons(p.capacity));
    row('occupancy', persons(p.occupancy));
    row('available', persons(p.available), true);
    row('suitableFor', joinList((p.suitable_for ?? []).map((h) => term('hazardType', h))));
    row('amenities', joinList((a.amenities ?? []).map((amenity) => term('amenity', amenity))));
    row('serviceRadius', num(a.service_radius_m) == null ? null : formatDistance(a.service_radius_m));
    if (signedIn()) {
      extra = el('button', { type: 'button', class: 'supply', text: t('logistics.supplyButton'), onclick: () => selectShelter(p.id ?? feature.id) });
    }
  } else if (kind === 'reserve' || kind === 'micro_storage') {
    if (kind === 'reserve') {
      subtitle = `${term('kinds', kind)} · ${term('tier', p.tier)}`;
      row('mode', term('mode', a.mode));
      row('volume', num(a.volume_m3) == null ? null : t('cubicMetres', { n: formatNumber(a.volume_m3) }));
      row('leadTime', num(a.lead_time_hours) == null ? null : t('hours', { n: formatNumber(a.lead_time_hours, 1) }));
    } else {
      row('host', a.host);
      row('openHours', a.open_hours);
      row('keyholder', contactText(p.keyholder));
    }
    if (Array.isArray(p.stock)) extra = renderStock(p.stock);
  } else if (kind === 'hazard') {
    subtitle = term('hazardKind', p.hazard_kind) || subtitle;
    row('risk', term('risk', p.risk), true);
    row('influenceRadius', num(p.influence_radius_m) == null ? null : formatDistance(p.influence_radius_m));
    row('threatened', persons(a.threatened_population));
    row('responsible', a.responsible_unit);
  } else if (kind === 'poi') {
    subtitle = term('poiKind', p.poi_kind) || subtitle;
  }
  row('address', p.address);
  row('operator', p.operator);
  row('contact', contactText(p.contact));

  const status = statusOf(p);
  const reportedAt = p.report?.reported_at;
  const statusLine = status
    ? el(
        'p',
        { class: 'status' },
        statusBadge(status),
        reportedAt ? el('span', { class: 'reported', text: t('reported', { time: formatTime(reportedAt) }) }) : null,
      )
    : null;
  const other = otherName(p);
  return el(
    'div',
    { class: 'facility', 'data-kind': kind },
    el('header', {}, el('h3', { text: displayName(p) }), closeButton),
    other ? el('p', { class: 'other-name', text: other }) : null,
    el('p', { class: 'kind', text: subtitle }),
    statusLine,
    rows.length ? el('dl', {}, rows) : null,
    extra,
  );
}

function contactText(contact) {
  if (!contact || typeof contact !== 'object') return null;
  const parts = [];
  if (contact.name) parts.push(contact.name);
  if (contact.phone) {
    parts.push(' ');
    parts.push(el('a', { href: `tel:${String(contact.phone).replace(/[^\d+]/g, '')}`, text: contact.phone }));
  }
  return parts.length ? el('span', {}, parts) : null;
}

function renderStock(stock) {
  if (stock.length === 0) return el('p', { class: 'kind', text: t('noStock') });
  const name = (s) => (lang === 'zh' ? s.name_zh || s.name_en : s.name_en || s.name_zh) || s.item;
  return el(
    'div',
    {},
    el(
      'table',
      {},
      el('caption', { style: 'text-align:left;font-weight:600;padding-top:6px', text: t('fields.stock') }),
      el('thead', {}, el('tr', {}, el('th', { text: t('fields.item') }), el('th', { text: t('fields.quantity') }))),
      el(
        'tbody',
        {},
        stock.map((s) =>
          el(
            'tr',
            {},
            el('td', { text: name(s) }),
            el('td', { class: 'qty', text: `${formatNumber(Number(s.quantity), 2)} ${s.unit ?? ''}`.trim() }),
          ),
        ),
      ),
    ),
  );
}

/** Asks again for the open popup's facility (after the data changed). */
export function refreshPopup() {
  if (shown?.id != null && shown.popup?.isOpen()) {
    openFacility(shown.id, shown.popup.getLngLat().toArray(), null);
  }
}
