// Staff sign-in: a token, asked whom it belongs to (`GET /api/v1/me`), kept for the tab. Each
// panel (logistics, planning) listens and shows itself when the token may act in its role.

import { staffApi, setStaffToken, staffToken } from './api.js';
import { $ } from './dom.js';
import { t, term } from './i18n.js';

/** The member of staff signed in: { name, role, actsAs }, or null. */
let session = null;
/** Why the last sign-in failed, or ''. */
let failure = '';
/** Called after every sign-in and sign-out. */
const listeners = [];

/** Calls `listener` whenever someone signs in or out. */
export function onStaffChange(listener) {
  listeners.push(listener);
}

/** Whether the tab is signed in with a token that may act as `role` (an admin may act as any). */
export function mayAct(role) {
  return Boolean(session?.actsAs.includes(role));
}

/** Wires the sign-in form, and signs in again with the tab's token after a reload. */
export function wireStaff() {
  $('#staff-form').addEventListener('submit', (event) => {
    event.preventDefault();
    signIn($('#staff-token').value.trim());
  });
  $('#staff-out').addEventListener('click', signOut);
  const token = staffToken();
  if (token) signIn(token);
  else renderStaff();
}

async function signIn(token) {
  if (!token) return;
  try {
    const me = await staffApi.get('me', token);
    session = { name: me.name, role: me.role, actsAs: me.acts_as ?? [] };
    failure = '';
    setStaffToken(token);
    $('#staff-token').value = '';
  } catch (error) {
    session = null;
    setStaffToken(null);
    failure = error.status === 401 || error.status === 403 ? t('staff.refused') : error.message;
  }
  changed();
}

function signOut() {
  session = null;
  failure = '';
  setStaffToken(null);
  changed();
}

function changed() {
  renderStaff();
  for (const listener of listeners) listener();
}

/** The sign-in box, in the page's language. */
export function renderStaff() {
  $('#staff-form').hidden = Boolean(session);
  $('#staff-in').hidden = !session;
  $('#staff-error').textContent = failure;
  $('#staff-who').textContent = session ? t('staff.signedIn', { name: session.name, role: term('role', session.role) }) : '';
}
