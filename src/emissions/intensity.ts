// Carbon intensity of a kWh anywhere: CodeCarbon 3.3.0's static lookup order, with its sources named.
import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';
import { countryTable, regionTable, type CountryRow } from './data.js';

/** Where an intensity figure came from. */
export type IntensitySource =
  | 'forced' | 'cloud-region' | 'us-state' | 'canada-province' | 'nordic-zone'
  | 'country' | 'country-mix' | 'world-average' | 'electricity-maps';

/** What to look up: a country (ISO-3 code or name), a region in it, or a cloud region. */
export interface IntensityQuery {
  readonly countryIsoCode?: string | null;
  readonly region?: string | null;
  readonly cloudProvider?: string | null;
  readonly cloudRegion?: string | null;
  /** force_carbon_intensity_g_co2e_kwh: wins over every table. */
  readonly forceGCo2ePerKwh?: number | null;
  /** Country figures from CodeCarbon's data (default) or Ember's yearly averages (CO2.js). */
  readonly dataset?: 'codecarbon' | 'ember';
}

/** The two country datasets: CodeCarbon's (parity) or Ember's, as CO2.js ships it. */
export type IntensityDataset = 'codecarbon' | 'ember' | 'electricitymaps';

/** A kWh's emissions where the query points, and how that figure was found. */
export interface Intensity {
  readonly gCo2ePerKwh: number;
  readonly source: IntensitySource;
  readonly dataset: IntensityDataset;
  /** Year of the figure; null when the table gives none (a forced value). */
  readonly year: number | null;
  /** One line a person can read, naming the table and the key used. */
  readonly detail: string;
  readonly countryIsoCode: string | null;
  readonly countryName: string | null;
}

/** Upstream's fossil factors for Canadian provinces, in kg/kWh (hard-coded there, kept as is). */
const canadaFactorsKgPerKwh = { coal: 0.995725971, petroleum: 0.8166885263, naturalGas: 0.7438415916 };
const canadaCodes: Record<string, string> = {
  ab: 'alberta', bc: 'british columbia', mb: 'manitoba', nb: 'new brunswick', nl: 'newfoundland and labrador',
  ns: 'nova scotia', nt: 'northwest territories', nu: 'nunavut', on: 'ontario', pe: 'prince edward island',
  qc: 'quebec', sk: 'saskatchewan', yt: 'yukon',
};
const nordicCountries: Record<string, RegExp> = { SWE: /^SE[1-4]$/, NOR: /^NO[1-5]$/, FIN: /^FI$/ };
/** IEA Global Energy & CO2 Status Report 2019, upstream's world average. */
const worldAverageYear = 2019;
/** Google's region figures in upstream's impact.csv were updated mid-2024. */
const cloudTableYear = 2024;

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** The `n` labels whose keys come closest to `input` (case-insensitive edit distance). */
export function closest(input: string, candidates: readonly (readonly [label: string, ...keys: string[]])[], n = 3): string[] {
  const x = input.trim().toLowerCase();
  return candidates
    .map(([label, ...keys]) => [label, Math.min(...(keys.length > 0 ? keys : [label]).map((k) => distance(x, k.toLowerCase())))] as const)
    .sort((p, q) => p[1] - q[1] || p[0].localeCompare(q[0])).slice(0, n).map(([label]) => label);
}

/**
 * ISO-3 code for a country given as an ISO-3 or ISO-2 code or an English name, any case.
 * @throws ConfigError listing the closest valid codes.
 */
export function resolveCountry(input: string, origin = 'argument'): string {
  if (typeof input !== 'string') {
    throw new ConfigError('country_iso_code', origin, `expected an ISO-3 or ISO-2 code or a country name as a string (e.g. "FRA"), got ${JSON.stringify(input) ?? typeof input}`);
  }
  const { countries } = countryTable();
  const code = input.trim().toUpperCase();
  if (countries[code] !== undefined) return code;
  const byIso2 = code.length === 2 ? Object.entries(countries).find(([, c]) => c.iso2 === code) : undefined;
  if (byIso2 !== undefined) return byIso2[0];
  const byName = Object.entries(countries).find(([, c]) => c.name.toLowerCase() === input.trim().toLowerCase());
  if (byName !== undefined) return byName[0];
  const near = closest(input, Object.entries(countries).map(([iso, c]) => [`${iso} (${c.name})`, iso, c.iso2, c.name] as const));
  throw new ConfigError('country_iso_code', origin, `unknown country ${JSON.stringify(input)}; closest: ${near.join(', ')}`);
}

