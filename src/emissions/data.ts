// Lazy loaders for the carbon-intensity tables in data/ (read on the first lookup, then kept).
import { readFileSync } from 'node:fs';

/** One country of data/countries.json. */
export interface CountryRow {
  readonly name: string;
  /** ISO 3166-1 alpha-2 code. */
  readonly iso2: string;
  readonly gCo2ePerKwh: number;
  readonly year: number;
  /** Generation per source in TWh, in upstream's key order. */
  readonly mixTWh: Readonly<Record<string, number>>;
}

export interface CountryTable {
  readonly worldAverageGCo2ePerKwh: number;
  readonly sourceFactorsGCo2ePerKwh: Readonly<Record<string, number>>;
  readonly countries: Readonly<Record<string, CountryRow>>;
}

export interface CloudRegionRow {
  readonly provider: string;
  readonly region: string;
  readonly countryIsoCode: string;
  readonly countryName: string;
  readonly state: string | null;
  readonly city: string | null;
  readonly gCo2ePerKwh: number;
}

export interface RegionTable {
  readonly usStates: Readonly<Record<string, { code: string; lbsPerMwh: number; gCo2ePerKwh: number }>>;
  readonly canadaProvincesMix2023: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly nordicZones: Readonly<Record<string, { gCo2ePerKwh: number; year: number; description: string }>>;
  readonly cloudRegions: Readonly<Record<string, CloudRegionRow>>;
  /** `provider:region` → where it is, for regions with no published intensity (AWS, Azure, newer GCP). */
  readonly cloudLocated: Readonly<Record<string, { countryIsoCode: string; region: string | null; city: string }>>;
  /** `provider:region` spellings of upstream's table (its typo me-cenrtal1) → the key they stand for. */
  readonly cloudAliases: Readonly<Record<string, string>>;
}

function load<T>(file: string): () => T {
  let cached: T | undefined;
  return () => (cached ??= JSON.parse(readFileSync(new URL(`../../../data/${file}`, import.meta.url), 'utf8')) as T);
}

export const countryTable = load<CountryTable>('countries.json');
export const regionTable = load<RegionTable>('regions.json');
