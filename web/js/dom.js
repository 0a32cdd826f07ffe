// The page's DOM helpers: find an element, make one, and the status line over the map.

/** The first element matching `selector`. */
export const $ = (selector) => document.querySelector(selector);

/** Creates an element; `attrs` may hold `class`, `text`, dataset via `data-*`, and other attributes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name === 'style') node.style.cssText = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A table with a caption, head cells and rows of cells, in a box that scrolls sideways. */
export function dataTable(caption, head, rows, attrs = {}) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'data', ...attrs },
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', {}, c))))),
    ),
  );
}

/** Runs `work` with a panel's `state.busy` set, showing an error the API gives in the status
 *  line; `render` draws the panel before and after. */
export async function whileBusy(state, render, work) {
  state.busy = true;
  render();
  try {
    await work();
  } catch (error) {
    showStatus(error.message, 'error');
  } finally {
    state.busy = false;
    render();
  }
}

let statusTimer = 0;
/** Shows `message` in #status, as an error if `kind` is 'error', for `lingerMs` (errors 8 s; 0: until replaced). */
export function showStatus(message, kind = 'info', lingerMs = 4000) {
  const node = $('#status');
  clearTimeout(statusTimer);
  node.textContent = message || '';
  node.classList.toggle('error', kind === 'error');
  if (message && lingerMs > 0) statusTimer = setTimeout(() => showStatus(''), kind === 'error' ? 8000 : lingerMs);
}
