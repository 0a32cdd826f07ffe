// Refuge community emergency-facility map: a plain ES module over MapLibre GL (loaded as the global
// `maplibregl` from /vendor/maplibre-gl/). Every interface string lives in STRINGS below.

/* global maplibregl */

const STRINGS = {
  en: {
    docTitle: 'Refuge — community emergency-facility map',
    heading: 'Emergency map',
    langSwitch: '中文',
    langSwitchLabel: 'Switch the language to Chinese',
    searchPlaceholder: 'Search a facility by name',
    searchLabel: 'Search facilities by name',
    searching: 'Searching…',
    searchNone: 'No facility matches “{q}”.',
    locate: 'Use my location',
    locating: 'Finding your location…',
    geoUnsupported: 'This browser cannot tell your location. Tap the map instead.',
    geoDenied: 'Location permission was refused. Tap the map instead.',
    geoFailed: 'Your location could not be found. Tap the map instead.',
    nearestTitle: 'Nearest shelters with room',
    nearestHint: 'Tap the map where you are, or use your location.',
    nearestLoading: 'Finding the nearest shelters…',
    nearestTitleNotOpen: 'Nearest shelters (none open with room)',
    nearestNone: 'No shelter was found.',
    nearestFoundOne: '1 shelter with room.',
    nearestFound: '{n} shelters with room, nearest first.',
    clear: 'Clear',
    distanceM: '{n} m',
    distanceKm: '{n} km',
    freeOf: '{n} of {total} places free',
    free: '{n} places free',
    freeUnknown: 'Free places unknown',
    capacityUnknown: 'Capacity unknown',
    notOpen: {
      standby: 'Shelters here are on standby; none is open.',
      closed: 'Shelters here are closed; none is open.',
      full: 'Shelters here are full; none has free places.',
      damaged: 'Shelters here are damaged; none is open.',
      open: 'Shelters here are open but have no free places.',
    },
    notOpenMixed: 'No shelter here is open with free places ({statuses}).',
    statusCount: '{status}: {n}',
    layersTitle: 'Layers',
    legendTitle: 'Legend',
    layerNames: {
      shelters: 'Shelters',
      reserves: 'Reserve depots',
      micro_storage: 'Micro-storage sites',
      hazards: 'Hazards',
      pois: 'Points of interest',
      base: 'Base map',
    },
    legendShelters: 'Shelters by status',
    legendShelterSize: 'A bigger circle is a shelter for a longer stay (emergency → fixed → central).',
    legendReserves: 'Reserve depots by tier',
    legendMicro: 'Community micro-storage site',
    legendHazards: 'Hazards by risk (points, and zones as shaded areas)',
    legendPois: 'Points of interest',
    legendCluster: 'A number in a circle counts the facilities grouped there; zoom in to see them.',
    legendShelterGroups: 'Groups of shelters',
    legendShelterGroupsNote: 'A group whose shelters share one status has that status’s colour.',
    legendMixedSomeOpen: 'Mixed: some open, some not',
    legendMixedNoneOpen: 'Mixed: none open',
    legendNearest: 'Nearest result and the line to it',
    legendNearestNotOpen: 'Nearest shelter that is not open, and the line to it',
    legendOrigin: 'The point you chose',
    loading: 'Loading…',
    close: 'Close',
    reported: 'reported {time}',
    fields: {
      type: 'Type',
      class: 'Class',
      space: 'Space',
      area: 'Effective area',
      designCapacity: 'Design capacity',
      capacity: 'Capacity',
      occupancy: 'Sheltering now',
      available: 'Free places',
      suitableFor: 'Suitable for',
      amenities: 'Amenities',
      serviceRadius: 'Service radius',
      tier: 'Tier',
      mode: 'Reserve mode',
      volume: 'Storage volume',
      leadTime: 'Lead time',
      stock: 'Stock',
      item: 'Item',
      quantity: 'Quantity',
      hazardKind: 'Hazard',
      risk: 'Risk',
      influenceRadius: 'Influence radius',
      threatened: 'Threatened population',
      responsible: 'Responsible unit',
      host: 'Host',
      openHours: 'Open hours',
      keyholder: 'Keyholder',
      poiKind: 'Kind',
      address: 'Address',
      operator: 'Operator',
      contact: 'Contact',
      designation: 'Designation',
    },
    noStock: 'No stock recorded.',
    persons: '{n} persons',
    squareMetres: '{n} m²',
    cubicMetres: '{n} m³',
    hours: '{n} h',
    metres: '{n} m',
    networkError: 'The server cannot be reached. Check your connection.',
    httpError: 'The server answered with an error ({status}).',
    mapError: 'Part of the map could not be loaded.',
    mapLabel: 'Map of emergency facilities',
    controls: {
      zoomIn: 'Zoom in',
      zoomOut: 'Zoom out',
      resetBearing: 'Drag to rotate the map, click to reset north',
      attribution: 'Show or hide the map credits',
    },
    kinds: {
      shelter: 'Shelter',
      reserve: 'Reserve depot',
      micro_storage: 'Micro-storage site',
      hazard: 'Hazard source',
      poi: 'Point of interest',
    },
    status: { standby: 'Standby', open: 'Open', full: 'Full', closed: 'Closed', damaged: 'Damaged' },
    shelterType: {
      emergency: 'Emergency shelter',
      fixed_short: 'Fixed shelter, short stay',
      fixed_medium: 'Fixed shelter, medium stay',
      fixed_long: 'Fixed shelter, long stay',
      central: 'Central shelter',
    },
    shelterClass: { i: 'Class I (over 30 days)', ii: 'Class II (10–30 days)', iii: 'Class III (up to 10 days)' },
    space: { open_site: 'Open site', indoor: 'Indoor' },
    hazardType: {
      earthquake: 'Earthquake',
      flood: 'Flood',
      waterlogging: 'Waterlogging',
      typhoon: 'Typhoon',
      fire: 'Fire',
      landslide: 'Landslide',
      chemical: 'Chemical release',
      public_health: 'Public-health event',
    },
    amenity: {
      water: 'Drinking water',
      power: 'Power',
      toilets: 'Toilets',
      medical: 'Medical point',
      accessible: 'Step-free access',
      pets: 'Pets allowed',
    },
    tier: { district: 'District', subdistrict: 'Sub-district', community: 'Community' },
    mode: { physical: 'Physical stock', agreement: 'Agreement', production_capacity: 'Production capacity' },
    hazardKind: {
      hazardous_chemical_site: 'Hazardous-chemical site',
      gas_station: 'Fuel or gas station',
      chemical_park: 'Chemical park',
      waterlogging_point: 'Waterlogging point',
      geological_hazard_point: 'Geological hazard point',
      dam: 'Dam or reservoir',
      high_voltage: 'High-voltage line or substation',
      port: 'Port',
      coastal_surge: 'Storm-surge coastline',
      other: 'Other hazard',
    },
    risk: { major: 'Major', large: 'Large', general: 'General', low: 'Low' },
    poiKind: {
      hospital: 'Hospital',
      clinic: 'Clinic',
      fire_station: 'Fire station',
      police: 'Police',
      pharmacy: 'Pharmacy',
      school: 'School',
      community_centre: 'Community centre',
      defibrillator: 'Defibrillator (AED)',
      fire_hydrant: 'Fire hydrant',
      townhall: 'Town hall',
    },
    designation: { planned: 'Planned', designated: 'Designated', decommissioned: 'Decommissioned' },
  },
  zh: {
    docTitle: 'Refuge 社区应急设施地图',
    heading: '应急设施地图',
    langSwitch: 'English',
    langSwitchLabel: '将界面语言切换为英文',
    searchPlaceholder: '按名称搜索设施',
    searchLabel: '按名称搜索设施',
    searching: '正在搜索…',
    searchNone: '没有名称包含“{q}”的设施。',
    locate: '使用我的位置',
    locating: '正在获取您的位置…',
    geoUnsupported: '此浏览器无法获取位置，请直接点击地图。',
    geoDenied: '定位权限被拒绝，请直接点击地图。',
    geoFailed: '无法获取您的位置，请直接点击地图。',
    nearestTitle: '最近的有空位避难场所',
    nearestHint: '点击地图上您所在的位置，或使用您的位置。',
    nearestLoading: '正在查找最近的避难场所…',
    nearestTitleNotOpen: '最近的避难场所（均未开放或无空位）',
    nearestNone: '附近没有找到避难场所。',
    nearestFoundOne: '找到 1 个有空位的避难场所。',
    nearestFound: '找到 {n} 个有空位的避难场所，按距离排列。',
    clear: '清除',
    distanceM: '{n} 米',
    distanceKm: '{n} 公里',
    freeOf: '空位 {n} / 共 {total} 人',
    free: '空位 {n}',
    freeUnknown: '空位数未知',
    capacityUnknown: '容量未知',
    notOpen: {
      standby: '附近的避难场所处于待命状态，尚未开放。',
      closed: '附近的避难场所已关闭，均未开放。',
      full: '附近的避难场所均已满员，没有空位。',
      damaged: '附近的避难场所受损，均未开放。',
      open: '附近的避难场所已开放，但没有空位。',
    },
    notOpenMixed: '附近没有开放且有空位的避难场所（{statuses}）。',
    statusCount: '{status} {n} 个',
    layersTitle: '图层',
    legendTitle: '图例',
    layerNames: {
      shelters: '避难场所',
      reserves: '物资储备库',
      micro_storage: '微型储备点',
      hazards: '风险源',
      pois: '其他设施',
      base: '底图',
    },
    legendShelters: '避难场所（按状态）',
    legendShelterSize: '圆越大，可避难时间越长（紧急 → 固定 → 中心）。',
    legendReserves: '物资储备库（按级别）',
    legendMicro: '社区微型应急物资储备点',
    legendHazards: '风险源（按风险等级；阴影为影响范围）',
    legendPois: '其他设施',
    legendCluster: '圆中数字为该处汇总的设施数，放大地图可查看。',
    legendShelterGroups: '避难场所汇总',
    legendShelterGroupsNote: '状态相同的一组避难场所使用该状态的颜色。',
    legendMixedSomeOpen: '混合：部分开放',
    legendMixedNoneOpen: '混合：均未开放',
    legendNearest: '最近结果及连线',
    legendNearestNotOpen: '最近的未开放避难场所及连线',
    legendOrigin: '您选择的位置',
    loading: '正在加载…',
    close: '关闭',
    reported: '{time} 报告',
    fields: {
      type: '类型',
      class: '等级',
      space: '场所类型',
      area: '有效面积',
      designCapacity: '设计容量',
      capacity: '容量',
      occupancy: '当前避难人数',
      available: '空位',
      suitableFor: '适用灾种',
      amenities: '配套设施',
      serviceRadius: '服务半径',
      tier: '级别',
      mode: '储备方式',
      volume: '库容',
      leadTime: '调运时间',
      stock: '库存',
      item: '物资',
      quantity: '数量',
      hazardKind: '风险类型',
      risk: '风险等级',
      influenceRadius: '影响半径',
      threatened: '受威胁人口',
      responsible: '责任单位',
      host: '所在场所',
      openHours: '开放时间',
      keyholder: '钥匙保管人',
      poiKind: '类别',
      address: '地址',
      operator: '管理单位',
      contact: '联系方式',
      designation: '设立状态',
    },
    noStock: '暂无库存记录。',
    persons: '{n} 人',
    squareMetres: '{n} 平方米',
    cubicMetres: '{n} 立方米',
    hours: '{n} 小时',
    metres: '{n} 米',
    networkError: '无法连接服务器，请检查网络。',
    httpError: '服务器返回错误（{status}）。',
    mapError: '部分地图未能加载。',
    mapLabel: '应急设施地图',
    controls: {
      zoomIn: '放大',
      zoomOut: '缩小',
      resetBearing: '拖动旋转地图，点击恢复正北',
      attribution: '显示或隐藏地图版权信息',
    },
    kinds: {
      shelter: '避难场所',
      reserve: '物资储备库',
      micro_storage: '微型储备点',
      hazard: '风险源',
      poi: '其他设施',
    },
    status: { standby: '待命', open: '开放', full: '已满', closed: '关闭', damaged: '受损' },
    shelterType: {
      emergency: '紧急避难场所',
      fixed_short: '短期固定避难场所',
      fixed_medium: '中期固定避难场所',
      fixed_long: '长期固定避难场所',
      central: '中心避难场所',
    },
    shelterClass: { i: 'Ⅰ类（30 天以上）', ii: 'Ⅱ类（10–30 天）', iii: 'Ⅲ类（10 天以内）' },
    space: { open_site: '场地型', indoor: '场所型（室内）' },
    hazardType: {
      earthquake: '地震',
      flood: '洪水',
      waterlogging: '内涝',
      typhoon: '台风',
      fire: '火灾',
      landslide: '地质灾害',
      chemical: '危化品泄漏',
      public_health: '公共卫生事件',
    },
    amenity: {
      water: '供水',
      power: '供电',
      toilets: '厕所',
      medical: '医疗点',
      accessible: '无障碍',
      pets: '可携带宠物',
    },
    tier: { district: '区级', subdistrict: '街镇级', community: '社区级' },
    mode: { physical: '实物储备', agreement: '协议储备', production_capacity: '产能储备' },
    hazardKind: {
      hazardous_chemical_site: '危化品场所',
      gas_station: '加油站 / 加气站',
      chemical_park: '化工园区',
      waterlogging_point: '易涝点',
      geological_hazard_point: '地质灾害隐患点',
      dam: '水库大坝',
      high_voltage: '高压线 / 变电站',
      port: '港口',
      coastal_surge: '风暴潮岸线',
      other: '其他风险源',
    },
    risk: { major: '重大', large: '较大', general: '一般', low: '低' },
    poiKind: {
      hospital: '医院',
      clinic: '诊所',
      fire_station: '消防站',
      police: '派出所',
      pharmacy: '药店',
      school: '学校',
      community_centre: '社区中心',
      defibrillator: '自动体外除颤器（AED）',
      fire_hydrant: '消火栓',
      townhall: '政府机关',
    },
    designation: { planned: '规划', designated: '已设立', decommissioned: '已撤销' },
  },
};

