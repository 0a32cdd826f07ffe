// Search by name: the box in the bar asks the server as the user types and lists the hits; choosing
// one moves the map to the facility and opens its popup.

import { pointOf, searchFacilities } from './api.js';
import { $, el, showStatus } from './dom.js';
import { displayName, otherName, t, term } from './i18n.js';
import { focusOn } from './map.js';
import { openFacility } from './popups.js';

/** What is typed, what was found, and which hit the arrow keys have reached. */
const search = { timer: 0, abort: null, hits: [], active: -1, query: '', state: null };

/** The search box's listeners. */
export function wireSearch() {
  const input = $('#search');
  input.addEventListener('input', onSearchInput);
  input.addEventListener('keydown', onSearchKey);
  input.addEventListener('blur', () => setTimeout(hideSearchList, 150));
  input.addEventListener('focus', () => {
    if (search.query && search.hits.length) {
      search.state = 'done';
      renderSearchList();
    }
  });
  $('#search-box').addEventListener('submit', onSearchSubmit);
}

function onSearchInput() {
  clearTimeout(search.timer);
  const query = $('#search').value.trim();
  search.query = query;
  if (!query) {
    search.abort?.abort();
    search.hits = [];
    search.active = -1;
    search.state = null;
    renderSearchList();
    return;
  }
  search.timer = setTimeout(() => runSearch(query), 250);
}

async function runSearch(query) {
  search.abort?.abort();
  const abort = new AbortController();
  search.abort = abort;
  search.state = 'loading';
  renderSearchList();
  try {
    const hits = await searchFacilities(query, abort.signal);
    if (search.query !== query) return;
    search.hits = hits;
    search.active = search.hits.length ? 0 : -1;
    search.state = 'done';
  } catch (error) {
    if (error.name === 'AbortError') return;
    search.hits = [];
    search.state = 'done';
    showStatus(error.message, 'error');
  }
  renderSearchList();
}

/** The list of hits under the search box, in the current language. */
export function renderSearchList() {
  const list = $('#search-list');
  list.replaceChildren();
  if (!search.query || !search.state) {
    list.hidden = true;
    return;
  }
  if (search.state === 'loading' && search.hits.length === 0) {
    list.append(el('li', { class: 'empty', text: t('searching') }));
  } else if (search.hits.length === 0) {
    list.append(el('li', { class: 'empty', text: t('searchNone', { q: search.query }) }));
  }
  search.hits.forEach((feature, index) => {
    const props = feature.properties ?? {};
    const kindText = [term('kinds', props.kind), otherName(props)].filter(Boolean).join(' · ');
    list.append(
      el(
        'li',
        { role: 'option', 'aria-selected': index === search.active ? 'true' : 'false', class: 'hit', 'data-id': props.id ?? feature.id },
        el(
          'button',
          { type: 'button', tabindex: '-1', onmousedown: (event) => event.preventDefault(), onclick: () => chooseHit(feature) },
          displayName(props),
          el('span', { class: 'kind', text: kindText }),
        ),
      ),
    );
  });
  list.hidden = false;
}

function onSearchKey(event) {
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    if (!search.hits.length) return;
    event.preventDefault();
    const step = event.key === 'ArrowDown' ? 1 : -1;
    search.active = (search.active + step + search.hits.length) % search.hits.length;
    renderSearchList();
  } else if (event.key === 'Escape') {
    hideSearchList();
  }
}

function onSearchSubmit(event) {
  event.preventDefault();
  const query = $('#search').value.trim();
  if (search.hits.length && search.query === query) chooseHit(search.hits[Math.max(search.active, 0)]);
  else if (query) {
    clearTimeout(search.timer);
    search.query = query;
    runSearch(query);
  }
}

function hideSearchList() {
  search.state = null;
  renderSearchList();
}

function chooseHit(feature) {
  const props = feature.properties ?? {};
  const id = feature.id ?? props.id;
  const at = pointOf(feature);
  const input = $('#search');
  input.value = displayName(props);
  search.query = input.value;
  hideSearchList();
  input.blur();
  if (at) focusOn(at, true);
  openFacility(id, at, feature);
}
