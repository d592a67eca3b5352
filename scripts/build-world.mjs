#!/usr/bin/env node
// Builds data/world.json: country outlines (Natural Earth 1:110m via world-atlas) as SVG paths, keyed by ISO-3.
// Run: node scripts/build-world.mjs. The output is committed: the dashboard then needs neither the
// TopoJSON (105 KB) nor a projection library at run time, only these ready-made paths.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';

const require = createRequire(import.meta.url);
const countries = require('i18n-iso-countries');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const topology = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'));
const atlasVersion = JSON.parse(readFileSync(require.resolve('world-atlas/package.json'), 'utf8')).version;

// The three shapes Natural Earth gives no ISO number; CodeCarbon's table has none of them but Kosovo
// is XKX in some datasets, so they are kept under their names' customary codes.
const unnumbered = { 'N. Cyprus': 'CYN', Somaliland: 'SOL', Kosovo: 'XKX' };

// Equal Earth (Šavrič, Patterson, Jenny 2018): equal-area, so no country looks bigger than it is.
const [a1, a2, a3, a4] = [1.340264, -0.081106, 0.000893, 0.003796];
const m = Math.sqrt(3) / 2;
function project([lon, lat]) {
  const l = (lon * Math.PI) / 180;
  const t = Math.asin(m * Math.sin((lat * Math.PI) / 180));
  const t2 = t * t;
  const t6 = t2 * t2 * t2;
  const x = (2 * Math.sqrt(3) * l * Math.cos(t)) / (3 * (9 * a4 * t6 * t2 + 7 * a3 * t6 + 3 * a2 * t2 + a1));
  const y = t * (a1 + a2 * t2 + t6 * (a3 + a4 * t2));
  return [x, -y];
}

const width = 960;
const scale = width / (2 * 2.7066);
// Northernmost land (Greenland, 83.7°N) at the top edge: the map keeps no empty Arctic band.
const yTop = project([0, 84])[1] * scale;
function ring(coords) {
  const pts = [];
  for (const c of coords) {
    const [x, y] = project(c);
    const p = [Math.round(x * scale + width / 2), Math.round(y * scale - yTop)];
    const last = pts[pts.length - 1];
    if (last === undefined || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
  }
  return pts.length < 3 ? '' : `M${pts.map((p) => p.join(' ')).join(' ')}Z`;
}

/**
 * world-atlas leaves rings that cross the antimeridian (Fiji, Chukotka) uncut: a jump from 180° to
 * -180° would draw a stripe across the map. Such a ring is unwrapped into continuous longitudes and
 * drawn twice, once on each side; the SVG's viewBox clips what falls outside.
 */
function unwrapped(coords) {
  const out = [coords[0]];
  for (const [lon, lat] of coords.slice(1)) {
    const prev = out[out.length - 1][0];
    out.push([lon + 360 * Math.round((prev - lon) / 360), lat]);
  }
  const lons = out.map((c) => c[0]);
  if (Math.max(...lons) > 180) return [out, out.map(([lon, lat]) => [lon - 360, lat])];
  if (Math.min(...lons) < -180) return [out, out.map(([lon, lat]) => [lon + 360, lat])];
  return [out];
}

function path(geometry) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.flatMap((rings) => rings.flatMap(unwrapped).map(ring)).join('');
}

const shapes = {};
for (const f of feature(topology, topology.objects.countries).features) {
  const iso3 = f.id === undefined ? unnumbered[f.properties.name] : countries.numericToAlpha3(f.id);
  if (iso3 === undefined) throw new Error(`world-atlas: no ISO-3 code for ${f.properties.name} (${f.id})`);
  if (iso3 === 'ATA') continue; // Antarctica: no grid, and half the map's height
  const d = path(f.geometry);
  if (d !== '') shapes[iso3] = { name: f.properties.name, d };
}
const doc = {
  about: `Country outlines, Natural Earth 1:110m (public domain) via world-atlas ${atlasVersion}, Equal Earth projection, `
    + `${width} px wide, integer coordinates; keyed by ISO 3166-1 alpha-3. Built by scripts/build-world.mjs. See data/README.md.`,
  width,
  height: Math.round(project([0, -56])[1] * scale - yTop) + 1,
  countries: shapes,
};
writeFileSync(join(root, 'data', 'world.json'), JSON.stringify(doc) + '\n');
console.log(`data/world.json: ${Object.keys(shapes).length} countries`);