function fromCountry(iso3: string, row: CountryRow, note: string): Intensity {
  const base = { dataset: 'codecarbon' as const, countryIsoCode: iso3, countryName: row.name };
  if (row.gCo2ePerKwh !== 0) {
    return { ...base, gCo2ePerKwh: row.gCo2ePerKwh, source: 'country', year: row.year,
      detail: `${row.name} (${iso3}), ${row.year}, Our World in Data${note}` };
  }
  // Upstream's fallback for a zero intensity: per-source factors weighted by generation, used only
  // when the sources with a factor add up to the total exactly, else the world average.
  const { sourceFactorsGCo2ePerKwh: factors, worldAverageGCo2ePerKwh: world } = countryTable();
  let twh = 0;
  let weighted = 0;
  for (const [source, value] of Object.entries(row.mixTWh)) {
    const f = factors[source];
    if (f === undefined) continue;
    twh += value;
    weighted += value * f;
  }
  if (twh > 0 && twh === row.mixTWh['total']) {
    return { ...base, gCo2ePerKwh: weighted / twh, source: 'country-mix', year: row.year,
      detail: `${row.name} (${iso3}), ${row.year} generation mix × per-source life-cycle factors${note}` };
  }
  return { ...base, gCo2ePerKwh: world, source: 'world-average', year: worldAverageYear,
    detail: `world average (IEA 2019): no usable figure for ${row.name} (${iso3})${note}` };
}

/**
 * Ember's yearly average for a country (or its WORLD figure), from @tgwf/co2 (CC BY-SA 4.0 data).
 * The package gives no year: the latest year Ember has for each country, so `year` stays null.
 */
function fromEmber(iso3: string | null, name: string | null, note: string): Intensity {
  const data = emberData();
  const own = iso3 === null ? undefined : data[iso3];
  const g = own ?? data['WORLD']!;
  return { gCo2ePerKwh: g, source: own === undefined ? 'world-average' : 'country', dataset: 'ember', year: null,
    detail: `${own === undefined ? `world average${iso3 === null ? '' : ` (Ember has no figure for ${iso3})`}` : `${name} (${iso3})`}, `
      + `Ember yearly average (latest year) via @tgwf/co2 ${emberVersion}${note}`,
    countryIsoCode: iso3, countryName: name };
}

const emberVersion = '0.19.0';
let ember: Readonly<Record<string, number>> | undefined;

function emberData(): Readonly<Record<string, number>> {
  // Synchronous and lazy: only a tracker that asks for the ember dataset loads it.
  ember ??= (createRequire(import.meta.url)('@tgwf/co2/data') as { averageIntensity: { data: Record<string, number> } }).averageIntensity.data;
  return ember;
}

/**
 * The row's carbon_intensity_source: `<source>: <detail>`, the detail's opening words not said twice
 * (`world-average (IEA 2019): no country known`, not `world-average: world average (IEA 2019): …`).
 */
export function sourceText(i: Pick<Intensity, 'source' | 'detail'>): string {
  const words = i.source.replace(/-/g, ' ');
  return i.detail.startsWith(words) ? `${i.source}${i.detail.slice(words.length)}` : `${i.source}: ${i.detail}`;
}

function worldAverage(why: string): Intensity {
  return { gCo2ePerKwh: countryTable().worldAverageGCo2ePerKwh, source: 'world-average', dataset: 'codecarbon',
    year: worldAverageYear, detail: `world average (IEA 2019): ${why}`, countryIsoCode: null, countryName: null };
}