/** Layer groups that the toggles switch, in display order; style layers name theirs in metadata. */
const GROUPS = ['shelters', 'reserves', 'micro_storage', 'hazards', 'pois', 'base'];
const NEAREST_QUERY = { kind: 'shelter', k: '5' };
const CJK_FONTS =
  "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', sans-serif";
const NEAREST_LAYERS = ['nearest-lines', 'nearest-halo', 'nearest-rank', 'nearest-origin'];
const EMPTY = { type: 'FeatureCollection', features: [] };
/** Colours of the nearest results on the map: open shelters with room, and the not-open fallback. */
const NEAREST_COLOUR = { open: '#1f3b57', notOpen: '#6e7781' };
/** A group of shelters whose statuses differ (`mixed`), or that states none: white, ringed, dark count. */
// The look of a group of shelters whose statuses differ (`mixed`), as tiles/style.json draws it.
const MIXED = { fill: '#ffffff', ring: '#59636e' };
/** Below this zoom the facility tiles group shelters: nearest results would hide among the groups. */
const GROUPED_BELOW_ZOOM = 13;

const root = document.documentElement;
const $ = (selector) => document.querySelector(selector);

const state = {
  lang: initialLanguage(),
  map: null,
  styleReady: false,
  hidden: new Set(),
  popup: null, // { popup, id, feature, error }
  nearest: null, // { origin: [lon, lat], features, error, selected }
  nearestAbort: null,
  search: { timer: 0, abort: null, hits: [], active: -1, query: '' },
};

