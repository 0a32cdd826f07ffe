// An offline map package (`refuge export --format pmtiles`): the map of one area from the archive
// refuge.pmtiles beside this page, through MapLibre's pmtiles:// protocol. Served by any static
// server (python3 -m http.server, a USB stick with a tiny server); no Refuge server is asked for
// anything. Browsers do not fetch from file:// pages, hence the static server.

/* global maplibregl, pmtiles */

const CJK_FONTS =
  "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', sans-serif";
const FACILITY_LAYERS = ['shelters', 'reserves', 'micro_storage', 'hazards-point', 'hazards-zone', 'pois'];
const here = new URL('.', window.location.href).href;

const protocol = new pmtiles.Protocol();
maplibregl.addProtocol('pmtiles', protocol.tile);

async function start() {
  const response = await fetch('style.json');
  if (!response.ok) throw new Error(`style.json: ${response.status}`);
  const style = await response.json();
  // The style names the archive and glyphs relative to this folder; MapLibre wants them whole.
  for (const source of Object.values(style.sources)) {
    if (source.url?.startsWith('pmtiles://') && !source.url.includes('://', 10)) {
      source.url = `pmtiles://${here}${source.url.slice('pmtiles://'.length)}`;
    }
  }
  style.glyphs = here + style.glyphs;
  const archive = new pmtiles.PMTiles(new ArchiveSource(style.sources.refuge.url.slice('pmtiles://'.length)));
  protocol.add(archive);
  const header = await archive.getHeader();
  const metadata = await archive.getMetadata();
  describe(metadata);

  const map = new maplibregl.Map({
    container: 'map',
    style,
    bounds: [[header.minLon, header.minLat], [header.maxLon, header.maxLat]],
    fitBoundsOptions: { padding: 16 },
    maxBounds: widened(header, 0.5),
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: { compact: true },
  });
  window.refugeMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.on('error', (event) => console.error('map error:', event.error?.message ?? event.error));
  map.on('click', (event) => {
    const layers = FACILITY_LAYERS.filter((id) => map.getLayer(id));
    const [feature] = map.queryRenderedFeatures(event.point, { layers });
    if (feature) showPopup(map, feature, event.lngLat);
  });
  for (const id of FACILITY_LAYERS) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
  map.once('load', () => renderLegend(style));
  map.once('idle', () => { document.documentElement.dataset.ready = 'true'; });
}

/**
 * The archive's bytes: by HTTP ranges where the server serves them, else the whole file once.
 * Python's http.server, like many tiny servers on a USB stick, answers a range request with the
 * whole file, which pmtiles.js's own fetching refuses.
 */
class ArchiveSource {
  constructor(url) {
    this.url = url;
    this.ranges = new pmtiles.FetchSource(url);
    this.first = null;
  }

  getKey() {
    return this.url;
  }

  async getBytes(offset, length, signal, etag) {
    this.first ??= this.probe(offset, length);
    const first = await this.first;
    if (first.whole) return { data: first.whole.slice(offset, offset + length) };
    if (!first.taken) {
      first.taken = true;
      if (first.offset === offset && first.length === length) return { data: first.data, etag: first.etag };
    }
    return this.ranges.getBytes(offset, length, signal, etag);
  }

  /** The first read, which finds out whether the server serves ranges. */
  async probe(offset, length) {
    const response = await fetch(this.url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    if (!response.ok) throw new Error(`${this.url}: ${response.status} ${response.statusText}`);
    const data = await response.arrayBuffer();
    if (response.status === 206) return { offset, length, data, etag: response.headers.get('ETag') ?? undefined };
    return { whole: data };
  }
}

/** What the symbols mean, read from the style's colours, in both languages. */
const LEGEND = [
  ['shelters', 'Shelters by status · 避难场所状态', { open: 'open 开放', full: 'full 已满', standby: 'standby 待命', closed: 'closed 关闭', damaged: 'damaged 受损' }],
  ['reserves', 'Reserve depots · 物资储备库', { district: 'district 区级', subdistrict: 'sub-district 街镇级', community: 'community 社区级' }],
  ['micro_storage', 'Micro-storage · 微型储备点', null],
  ['hazards-point', 'Hazards by risk · 风险源', { major: 'major 重大', large: 'large 较大', general: 'general 一般', low: 'low 低' }],
];

function renderLegend(style) {
  const box = document.getElementById('legend');
  for (const [id, title, names] of LEGEND) {
    const layer = style.layers.find((l) => l.id === id);
    const colour = layer?.paint?.['circle-color'];
    if (!colour) continue;
    const heading = document.createElement('h2');
    heading.textContent = title;
    const list = document.createElement('ul');
    const entries = Array.isArray(colour) && colour[0] === 'match' ? matchPairs(colour) : [[null, colour]];
    for (const [value, fill] of entries) {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = fill;
      item.append(swatch, names ? (names[value] ?? value) : title.split(' · ')[0]);
      list.append(item);
    }
    box.append(heading, list);
  }
}

/** [value, colour] pairs of a `match` expression, fallback left out. */
function matchPairs(expression) {
  const pairs = [];
  for (let i = 2; i + 1 < expression.length; i += 2) {
    for (const value of [expression[i]].flat()) pairs.push([value, expression[i + 1]]);
  }
  return pairs;
}

/** What the header says: which data, as of when. */
function describe(metadata) {
  const made = metadata.made_at ? new Date(metadata.made_at) : null;
  const when = made && !Number.isNaN(made.getTime())
    ? made.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
    : 'an unknown time';
  document.getElementById('about').textContent =
    `${metadata.name ?? 'Offline map'} · data as of ${when} (version ${metadata.version ?? '?'}) · 数据截至 ${when}`;
}

/** The archive's bounds with a margin of `share` of their size on each side. */
function widened(header, share) {
  const dx = (header.maxLon - header.minLon) * share;
  const dy = (header.maxLat - header.minLat) * share;
  return [
    [Math.max(-180, header.minLon - dx), Math.max(-85, header.minLat - dy)],
    [Math.min(180, header.maxLon + dx), Math.min(85, header.maxLat + dy)],
  ];
}

/** A facility's names, status and figures, as the tile carries them. */
function showPopup(map, feature, at) {
  const p = feature.properties;
  const box = document.createElement('div');
  box.className = 'popup';
  const title = document.createElement('h2');
  title.textContent = [p.name_zh, p.name_en].filter(Boolean).join(' · ') || p.kind || 'Facility';
  box.append(title);
  const line = (text) => {
    if (!text) return;
    const paragraph = document.createElement('p');
    paragraph.textContent = text;
    box.append(paragraph);
  };
  line([p.shelter_type ?? p.tier ?? p.poi_kind ?? p.hazard_kind ?? p.kind, p.status, p.risk].filter(Boolean).join(' · '));
  if (p.point_count > 1) line(`${p.point_count} facilities here; zoom in`);
  if (Number.isFinite(p.capacity)) {
    line(Number.isFinite(p.occupancy) ? `${p.occupancy} / ${p.capacity} people` : `room for ${p.capacity} people`);
  }
  if (Number.isFinite(p.influence_radius_m)) line(`influence radius ${p.influence_radius_m} m`);
  new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(at).setDOMContent(box).addTo(map);
}

try {
  await start();
} catch (error) {
  const problem = document.getElementById('problem');
  problem.textContent = `The map could not be opened: ${error?.message ?? error}`;
  problem.hidden = false;
  document.documentElement.dataset.ready = 'failed';
}
