#!/usr/bin/env node
// Builds data/ from CodeCarbon's reference data files (../shared/reference/codecarbon-data).
// Run: npm run build:data [-- path/to/codecarbon-data] (after a build: it uses the compiled CSV reader). The generated files are committed, since
// an installed package has no reference folder.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alpha2ByAlpha3 } from './iso3166.mjs';
import { cloudLocations } from './cloud-locations.mjs';
// The package's own CSV reader (npm run build:data compiles it first).
import { parseCsv } from '../dist/src/output/csv.js';
import { modelWords } from '../dist/src/sources/cpu-info.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reference = process.argv[2] ?? join(root, '..', 'shared', 'reference', 'codecarbon-data');
const out = join(root, 'data');

function buildCpuPower() {
  const [header, ...rows] = parseCsv(readFileSync(join(reference, 'hardware', 'cpu_power.csv'), 'utf8').replace(/^\uFEFF/, ''));
  if (header.join() !== 'Name,TDP') throw new Error(`cpu_power.csv: unexpected header ${header.join()}`);
  // Keyed by the name in lower case, as the lookup compares: a later row of the same name wins.
  const byKey = new Map();
  const skipped = [];
  const merged = [];
  for (const [name, tdp] of rows) {
    const w = Number(tdp);
    // Upstream has a few malformed figures (e.g. "27.29.5"): a TDP we cannot read is left out
    // and listed, never guessed.
    if (!name?.trim() || !/^\d+(\.\d+)?$/.test(tdp?.trim() ?? '') || !(w > 0)) {
      skipped.push([name, tdp]);
      continue;
    }
    const key = name.trim().toLowerCase();
    const before = byKey.get(key);
    if (before !== undefined) merged.push([before.name, name.trim()]);
    byKey.set(key, { name: name.trim(), tdpW: w });
  }
  // Text, not JSON arrays: one line per model ("name<TAB>TDP"), sorted by name in lower case
  // (UTF-16 order, as cpu-info.ts searches it), each model's count of distinct words (a base-36
  // digit), and an index from each word to the models whose name has it ("word<TAB>ordinals", as
  // base-36 gaps). A cold start then parses a few long strings (1 ms, where 4,900 small arrays
  // took 10) and matches a brand string without splitting every name (that took 25 ms on a VM).
  const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [];
  let wordCounts = '';
  const postings = new Map();
  keys.forEach((key, i) => {
    const { name, tdpW } = byKey.get(key);
    if (/[\t\n]/.test(name)) throw new Error(`cpu_power.csv: "${name}" holds a tab or a line break`);
    const words = modelWords(name);
    if (words.size === 0 || words.size > 35) throw new Error(`cpu_power.csv: "${name}" has ${words.size} words to match by (1 to 35 fit)`);
    lines.push(`${name}\t${tdpW}`);
    wordCounts += words.size.toString(36);
    for (const word of words) {
      if (!postings.has(word)) postings.set(word, []);
      postings.get(word).push(i);
    }
  });
  const words = [...postings.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = words.map((w) => `${w}\t${postings.get(w).map((x, j, all) => (j === 0 ? x : x - all[j - 1]).toString(36)).join(' ')}`);
  const doc = {
    about: 'CPU model name -> thermal design power (TDP) in watts, from CodeCarbon 3.3.0 hardware/cpu_power.csv (MIT). See data/README.md.',
    unit: 'W',
    count: lines.length,
    skipped,
    merged,
    models: lines.join('\n'),
    wordCounts,
    index: index.join('\n'),
  };
  writeFileSync(join(out, 'cpu-power.json'), JSON.stringify(doc) + '\n');
  return `${doc.count} CPU models, ${words.length} words; ${skipped.length} malformed rows left out: ${JSON.stringify(skipped)}; `
    + `names that differ only in case, the later kept: ${JSON.stringify(merged)}`;
}

const readJson = (rel) => JSON.parse(readFileSync(join(reference, rel), 'utf8'));
const lbsPerMwhToGPerKwh = 0.45359237; // 1 lb = 0.45359237 kg; per MWh → per kWh cancels the 1000

/** Per country (ISO-3): intensity with its year, and the generation mix it came with. */
function buildCountries() {
  const mix = readJson('private_infra/global_energy_mix.json');
  const countries = {};
  for (const [iso3, c] of Object.entries(mix)) {
    if (c.iso_code !== iso3) throw new Error(`global_energy_mix.json: key ${iso3} holds ${c.iso_code}`);
    // Key order is kept: the mix formula sums sources in this order, as upstream does.
    const mixTWh = Object.fromEntries(Object.entries(c).filter(([k]) => k.endsWith('_TWh')).map(([k, v]) => [k.slice(0, -4), v]));
    const iso2 = alpha2ByAlpha3[iso3];
    if (iso2 === undefined) throw new Error(`scripts/iso3166.mjs has no alpha-2 code for ${iso3}`);
    countries[iso3] = { name: c.country_name, iso2, gCo2ePerKwh: c.carbon_intensity, year: c.year, mixTWh };
  }
  const perSource = readJson('private_infra/carbon_intensity_per_source.json');
  const factors = Object.fromEntries(Object.entries(perSource).filter(([k, v]) => typeof v === 'number' && k !== 'world_average'));
  const sources = Object.fromEntries(Object.entries(perSource).filter(([k]) => k.endsWith('_source')).map(([k, v]) => [k.slice(0, -7), v]));
  writeFileSync(join(out, 'countries.json'), JSON.stringify({
    about: 'Electricity carbon intensity per country (ISO 3166-1 alpha-3, with its alpha-2 code) in gCO2e/kWh with its year, and generation per source in TWh; Our World in Data via CodeCarbon 3.3.0. Per-source life-cycle factors in gCO2e/kWh for the mix formula. See data/README.md.',
    worldAverageGCo2ePerKwh: perSource.world_average,
    sourceFactorsGCo2ePerKwh: factors,
    sourceFactorRefs: sources,
    countries,
  }) + '\n');
  return `${Object.keys(countries).length} countries, ${Object.keys(factors).length} per-source factors`;
}

/** US states, Canadian provinces, Nordic bidding zones and Google Cloud regions. */
function buildRegions() {
  const usa = readJson('private_infra/2016/usa_emissions.json');
  if (usa._unit?.emissions !== 'lbs/MWh') throw new Error(`usa_emissions.json: unit ${usa._unit?.emissions}`);
  const usStates = {};
  for (const [name, v] of Object.entries(usa)) {
    if (name === '_unit') continue;
    usStates[name] = { code: v.regionCode, lbsPerMwh: v.emissions, gCo2ePerKwh: v.emissions * lbsPerMwhToGPerKwh };
  }
  const canada = readJson('private_infra/2023/canada_energy_mix.json');
  const nordic = readJson('private_infra/nordic_emissions.json');
  const nordicZones = Object.fromEntries(Object.entries(nordic.data).map(([zone, v]) => {
    if (v.unit !== 'gCO2eq/kWh') throw new Error(`nordic_emissions.json: ${zone} unit ${v.unit}`);
    return [zone, { gCo2ePerKwh: v.emission_factor, year: v.year, description: v.description }];
  }));
  const [header, ...rows] = parseCsv(readFileSync(join(reference, 'cloud', 'impact.csv'), 'utf8').replace(/^\uFEFF/, ''));
  const col = (name) => header.indexOf(name);
  const cloudRegions = {};
  for (const r of rows) {
    // Upstream spells Doha's region me-cenrtal1; Google calls it me-central1.
    const region = r[col('region')] === 'me-cenrtal1' ? 'me-central1' : r[col('region')];
    cloudRegions[`${r[col('provider')]}:${region}`] = {
      provider: r[col('provider')], region, countryIsoCode: r[col('countryIsoCode')], countryName: r[col('country_name')],
      state: r[col('state')] || null, city: r[col('city')] || null, gCo2ePerKwh: Number(r[col('impact')]),
    };
  }
  // Where the regions without a published intensity are (scripts/cloud-locations.mjs), checked
  // against the tables they point into.
  const countryCodes = new Set(Object.keys(readJson('private_infra/global_energy_mix.json')));
  const cloudLocated = {};
  for (const [provider, list] of Object.entries(cloudLocations)) {
    for (const [region, countryIsoCode, subdivision, city] of list) {
      const key = `${provider}:${region}`;
      if (cloudRegions[key] !== undefined || cloudLocated[key] !== undefined) throw new Error(`cloud-locations.mjs: ${key} twice`);
      if (!countryCodes.has(countryIsoCode)) throw new Error(`cloud-locations.mjs: ${key}: unknown country ${countryIsoCode}`);
      const known = { USA: usStates, CAN: canada, SWE: nordicZones, NOR: nordicZones }[countryIsoCode];
      if (subdivision !== null && known?.[subdivision] === undefined) throw new Error(`cloud-locations.mjs: ${key}: unknown region ${subdivision}`);
      cloudLocated[key] = { countryIsoCode, region: subdivision, city };
    }
  }
  writeFileSync(join(out, 'regions.json'), JSON.stringify({
    about: 'Regional carbon intensity: US states (EPA eGRID 2016, lbs/MWh converted to gCO2e/kWh), Canadian provinces (2023 generation shares in %), Nordic bidding zones (ENTSO-E averages), Google Cloud regions (Google); via CodeCarbon 3.3.0. Where AWS, Azure and newer Google Cloud regions are (the providers\' region pages). See data/README.md.',
    usStates, canadaProvincesMix2023: canada, nordicZones, nordicUpdated: nordic.metadata?.last_updated ?? null, cloudRegions, cloudLocated,
    // Spellings upstream's table answers to that Google does not use: a config written for CodeCarbon keeps its figure.
    cloudAliases: { 'gcp:me-cenrtal1': 'gcp:me-central1' },
  }) + '\n');
  return `${Object.keys(usStates).length} US states, ${Object.keys(canada).length} provinces, ${Object.keys(nordicZones).length} Nordic zones, ${Object.keys(cloudRegions).length} cloud regions with an intensity, ${Object.keys(cloudLocated).length} located`;
}

mkdirSync(out, { recursive: true });
console.log(`data/cpu-power.json: ${buildCpuPower()}`);
console.log(`data/countries.json: ${buildCountries()}`);
console.log(`data/regions.json: ${buildRegions()}`);