// ---------------------------------------------------------------- language

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

function dict() {
  return STRINGS[state.lang];
}

/** The interface string `key` ("a.b" for nested tables) with {name} placeholders filled in. */
function t(key, vars = {}) {
  const find = (table) => key.split('.').reduce((node, part) => (node == null ? node : node[part]), table);
  const text = find(dict()) ?? find(STRINGS.en) ?? key;
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** The name of an enumeration value (status, tier, …); an unknown value is shown readably. */
function term(table, value) {
  if (value == null || value === '') return '';
  const text = dict()[table]?.[value] ?? STRINGS.en[table]?.[value];
  return text ?? String(value).replace(/_/g, ' ');
}

function locale() {
  return state.lang === 'zh' ? 'zh-CN' : 'en';
}

function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

function formatDistance(metres) {
  if (!Number.isFinite(metres)) return '';
  if (metres < 1000) return t('distanceM', { n: formatNumber(Math.round(metres)) });
  return t('distanceKm', { n: formatNumber(metres / 1000, metres < 10000 ? 1 : 0) });
}

function joinList(items) {
  return items.filter(Boolean).join(state.lang === 'zh' ? '、' : ', ');
}

function formatTime(text) {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  return date.toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
}

/** Names as {zh, en}: API features carry `name: {zh, en}`, tile features `name_zh`/`name_en`. */
function namesOf(props = {}) {
  if (props.name && typeof props.name === 'object') return props.name;
  return { zh: props.name_zh ?? undefined, en: props.name_en ?? (typeof props.name === 'string' ? props.name : undefined) };
}

function displayName(props) {
  const names = namesOf(props);
  const first = state.lang === 'zh' ? names.zh : names.en;
  const second = state.lang === 'zh' ? names.en : names.zh;
  return first || second || (props?.id != null ? `#${props.id}` : '—');
}

function otherName(props) {
  const names = namesOf(props);
  const first = state.lang === 'zh' ? names.zh : names.en;
  const second = state.lang === 'zh' ? names.en : names.zh;
  return first && second && first !== second ? second : '';
}

/** The label expression for map text in the current language: the other language is the fallback. */
function labelExpression() {
  return state.lang === 'zh'
    ? ['coalesce', ['get', 'name_zh'], ['get', 'name'], ['get', 'name_en']]
    : ['coalesce', ['get', 'name_en'], ['get', 'name'], ['get', 'name_zh']];
}

function setLanguage(lang) {
  if (!STRINGS[lang]) return;
  state.lang = lang;
  try {
    localStorage.setItem('refuge.lang', lang);
  } catch {
    // not remembered, still switched
  }
  applyStaticStrings();
  renderLayerToggles();
  renderLegend();
  renderResults();
  renderSearchList();
  renderPopup();
  if (state.map) {
    localizeControls();
    if (state.styleReady) applyMapLanguage();
  }
}

function applyStaticStrings() {
  root.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
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
  button.lang = state.lang === 'zh' ? 'en' : 'zh';
  button.setAttribute('aria-label', t('langSwitchLabel'));
  button.title = t('langSwitchLabel');
}

function applyMapLanguage() {
  const map = state.map;
  for (const layer of map.getStyle().layers) {
    if (layer.metadata?.['refuge:label']) map.setLayoutProperty(layer.id, 'text-field', labelExpression());
  }
}

/** MapLibre's own control buttons: their titles follow the language too. */
function localizeControls() {
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
  const canvas = state.map.getCanvas();
  canvas.setAttribute('aria-label', t('mapLabel'));
  state.map.getContainer().setAttribute('aria-label', t('mapLabel'));
}

// ---------------------------------------------------------------- small DOM and HTTP helpers

/** Creates an element; `attrs` may hold `class`, `text`, dataset via `data-*`, and other attributes. */
function el(tag, attrs = {}, ...children) {
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

class ApiError extends Error {}

/** GET a JSON document; a non-2xx answer becomes an ApiError with the server's message. */
async function api(path, signal) {
  let response;
  try {
    response = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(t('networkError'));
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok || body?.error) {
    const message = body?.error?.message;
    throw new ApiError(message ? String(message) : t('httpError', { status: response.status }));
  }
  return body;
}

let statusTimer = 0;
function showStatus(message, kind = 'info', lingerMs = 4000) {
  const node = $('#status');
  clearTimeout(statusTimer);
  node.textContent = message || '';
  node.classList.toggle('error', kind === 'error');
  if (message && lingerMs > 0) statusTimer = setTimeout(() => showStatus(''), kind === 'error' ? 8000 : lingerMs);
}

function pointOf(feature) {
  const geometry = feature?.geometry;
  if (geometry?.type === 'Point') return geometry.coordinates.slice(0, 2);
  return null;
}

// ---------------------------------------------------------------- map

async function initialView() {
  try {
    const tilejson = await api('/tiles/facilities.json');
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

function styleLayers(predicate) {
  return state.map.getStyle().layers.filter(predicate);
}

function clickableLayers() {
  const map = state.map;
  const ids = styleLayers((layer) => layer.metadata?.['refuge:click']).map((layer) => layer.id);
  ids.push('nearest-halo');
  return ids.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
}

function featuresAt(point) {
  const box = [
    [point.x - 6, point.y - 6],
    [point.x + 6, point.y + 6],
  ];
  return state.map.queryRenderedFeatures(box, { layers: clickableLayers() });
}

/** A paint value for the nearest layers: `yes` for open shelters with room, `no` for the not-open fallback. */
function byOpen(yes, no) {
  return ['case', ['boolean', ['get', 'open'], true], yes, no];
}

function addNearestLayers() {
  const map = state.map;
  map.addSource('nearest', { type: 'geojson', data: EMPTY });
  const before = map.getLayer('pois') ? 'pois' : undefined;
  map.addLayer(
    {
      id: 'nearest-lines',
      type: 'line',
      source: 'nearest',
      filter: ['==', ['get', 'role'], 'line'],
      layout: { 'line-cap': 'round' },
      paint: {
        'line-color': byOpen(NEAREST_COLOUR.open, NEAREST_COLOUR.notOpen),
        'line-width': ['case', ['boolean', ['get', 'selected'], false], 3.5, 2],
        'line-dasharray': byOpen(['literal', [2, 1.5]], ['literal', [0.5, 2]]),
        'line-opacity': 0.85,
      },
    },
    before,
  );
  map.addLayer(
    {
      id: 'nearest-halo',
      type: 'circle',
      source: 'nearest',
      filter: ['==', ['get', 'role'], 'result'],
      paint: {
        'circle-radius': ['case', ['boolean', ['get', 'selected'], false], 19, 14],
        'circle-color': byOpen('rgba(255, 213, 0, 0.45)', 'rgba(255, 255, 255, 0.6)'),
        'circle-stroke-color': byOpen(NEAREST_COLOUR.open, NEAREST_COLOUR.notOpen),
        'circle-stroke-width': 2.5,
      },
    },
    before,
  );
  map.addLayer({
    id: 'nearest-rank',
    type: 'symbol',
    source: 'nearest',
    filter: ['==', ['get', 'role'], 'result'],
    layout: {
      'text-field': ['to-string', ['get', 'rank']],
      'text-font': ['Noto Sans Regular'],
      'text-size': 13,
      'text-offset': [0, -1.7],
      'text-allow-overlap': true,
    },
    paint: { 'text-color': byOpen(NEAREST_COLOUR.open, NEAREST_COLOUR.notOpen), 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
  });
  map.addLayer({
    id: 'nearest-origin',
    type: 'circle',
    source: 'nearest',
    filter: ['==', ['get', 'role'], 'origin'],
    paint: {
      'circle-radius': 7,
      'circle-color': '#1a73e8',
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 3,
    },
  });
}

function drawNearest() {
  const source = state.map?.getSource('nearest');
  if (!source) return;
  const nearest = state.nearest;
  if (!nearest) {
    source.setData(EMPTY);
    return;
  }
  const features = [{ type: 'Feature', geometry: { type: 'Point', coordinates: nearest.origin }, properties: { role: 'origin' } }];
  nearest.features.forEach((feature, index) => {
    const at = pointOf(feature);
    if (!at) return;
    const id = feature.id ?? feature.properties?.id;
    const selected = nearest.selected != null && String(nearest.selected) === String(id);
    const properties = { rank: index + 1, id, selected, open: nearest.withRoom };
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: [nearest.origin, at] },
      properties: { ...properties, role: 'line' },
    });
    features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: { ...properties, role: 'result' } });
  });
  source.setData({ type: 'FeatureCollection', features });
}

