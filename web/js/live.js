// Live updates: the page follows the server's change announcements (server-sent events) and shows
// the new data without a reload.

import { EVENTS_URL, tileJsonUrl } from './api.js';
import { refreshNearest } from './nearest.js';
import { refreshPopup } from './popups.js';

/** Shows the server's current data: the tile sources re-read their TileJSON (whose tile URLs
 *  carry the data version), and an open nearest list and popup are asked again. */
export function reloadData(map) {
  for (const name of ['facilities', 'coverage', 'base']) {
    const source = map.getSource(name);
    if (source && typeof source.setUrl === 'function') source.setUrl(tileJsonUrl(name));
  }
  refreshNearest();
  refreshPopup();
}

/**
 * Follows the server's change announcements. After a change the tile URLs carry a new data
 * version, so re-reading the TileJSON reloads exactly the changed data; an open nearest list and
 * popup are asked again so that a shelter that just filled up drops out. The last change is kept
 * in `window.refuge.lastChange`.
 */
export function listenForChanges(map) {
  if (typeof EventSource === 'undefined') return;
  const events = new EventSource(EVENTS_URL);
  let pending = 0;
  const refresh = () => {
    clearTimeout(pending);
    // Several writes in a burst cause one refresh.
    pending = setTimeout(() => reloadData(map), 150);
  };
  let seen = null; // the newest data version this page has heard of
  // On every (re)connection the server says its version: a change missed while disconnected, or
  // a restart, shows as a different one.
  events.addEventListener('hello', (event) => {
    let version = null;
    try {
      version = JSON.parse(event.data).data_version;
    } catch {
      version = null;
    }
    if (seen !== null && version !== seen) refresh();
    seen = version;
  });
  events.addEventListener('change', (event) => {
    try {
      window.refuge.lastChange = JSON.parse(event.data);
      seen = window.refuge.lastChange.data_version ?? seen;
    } catch {
      window.refuge.lastChange = { raw: event.data };
    }
    refresh();
  });
  events.addEventListener('reload', refresh);
}
