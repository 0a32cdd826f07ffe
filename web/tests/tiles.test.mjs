// Tiles read back with an independent decoder (@mapbox/vector-tile, the one Mapbox GL uses):
// every sampled facility is in its tile, at its place, with its attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';

const BASE = process.env.REFUGE_URL ?? 'http://127.0.0.1:8080';

async function json(path) {
  const response = await fetch(BASE + path);
  assert.equal(response.status, 200, `${path} answered ${response.status}`);
  return response.json();
}

function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return {
    x: Math.floor(((lon + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n),
    z,
  };
}

const LAYER = { shelter: 'shelters', reserve: 'reserves', micro_storage: 'micro_storage', poi: 'pois' };

test('sampled facilities decode to the right layer, place and attributes', async () => {
  const { features } = await json('/api/v1/facilities?limit=1000');
  const sample = features.filter((f) => LAYER[f.properties.kind]).filter((_, i) => i % 3 === 0);
  assert.ok(sample.length >= 20, `a sample of ${sample.length}`);
  for (const facility of sample) {
    const [lon, lat] = facility.geometry.coordinates;
    for (const z of [14, 16]) {
      const { x, y } = tileOf(lon, lat, z);
      const response = await fetch(`${BASE}/tiles/facilities/${z}/${x}/${y}.mvt`);
      assert.equal(response.status, 200);
      const tile = new VectorTile(new Pbf(new Uint8Array(await response.arrayBuffer())));
      const layer = tile.layers[LAYER[facility.properties.kind]];
      assert.ok(layer, `layer ${LAYER[facility.properties.kind]} in ${z}/${x}/${y}`);
      let found = null;
      for (let i = 0; i < layer.length; i++) {
        const feature = layer.feature(i);
        if (feature.id === facility.id) found = feature;
      }
      assert.ok(found, `facility ${facility.id} in ${z}/${x}/${y}`);
      const [dlon, dlat] = found.toGeoJSON(x, y, z).geometry.coordinates;
      // One tile unit at zoom z is 360° / 2^z / 4096 of longitude.
      const unit = 360 / 2 ** z / 4096;
      assert.ok(Math.abs(dlon - lon) <= unit && Math.abs(dlat - lat) <= unit, `${facility.id} at ${dlon},${dlat} vs ${lon},${lat}`);
      const name = facility.properties.name;
      if (name.en) assert.equal(found.properties.name_en, name.en);
      if (name.zh) assert.equal(found.properties.name_zh, name.zh);
      assert.equal(found.properties.status, facility.properties.status);
    }
  }
});

test('base tiles hold Monaco streets with names, and hazard zones are polygons', async () => {
  const { x, y, z } = tileOf(7.42, 43.735, 16);
  const response = await fetch(`${BASE}/tiles/base/${z}/${x}/${y}.mvt`, { headers: { 'Accept-Encoding': 'gzip' } });
  const tile = new VectorTile(new Pbf(new Uint8Array(await response.arrayBuffer())));
  const roads = tile.layers.roads;
  assert.ok(roads && roads.length > 10, 'streets');
  const names = new Set();
  for (let i = 0; i < roads.length; i++) names.add(roads.feature(i).properties.name);
  assert.ok([...names].some((n) => typeof n === 'string' && n.length > 3), 'named streets');
  assert.ok(tile.layers.buildings.length > 10, 'buildings');

  const port = tileOf(7.4183, 43.7313, 15);
  const hazards = new VectorTile(
    new Pbf(new Uint8Array(await (await fetch(`${BASE}/tiles/facilities/15/${port.x}/${port.y}.mvt`)).arrayBuffer())),
  ).layers.hazards;
  let polygons = 0;
  for (let i = 0; i < hazards.length; i++) if (hazards.feature(i).type === 3) polygons++;
  assert.ok(polygons > 0, 'hazard zones and influence circles are polygons');
});