function fitNearest() {
  const map = state.map;
  map.resize(); // on a phone the list under the map has just grown, and the map shrunk
  const points = [state.nearest.origin, ...state.nearest.features.map(pointOf).filter(Boolean)];
  const view = map.getBounds();
  if (map.getZoom() >= GROUPED_BELOW_ZOOM && points.every((p) => view.contains(p))) return;
  const bounds = points.reduce((b, p) => b.extend(p), new maplibregl.LngLatBounds(points[0], points[0]));
  map.fitBounds(bounds, { padding: 48, maxZoom: Math.max(map.getZoom(), 15) });
}

// ---------------------------------------------------------------- nearest shelters

async function runNearest(lon, lat) {
  state.nearestAbort?.abort();
  const abort = new AbortController();
  state.nearestAbort = abort;
  state.nearest = { origin: [lon, lat], features: [], withRoom: true, error: null, selected: null, loading: true };
  drawNearest();
  renderResults();
  showStatus(t('nearestLoading'), 'info', 0);
  try {
    // No open shelter with room near: the nearest designated ones, shown as not open, and why.
    let features = await fetchNearest(lon, lat, true, abort.signal);
    const withRoom = features.length > 0;
    if (!withRoom) features = await fetchNearest(lon, lat, false, abort.signal);
    Object.assign(state.nearest, { features, withRoom, loading: false });
    showStatus(nearestSummary(state.nearest), 'info', withRoom ? 4000 : 8000);
    drawNearest();
  } catch (error) {
    if (error.name === 'AbortError') return;
    state.nearest.loading = false;
    state.nearest.error = error.message;
    showStatus(error.message, 'error');
  }
  renderResults();
  if (state.nearest.features.length > 0) fitNearest();
  if (state.nearestAbort === abort) state.nearestAbort = null;
  $('#nearest').scrollIntoView({ block: 'nearest' });
}

