// The page's language and everything worded or formatted in it: interface strings, enumeration
// names, numbers, distances, times and the names of facilities.

import { $ } from './dom.js';
import { STRINGS } from './strings.js';

/** The language of the page, 'zh' or 'en'. */
export let lang = initialLanguage();

/** Switches to `next` and remembers it; false when there is no such language. */
export function chooseLanguage(next) {
  if (!STRINGS[next]) return false;
  lang = next;
  try {
    localStorage.setItem('refuge.lang', next);
  } catch {
    // not remembered, still switched
  }
  return true;
}

/** `?lang=`, else the remembered choice, else the browser's language. */
function initialLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'zh' || asked === 'en') return asked;
  let saved = null;
  try {
    saved = localStorage.getItem('refuge.lang');
  } catch {
    // storage may be blocked; the browser language decides then
  }
  if (saved === 'zh' || saved === 'en') return saved;
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  return browser.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** The current language's strings. */
export function dict() {
  return STRINGS[lang];
}

/** The interface string `key` ("a.b" for nested tables) with {name} placeholders filled in. */
export function t(key, vars = {}) {
  const find = (table) => key.split('.').reduce((node, part) => (node == null ? node : node[part]), table);
  const text = find(dict()) ?? find(STRINGS.en) ?? key;
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The name of an enumeration value (status, tier, …); an unknown value is shown readably. */
export function term(table, value) {
  if (value == null || value === '') return '';
  const text = dict()[table]?.[value] ?? STRINGS.en[table]?.[value];
  return text ?? String(value).replace(/_/g, ' ');
}

function locale() {
  return lang === 'zh' ? 'zh-CN' : 'en';
}

/** A number in the page's language, with at most `digits` decimals. */
export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** Metres as "850 m" or "1.2 km" (米, 公里 in Chinese). */
export function formatDistance(metres) {
  if (!Number.isFinite(metres)) return '';
  if (metres < 1000) return t('distanceM', { n: formatNumber(Math.round(metres)) });
  return t('distanceKm', { n: formatNumber(metres / 1000, metres < 10000 ? 1 : 0) });
}

/** The non-empty items as one list (、 between them in Chinese). */
export function joinList(items) {
  return items.filter(Boolean).join(lang === 'zh' ? '、' : ', ');
}

/** A reported time as a date and time in the page's language. */
export function formatTime(text) {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  return date.toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** Names as {zh, en}: API features carry `name: {zh, en}`, tile features `name_zh`/`name_en`. */
function namesOf(props = {}) {
  if (props.name && typeof props.name === 'object') return props.name;
  return { zh: props.name_zh ?? undefined, en: props.name_en ?? (typeof props.name === 'string' ? props.name : undefined) };
}

/** A facility's name in the page's language, else the other, else its id. */
export function displayName(props) {
  const names = namesOf(props);
  const first = lang === 'zh' ? names.zh : names.en;
  const second = lang === 'zh' ? names.en : names.zh;
  return first || second || (props?.id != null ? `#${props.id}` : '—');
}

/** A facility's name in the other language, when it has a different one. */
export function otherName(props) {
  const names = namesOf(props);
  const first = lang === 'zh' ? names.zh : names.en;
  const second = lang === 'zh' ? names.en : names.zh;
  return first && second && first !== second ? second : '';
}

/** The page's own texts (`data-i18n…` attributes, the title, the language button) in the chosen language. */
export function applyStaticStrings() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('docTitle');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of document.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }
  const button = $('#lang');
  button.textContent = t('langSwitch');
  button.lang = lang === 'zh' ? 'en' : 'zh';
  // Its name is what it shows, in that language; the title says what it does.
  button.title = t('langSwitchLabel');
}
