// A tracker's location and the intensity it implies: static, geolocated, or Electricity Maps' latest.
import { performance } from 'node:perf_hooks';
import type { ResolvedOptions } from '../tracker.js';
import { countryTable } from './data.js';
import { liveIntensity } from './electricitymaps.js';
import { intensityFor, type Intensity } from './intensity.js';
import type { CloudLocation } from './cloud.js';
import type { GeoLocation } from './location.js';

export class Whereabouts {
  #static: Intensity;
  #geo: GeoLocation | null = null;
  #cloud: CloudLocation | null = null;
  #live: { atMs: number; intensity: Intensity } | null = null;
  #liveWarned = false;

  constructor(initial: Intensity, readonly warn: (message: string) => void) {
    this.#static = initial;
  }

  /** The intensity in use: Electricity Maps' latest when known, else the static figure. */
  get intensity(): Intensity {
    return this.#live?.intensity ?? this.#static;
  }

  get geo(): GeoLocation | null {
    return this.#geo;
  }

  /** The cloud region found by the metadata services, or null. */
  get cloud(): CloudLocation | null {
    return this.#cloud;
  }

  /**
   * Applies what the lookups found: a cloud region first (its table figure, or where it is), else
   * the geolocated country and region; with neither, the world average, said once.
   */
  located(found: { location: GeoLocation | null; failures: readonly string[] }, cloud: CloudLocation | null,
    dataset: 'codecarbon' | 'ember'): void {
    const g = found.location;
    if (g === null && cloud === null) {
      return this.warn(`this machine's location could not be found (${found.failures.join('; ')}): emissions use the world `
        + 'average (475 g/kWh), no country is assumed; set countryIsoCode (codecarbon monitor --offline --country-iso-code XXX)');
    }
    this.#geo = g;
    this.#cloud = cloud;
    const q = { cloudProvider: cloud?.provider, cloudRegion: cloud?.region, countryIsoCode: g?.countryIsoCode, dataset };
    try {
      this.#static = intensityFor({ ...q, region: g?.region });
    } catch {
      this.#static = intensityFor(q); // a region the tables do not know
    }
  }

  /**
   * With electricitymaps_api_token: the latest live figure, asked at most once per measurePowerSecs,
   * between the cloud table and the regional tables in CodeCarbon's order. Any failure keeps the
   * static figure, with one warning that never shows the token.
   */
  async refreshLive(o: ResolvedOptions): Promise<void> {
    const base = this.#static;
    if (!o.electricitymapsApiToken || base.source === 'forced' || base.source === 'cloud-region') return;
    if (this.#live !== null && performance.now() - this.#live.atMs < o.measurePowerSecs! * 1000) return;
    const geo = this.#geo;
    const zone = base.countryIsoCode === null ? null : countryTable().countries[base.countryIsoCode]?.iso2 ?? null;
    try {
      const g = await liveIntensity({ baseUrl: o.electricitymapsUrl!, token: o.electricitymapsApiToken,
        latitude: geo?.latitude, longitude: geo?.longitude, zone, timeoutMs: o.locationTimeoutMs! });
      const where = geo?.latitude != null ? `at ${geo.latitude},${geo.longitude}` : `zone ${zone}`;
      this.#live = { atMs: performance.now(), intensity: { ...base, gCo2ePerKwh: g, source: 'electricity-maps',
        dataset: 'electricitymaps', year: new Date().getFullYear(), detail: `Electricity Maps, latest, ${where}` } };
    } catch (e) {
      if (!this.#liveWarned) {
        this.#liveWarned = true;
        this.warn(`Electricity Maps could not be read (${(e as Error).message}): the static figure is used (${base.source})`);
      }
    }
  }
}