/** The nearest shelters' features, nearest first; `hasRoom` keeps only open shelters with room. */
async function fetchNearest(lon, lat, hasRoom, signal) {
  const query = new URLSearchParams({ lon: lon.toFixed(6), lat: lat.toFixed(6), ...NEAREST_QUERY });
  if (hasRoom) query.set('has_room', 'true');
  const collection = await api(`/api/v1/nearest?${query}`, signal);
  return Array.isArray(collection?.features) ? collection.features : [];
}

/** One sentence on a finished nearest answer: how many have room, or why none is open with room. */
function nearestSummary(nearest) {
  const n = nearest.features.length;
  if (n === 0) return t('nearestNone');
  if (!nearest.withRoom) return notOpenReason(nearest.features);
  return n === 1 ? t('nearestFoundOne') : t('nearestFound', { n });
}

/** Why none of these shelters is open with room, from the statuses they report. */
function notOpenReason(features) {
  const counts = new Map();
  for (const feature of features) {
    const status = statusOf(feature.properties) ?? 'unknown';
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const [only] = counts.keys();
  if (counts.size === 1 && dict().notOpen[only]) return t(`notOpen.${only}`);
  const statuses = joinList([...counts].map(([status, n]) => t('statusCount', { status: term('status', status), n })));
  return t('notOpenMixed', { statuses });
}

function freeText(props = {}) {
  if (props.room === 'unknown') return t('capacityUnknown');
  const free = props.available;
  const total = props.capacity;
  if (Number.isFinite(free) && Number.isFinite(total)) {
    return t('freeOf', { n: formatNumber(free), total: formatNumber(total) });
  }
  if (Number.isFinite(free)) return t('free', { n: formatNumber(free) });
  return t('freeUnknown');
}

function renderResults() {
  const list = $('#results');
  const nearest = state.nearest;
  $('#clear').hidden = !nearest;
  list.replaceChildren();
  renderNearestHeading(nearest);
  if (!nearest) return;
  if (nearest.loading) {
    list.append(el('li', { class: 'empty', text: t('nearestLoading') }));
    return;
  }
  if (nearest.error) {
    list.append(el('li', { class: 'empty error', text: nearest.error }));
    return;
  }
  if (nearest.features.length === 0) {
    list.append(el('li', { class: 'empty', text: t('nearestNone') }));
    return;
  }
  nearest.features.forEach((feature, index) => {
    const props = feature.properties ?? {};
    const id = feature.id ?? props.id;
    const selected = nearest.selected != null && String(nearest.selected) === String(id);
    const classes = ['result', selected && 'selected', !nearest.withRoom && 'not-open'].filter(Boolean).join(' ');
    const row = el(
      'li',
      { class: classes, 'data-id': id },
      el(
        'button',
        { type: 'button', onclick: () => chooseResult(feature) },
        el('span', { class: 'rank', text: index + 1 }),
        el('span', { class: 'name', text: displayName(props) }),
        el('span', { class: 'distance', text: formatDistance(Number(props.distance_m)) }),
        el('span', { class: 'free' }, nearest.withRoom ? null : statusBadge(statusOf(props)), freeText(props)),
      ),
    );
    list.append(row);
  });
}

/** The panel heading says when the list holds shelters that are not open with room, and the note says why. */
function renderNearestHeading(nearest) {
  const notOpen = Boolean(nearest && !nearest.loading && !nearest.error && !nearest.withRoom && nearest.features.length);
  const heading = $('#nearest-title');
  heading.dataset.i18n = notOpen ? 'nearestTitleNotOpen' : 'nearestTitle';
  heading.textContent = t(heading.dataset.i18n);
  const note = $('#nearest-note');
  note.textContent = notOpen ? nearestSummary(nearest) : '';
  note.hidden = !notOpen;
}

function chooseResult(feature) {
  const id = feature.id ?? feature.properties?.id;
  const at = pointOf(feature);
  if (state.nearest) state.nearest.selected = id;
  drawNearest();
  renderResults();
  if (at) focusOn(at, true);
  openFacility(id, at, feature);
}

/** Moves the map to a facility; on a short map (a phone) the point goes low so its popup fits above. */
function focusOn(at, zoomIn) {
  const map = state.map;
  const height = map.getContainer().clientHeight;
  const offset = height < 560 ? [0, Math.round(height * 0.3)] : [0, 0];
  if (zoomIn) map.flyTo({ center: at, zoom: Math.max(map.getZoom(), 16), offset });
  else if (offset[1]) map.easeTo({ center: at, offset });
}

function clearNearest() {
  state.nearestAbort?.abort();
  state.nearest = null;
  drawNearest();
  renderResults();
}

function locateMe() {
  if (!('geolocation' in navigator)) {
    showStatus(t('geoUnsupported'), 'error');
    return;
  }
  showStatus(t('locating'), 'info', 0);
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const { longitude, latitude } = position.coords;
      state.map.flyTo({ center: [longitude, latitude], zoom: Math.max(state.map.getZoom(), 15) });
      runNearest(longitude, latitude);
    },
    (error) => showStatus(error.code === 1 ? t('geoDenied') : t('geoFailed'), 'error'),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

// ---------------------------------------------------------------- facility popup

async function openFacility(id, at, hint) {
  if (id == null) return;
  closePopup();
  if (!$('#status').classList.contains('error')) showStatus('');
  const popup = new maplibregl.Popup({ closeButton: false, maxWidth: '300px', className: 'refuge-popup', focusAfterOpen: false });
  const entry = { popup, id, feature: null, hint, error: null };
  state.popup = entry;
  popup.on('close', () => {
    if (state.popup === entry) state.popup = null;
  });
  if (at) popup.setLngLat(at).addTo(state.map);
  renderPopup();
  try {
    const feature = await api(`/api/v1/facilities/${encodeURIComponent(id)}`);
    if (state.popup !== entry) return;
    entry.feature = feature;
    if (!at) {
      const point = pointOf(feature);
      if (!point) return;
      popup.setLngLat(point).addTo(state.map);
    }
  } catch (error) {
    if (state.popup !== entry) return;
    entry.error = error.message;
    showStatus(error.message, 'error');
  }
  renderPopup();
}

function closePopup() {
  const entry = state.popup;
  state.popup = null;
  entry?.popup.remove();
}

function renderPopup() {
  const entry = state.popup;
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
  else {
    const props = entry.hint?.properties ?? {};
    body = el(
      'div',
      { class: 'facility' },
      el('header', {}, el('h3', { text: entry.hint ? displayName(props) : t('loading') }), closeButton),
      entry.error ? el('p', { class: 'error', text: entry.error }) : el('p', { class: 'kind', text: t('loading') }),
    );
  }
  // The popup never gets taller than most of the map, so it fits on a phone.
  body.style.maxHeight = `${Math.max(140, Math.round(state.map.getContainer().clientHeight * 0.6))}px`;
  entry.popup.setDOMContent(body);
}

/** Used until the style has loaded; afterwards the `shelters` layer's colours (as in the legend) win. */
const STATUS_COLOURS = { open: '#1a9850', full: '#f28e2b', standby: '#2b83ba', closed: '#8c8c8c', damaged: '#c51b1b' };

/** The colour the map and the legend give a shelter status. */
function statusColour(status) {
  const pair = matchPairs(paintOf('shelters', 'circle-color')).find(([values]) => values?.includes(status));
  return pair?.[1] ?? STATUS_COLOURS[status] ?? '#666';
}

/** A status as features carry it: a string in lists and tiles, `{status, reported_at}` in details. */
function statusOf(props) {
  const status = props?.status;
  return status && typeof status === 'object' ? status.status : status || null;
}

function statusBadge(status) {
  if (!status) return null;
  return el('span', { class: 'badge', style: `background:${statusColour(status)}`, text: term('status', status) });
}

function renderFacility(feature, closeButton) {
  const p = feature.properties ?? {};
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
    row('class', term('shelterClass', p.class));
    row('space', term('space', p.space));
    row('area', num(p.effective_area_m2) == null ? null : t('squareMetres', { n: formatNumber(p.effective_area_m2) }));
    row('designCapacity', persons(p.design_capacity));
    row('capacity', persons(p.capacity));
    row('occupancy', persons(p.occupancy));
    row('available', persons(p.available), true);
    row('suitableFor', joinList((p.suitable_for ?? []).map((h) => term('hazardType', h))));
    row('amenities', joinList((p.amenities ?? []).map((a) => term('amenity', a))));
    row('serviceRadius', num(p.service_radius_m) == null ? null : formatDistance(p.service_radius_m));
  } else if (kind === 'reserve' || kind === 'micro_storage') {
    if (kind === 'reserve') {
      subtitle = `${term('kinds', kind)} · ${term('tier', p.tier)}`;
      row('mode', term('mode', p.mode));
      row('volume', num(p.volume_m3) == null ? null : t('cubicMetres', { n: formatNumber(p.volume_m3) }));
      row('leadTime', num(p.lead_time_hours) == null ? null : t('hours', { n: formatNumber(p.lead_time_hours, 1) }));
    } else {
      row('host', p.host);
      row('openHours', p.open_hours);
      row('keyholder', contactText(p.keyholder));
    }
    if (Array.isArray(p.stock)) extra = renderStock(p.stock);
  } else if (kind === 'hazard') {
    subtitle = term('hazardKind', p.hazard_kind) || subtitle;
    row('risk', term('risk', p.risk), true);
    row('influenceRadius', num(p.influence_radius_m) == null ? null : formatDistance(p.influence_radius_m));
    row('threatened', persons(p.threatened_population));
    row('responsible', p.responsible_unit);
  } else if (kind === 'poi') {
    subtitle = term('poiKind', p.poi_kind) || subtitle;
  }
  row('address', p.address);
  row('operator', p.operator);
  row('contact', contactText(p.contact));

  const status = statusOf(p);
  const reportedAt = p.status?.reported_at;
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
  const name = (s) => (state.lang === 'zh' ? s.name_zh || s.name_en : s.name_en || s.name_zh) || s.item;
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

// ---------------------------------------------------------------- search by name

function onSearchInput() {
  const search = state.search;
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
  const search = state.search;
  search.abort?.abort();
  const abort = new AbortController();
  search.abort = abort;
  search.state = 'loading';
  renderSearchList();
  try {
    const collection = await api(`/api/v1/facilities?${new URLSearchParams({ q: query, limit: '10' })}`, abort.signal);
    if (search.query !== query) return;
    search.hits = Array.isArray(collection?.features) ? collection.features : [];
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

function renderSearchList() {
  const search = state.search;
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
        { role: 'option', 'aria-selected': index === search.active ? 'true' : 'false', class: 'hit' },
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
  const search = state.search;
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
  const search = state.search;
  const query = $('#search').value.trim();
  if (search.hits.length && search.query === query) chooseHit(search.hits[Math.max(search.active, 0)]);
  else if (query) {
    clearTimeout(search.timer);
    search.query = query;
    runSearch(query);
  }
}

function hideSearchList() {
  state.search.state = null;
  renderSearchList();
}

function chooseHit(feature) {
  const props = feature.properties ?? {};
  const id = feature.id ?? props.id;
  const at = pointOf(feature);
  const input = $('#search');
  input.value = displayName(props);
  state.search.query = input.value;
  hideSearchList();
  input.blur();
  if (at) focusOn(at, true);
  openFacility(id, at, feature);
}

// ---------------------------------------------------------------- layer toggles and legend

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

function paintOf(layerId, property) {
  const map = state.map;
  if (!map || !map.getLayer(layerId)) return null;
  return map.getPaintProperty(layerId, property);
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

function renderLayerToggles() {
  const box = $('#layers');
  box.replaceChildren(
    ...GROUPS.map((group) =>
      el(
        'label',
        {},
        el('input', {
          type: 'checkbox',
          'data-group': group,
          checked: !state.hidden.has(group),
          onchange: (event) => setGroupVisible(group, event.target.checked),
        }),
        swatch(groupColour(group), GROUP_SWATCH[group][3]),
        el('span', { text: t(`layerNames.${group}`) }),
      ),
    ),
  );
}

function setGroupVisible(group, visible) {
  if (visible) state.hidden.delete(group);
  else state.hidden.add(group);
  const map = state.map;
  if (!map) return;
  for (const layer of styleLayers((l) => l.metadata?.['refuge:group'] === group)) {
    map.setLayoutProperty(layer.id, 'visibility', visible ? 'visible' : 'none');
  }
}

function renderLegend() {
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
    ]),
    el('p', { text: t('legendCluster') }),
  );
}

// ---------------------------------------------------------------- start

function wireInterface() {
  $('#lang').addEventListener('click', () => setLanguage(state.lang === 'zh' ? 'en' : 'zh'));
  $('#locate').addEventListener('click', locateMe);
  $('#clear').addEventListener('click', clearNearest);
  const input = $('#search');
  input.addEventListener('input', onSearchInput);
  input.addEventListener('keydown', onSearchKey);
  input.addEventListener('blur', () => setTimeout(hideSearchList, 150));
  input.addEventListener('focus', () => {
    if (state.search.query && state.search.hits.length) {
      state.search.state = 'done';
      renderSearchList();
    }
  });
  $('#search-box').addEventListener('submit', onSearchSubmit);
  if (window.matchMedia('(min-width: 768px)').matches) {
    $('#layers-box').open = true;
    $('#legend-box').open = true;
  }
}

async function main() {
  applyStaticStrings();
  wireInterface();
  renderLayerToggles();
  renderResults();

  const view = await initialView();
  const map = new maplibregl.Map({
    container: 'map',
    style: '/style.json',
    ...view,
    transformRequest,
    localIdeographFontFamily: CJK_FONTS,
    canvasContextAttributes: { preserveDrawingBuffer: true },
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
  });
  state.map = map;
  window.refuge = { map, setLanguage, get lang() { return state.lang; } };
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');

  map.on('error', (event) => {
    console.error('map error:', event.error?.message ?? event.error);
    showStatus(t('mapError'), 'error');
  });

  map.on('load', () => {
    state.styleReady = true;
    addNearestLayers();
    applyMapLanguage();
    for (const group of state.hidden) setGroupVisible(group, false);
    renderLayerToggles();
    renderLegend();
    localizeControls();
    drawNearest();
    map.once('idle', () => {
      root.dataset.ready = 'true';
    });
  });

  map.on('click', (event) => {
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
    if (feature.layer.id === 'nearest-halo' && state.nearest) {
      const result = state.nearest.features.find((f) => String(f.id ?? f.properties?.id) === String(id));
      if (result) {
        chooseResult(result);
        return;
      }
    }
    focusOn(at, false);
    openFacility(id, at, feature);
  });

  map.on('mousemove', (event) => {
    map.getCanvas().style.cursor = featuresAt(event.point).length ? 'pointer' : '';
  });

  listenForChanges(map);
}

// ---------------------------------------------------------------- live updates

/**
 * Follows the server's change announcements (server-sent events). After a change the tile URLs
 * carry a new data version, so re-reading the TileJSON reloads exactly the changed data; an open
 * nearest list and popup are asked again so that a shelter that just filled up drops out.
 */
function listenForChanges(map) {
  if (typeof EventSource === 'undefined') return;
  const events = new EventSource('/api/v1/events');
  let pending = 0;
  const refresh = () => {
    clearTimeout(pending);
    // Several writes in a burst cause one refresh.
    pending = setTimeout(() => {
      for (const name of ['facilities', 'coverage', 'base']) {
        const source = map.getSource(name);
        if (source && typeof source.setUrl === 'function') source.setUrl(`/tiles/${name}.json`);
      }
      if (state.nearest?.origin && !state.nearest.error) runNearest(...state.nearest.origin);
      if (state.popup?.id != null && state.popup.popup?.isOpen()) {
        openFacility(state.popup.id, state.popup.popup.getLngLat().toArray(), null);
      }
    }, 150);
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

main().catch((error) => {
  console.error(error);
  showStatus(error.message, 'error');
});