function fromRegion(iso3: string, region: string, row: CountryRow): Intensity | null {
  const { usStates, canadaProvincesMix2023, nordicZones } = regionTable();
  const base = { dataset: 'codecarbon' as const, countryIsoCode: iso3, countryName: row.name };
  const key = region.trim().toLowerCase();
  if (iso3 === 'USA') {
    const name = usStates[key] !== undefined ? key : Object.keys(usStates).find((s) => usStates[s]!.code.toLowerCase() === key);
    if (name === undefined) {
      throw new ConfigError('region', 'argument', `unknown US state ${JSON.stringify(region)}; closest: ${closest(region, Object.entries(usStates).map(([n, v]) => [n, n, v.code] as const)).join(', ')}`);
    }
    const s = usStates[name]!;
    return { ...base, gCo2ePerKwh: s.gCo2ePerKwh, source: 'us-state', year: 2016,
      detail: `US state ${name} (${s.code}), EPA eGRID 2016, ${s.lbsPerMwh} lbs/MWh` };
  }
  if (iso3 === 'CAN') {
    const name = canadaProvincesMix2023[key] !== undefined ? key : canadaCodes[key];
    const mix = name === undefined ? undefined : canadaProvincesMix2023[name];
    if (mix === undefined || name === undefined) {
      throw new ConfigError('region', 'argument', `unknown Canadian province ${JSON.stringify(region)}; closest: ${closest(region, Object.keys(canadaProvincesMix2023).map((n) => [n] as const)).join(', ')}`);
    }
    const total = mix['total']!;
    const kgPerKwh = (mix['coal']! / total) * canadaFactorsKgPerKwh.coal + (mix['petroleum']! / total) * canadaFactorsKgPerKwh.petroleum
      + (mix['naturalGas']! / total) * canadaFactorsKgPerKwh.naturalGas;
    return { ...base, gCo2ePerKwh: kgPerKwh * 1000, source: 'canada-province', year: 2023,
      detail: `Canadian province ${name}, 2023 generation mix (coal, petroleum and gas counted; other sources as zero)` };
  }
  const zonePattern = nordicCountries[iso3];
  const zone = region.trim().toUpperCase();
  if (zonePattern !== undefined && zonePattern.test(zone)) {
    const z = nordicZones[zone]!;
    return { ...base, gCo2ePerKwh: z.gCo2ePerKwh, source: 'nordic-zone', year: z.year,
      detail: `Nordic bidding zone ${zone} (${z.description}), ENTSO-E average ${z.year}` };
  }
  return null;
}

/**
 * Why a region given with a country is not used for the intensity (the country's figure is, as
 * upstream does): the country has no regional table, or the region is none of its Nordic bidding
 * zones. Null when it is used, when nothing says which country, when the lookup refuses them (an
 * unknown country, US state or Canadian province: the tracker says so), and with a cloud or a
 * forced intensity (they decide the figure).
 */
export function unusedRegion(q: IntensityQuery): string | null {
  if (!q.region || !q.countryIsoCode || q.cloudProvider || (q.forceGCo2ePerKwh !== undefined && q.forceGCo2ePerKwh !== null)) return null;
  let iso3: string;
  let regional: Intensity | null;
  try {
    iso3 = resolveCountry(q.countryIsoCode);
    regional = fromRegion(iso3, q.region, countryTable().countries[iso3]!);
  } catch {
    return null;
  }
  if (regional !== null) return null;
  const row = countryTable().countries[iso3]!;
  const zones = nordicCountries[iso3];
  if (zones !== undefined) {
    return `it is none of ${row.name}'s (${iso3}) Nordic bidding zones (${Object.keys(regionTable().nordicZones).filter((z) => zones.test(z)).join(', ')})`;
  }
  return `the tables have no regional figures for ${row.name} (${iso3}), only for US states, Canadian provinces and Nordic bidding zones`;
}

const exampleRegion: Readonly<Record<string, string>> = { gcp: 'europe-west1', aws: 'eu-west-3', azure: 'francecentral' };

/**
 * Why a cloud provider and region given are in no table (a typo, most likely), with the fix; null
 * when the tables know them. Said once by a tracker: its figure is then the country's or the world's.
 */
export function unknownCloud(provider: string | null | undefined, region: string | null | undefined): string | null {
  if (!provider || !region) return null;
  const p = provider.trim().toLowerCase();
  const r = region.trim().toLowerCase();
  const { cloudRegions, cloudLocated, cloudAliases } = regionTable();
  const keys = [...Object.keys(cloudRegions), ...Object.keys(cloudLocated)];
  const key = `${p}:${r}`;
  if (cloudRegions[key] !== undefined || cloudLocated[key] !== undefined || cloudAliases[key] !== undefined) return null;
  const providers = [...new Set(keys.map((k) => k.split(':')[0]!))];
  if (!providers.includes(p)) {
    return `cloud_provider ${JSON.stringify(provider)} is none of ${providers.join(', ')}: its region's figure cannot be found, so the country `
      + 'given (or the world average) is used; check cloud_provider';
  }
  const near = closest(r, keys.filter((k) => k.startsWith(`${p}:`)).map((k) => [k.slice(p.length + 1)] as const));
  return `cloud_region ${JSON.stringify(region)} is no ${p} region in the tables (closest: ${near.join(', ')}): the country given (or the `
    + 'world average) is used; check cloud_region';
}

/**
 * A cloud region: Google's figure when the impact table has one; else where the region is (its
 * country, and its US state, Canadian province or Nordic zone when known), said in the note; else
 * the country given with the query.
 */
function fromCloud(q: IntensityQuery): Intensity | { note: string; countryIsoCode?: string; region?: string | null } {
  const provider = q.cloudProvider!.trim().toLowerCase();
  const region = q.cloudRegion?.trim().toLowerCase();
  if (!region) {
    throw new ConfigError('cloud_region', 'argument', `a cloud_region is needed with cloud_provider ${JSON.stringify(q.cloudProvider)} `
      + `(e.g. ${JSON.stringify(exampleRegion[provider] ?? exampleRegion['gcp'])})`);
  }
  const { cloudRegions, cloudLocated, cloudAliases } = regionTable();
  const row = cloudRegions[`${provider}:${region}`] ?? cloudRegions[cloudAliases[`${provider}:${region}`] ?? ''];
  if (row !== undefined) {
    return { gCo2ePerKwh: row.gCo2ePerKwh, source: 'cloud-region', dataset: 'codecarbon', year: cloudTableYear,
      detail: `${provider} region ${region} (${row.region === region ? '' : `CodeCarbon's spelling of ${row.region}, `}${row.city ?? row.countryName}), `
        + 'Google Cloud region carbon data',
      countryIsoCode: row.countryIsoCode, countryName: row.countryName };
  }
  const at = cloudLocated[`${provider}:${region}`];
  const none = provider === 'gcp' ? `gcp region ${region} is not in Google's table` : `${provider} publishes no grid intensity for ${region}`;
  if (at !== undefined) {
    return { note: `; ${none}, so that of its location (${at.city}) is used`, countryIsoCode: at.countryIsoCode, region: at.region };
  }
  return { note: `; ${none} and its location is not in the tables, so ${q.countryIsoCode ? 'the country given' : 'no country'} is used` };
}

/**
 * Grid carbon intensity for a location, synchronous, from data/ (CodeCarbon's order: forced,
 * cloud region, US state / Canadian province / Nordic zone, country, country mix, world average).
 * With `dataset: 'ember'` the country and world figures are Ember's; regional tables stay CodeCarbon's.
 * @throws ConfigError for an unknown country, US state or Canadian province (with the closest ones).
 */
export function intensityFor(q: IntensityQuery = {}): Intensity {
  if (q.forceGCo2ePerKwh !== undefined && q.forceGCo2ePerKwh !== null) {
    if (!(q.forceGCo2ePerKwh >= 0) || !Number.isFinite(q.forceGCo2ePerKwh)) {
      throw new ConfigError('force_carbon_intensity_g_co2e_kwh', 'argument', `expected a number >= 0, got ${q.forceGCo2ePerKwh}`);
    }
    // The figure is forced; where the machine is still says which country the row is in, as upstream.
    const where = intensityFor({ ...q, forceGCo2ePerKwh: null });
    return { gCo2ePerKwh: q.forceGCo2ePerKwh, source: 'forced', dataset: 'codecarbon', year: null,
      detail: 'force_carbon_intensity_g_co2e_kwh', countryIsoCode: where.countryIsoCode, countryName: where.countryName };
  }
  let note = '';
  if (q.cloudProvider) {
    const cloud = fromCloud(q);
    if ('gCo2ePerKwh' in cloud) return cloud;
    note = cloud.note;
    // Where the region is wins over a country given (or geolocated) with it.
    if (cloud.countryIsoCode !== undefined) q = { ...q, countryIsoCode: cloud.countryIsoCode, region: cloud.region };
  }
  const ember = q.dataset === 'ember';
  if (!q.countryIsoCode) return ember ? fromEmber(null, null, `: no country known${note}`) : worldAverage(`no country known${note}`);
  const iso3 = resolveCountry(q.countryIsoCode);
  const row = countryTable().countries[iso3]!;
  if (q.region) {
    const regional = fromRegion(iso3, q.region, row);
    if (regional !== null) return note === '' ? regional : { ...regional, detail: regional.detail + note };
  }
  return ember ? fromEmber(iso3, row.name, note) : fromCountry(iso3, row, note);
}
