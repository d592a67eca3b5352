// A tracker's location and the intensity it implies: static, geolocated, or Electricity Maps' latest.
import type { ResolvedOptions } from '../tracker.js';
import { countryTable } from './data.js';
import { sharedLiveIntensity } from './electricitymaps.js';
import { detectCloudOnce, geolocate, graceMs, within, type CloudFound, type Located, type Lookup } from './geolocate.js';
import { intensityFor, type Intensity } from './intensity.js';
import type { CloudLocation } from './cloud.js';
import type { GeoLocation } from './location.js';

const lookupFix = 'set countryIsoCode (codecarbon monitor --offline --country-iso-code XXX)';

export class Whereabouts {
  readonly #static: Intensity;
  #geo: Lookup<Located> | null = null;
  #cloud: Lookup<CloudFound> | null = null;
  #dataset: 'codecarbon' | 'ember' = 'codecarbon';
  #forced: number | null = null;
  #timeoutMs = 0;
  /** The figure for the lookups' last seen answers (intensityFor() is not free; records read it often). */
  #memo: { geo: Located | undefined; cloud: CloudFound | undefined; intensity: Intensity } | null = null;
  #live: { gCo2ePerKwh: number; detail: string } | null = null;

  constructor(initial: Intensity, readonly warn: (message: string) => void) {
    this.#static = initial;
  }

  /** The intensity in use: Electricity Maps' latest when known, else the static or looked-up figure. */
  get intensity(): Intensity {
    const base = this.#located();
    if (this.#live === null || base.source === 'forced' || base.source === 'cloud-region') return base;
    return { ...base, gCo2ePerKwh: this.#live.gCo2ePerKwh, source: 'electricity-maps', dataset: 'electricitymaps',
      year: new Date().getFullYear(), detail: this.#live.detail };
  }

  get geo(): GeoLocation | null {
    return this.#geo?.result?.location ?? null;
  }

  /** The cloud region found by the metadata services, or null. */
  get cloud(): CloudLocation | null {
    return this.#cloud?.result?.cloud ?? null;
  }

  /**
   * Joins the process's location lookup and cloud detection (started by the first tracker that
   * needs them). Resolves once both have answered or their waiting windows have closed (about one
   * time-out, once per process), having said, once per process, that no location was found.
   */
  lookUp(o: ResolvedOptions, running: () => boolean): Promise<void> {
    this.#dataset = o.carbonIntensityDataset;
    this.#forced = o.forceCarbonIntensityGCo2eKwh;
    this.#timeoutMs = o.locationTimeoutMs;
    this.#geo = geolocate({ geojsUrl: o.geojsUrl, ipinfoUrl: o.ipinfoUrl, timeoutMs: o.locationTimeoutMs,
      cacheFile: o.locationCacheFile === '' ? null : o.locationCacheFile ?? undefined });
    this.#cloud = o.cloudMetadataUrl ? detectCloudOnce({ baseUrl: o.cloudMetadataUrl, timeoutMs: o.cloudMetadataTimeoutMs }) : null;
    const geo = this.#geo;
    return Promise.all([geo.waited, this.#cloud?.waited]).then(() => {
      if (running()) this.#tell(geo); // not if stopped or discarded meanwhile
    });
  }

  /** Says, once per process, that rows use the world average because no location is known (yet). */
  #tell(geo: Lookup<Located>): void {
    // With a forced intensity no figure depends on the location: nothing to warn about.
    if (geo.told || this.geo !== null || this.cloud !== null || this.#forced !== null) return;
    geo.told = true;
    const found = geo.result;
    if (found === undefined) {
      this.warn(`this machine's location was not found within location_timeout_ms (${this.#timeoutMs} ms; geojs, then ipinfo, `
        + 'are still being asked): until it is, emissions use the world average (475 g/kWh), said in carbon_intensity_source; '
        + `no country is assumed; ${lookupFix}`);
    } else {
      this.warn(`this machine's location could not be found (${found.failures.join('; ')}): emissions use the world `
        + `average (475 g/kWh), no country is assumed; this process does not ask again; ${lookupFix}`);
    }
  }

  /**
   * The static figure for what the lookups have found so far: a cloud region first (its table
   * figure, or where it is), else the geolocated country and region; with neither, the world
   * average, saying why.
   */
  #located(): Intensity {
    const geo = this.#geo?.result;
    const cloud = this.#cloud?.result;
    if (this.#geo === null) return this.#static;
    if (this.#memo !== null && this.#memo.geo === geo && this.#memo.cloud === cloud) return this.#memo.intensity;
    const g = geo?.location ?? null;
    const c = cloud?.cloud ?? null;
    let intensity: Intensity;
    if (g === null && c === null) {
      const why = geo === undefined ? 'the location lookup had not answered when this was written' : 'the location lookup failed';
      // A forced figure stands whatever the lookup gave: its detail is not about the location.
      intensity = this.#static.source === 'forced' ? this.#static : { ...this.#static, detail: `${this.#static.detail} (${why})` };
    } else {
      const q = { cloudProvider: c?.provider, cloudRegion: c?.region, countryIsoCode: g?.countryIsoCode, dataset: this.#dataset,
        forceGCo2ePerKwh: this.#forced };
      try {
        intensity = intensityFor({ ...q, region: g?.region });
      } catch {
        intensity = intensityFor(q); // a region the tables do not know
      }
    }
    this.#memo = { geo, cloud, intensity };
    return intensity;
  }

  /**
   * With electricitymaps_api_token: the latest live figure, asked at most once per measurePowerSecs
   * in the process, between the cloud table and the regional tables in CodeCarbon's order. A
   * failure keeps the static figure for the rest of the process, with one warning that never
   * shows the token.
   */
  async refreshLive(o: ResolvedOptions): Promise<void> {
    const base = this.#located();
    if (!o.electricitymapsApiToken || base.source === 'forced' || base.source === 'cloud-region') return;
    const geo = this.geo;
    // country_2letter_iso_code, as upstream asks Electricity Maps with it; else the country's own.
    const zone = o.country2letterIsoCode || (base.countryIsoCode === null ? null : countryTable().countries[base.countryIsoCode]?.iso2 ?? null);
    // Its socket does not hold the process: waited for here at most one time-out, holding it.
    const answer = await within(sharedLiveIntensity({ baseUrl: o.electricitymapsUrl, token: o.electricitymapsApiToken,
      latitude: geo?.latitude, longitude: geo?.longitude, zone, timeoutMs: o.locationTimeoutMs }, o.measurePowerSecs * 1000),
    o.locationTimeoutMs + graceMs);
    if (answer === undefined) return; // late: the figure in use stays, this answer serves the next rows
    if (answer.gCo2ePerKwh !== null) {
      const where = geo?.latitude != null ? `at ${geo.latitude},${geo.longitude}` : `zone ${zone}`;
      this.#live = { gCo2ePerKwh: answer.gCo2ePerKwh, detail: `Electricity Maps, latest, ${where}` };
      return;
    }
    this.#live = null;
    if (!answer.told) {
      answer.told = true;
      this.warn(`Electricity Maps could not be read (${answer.failure}): the static figure is used (${base.source}) for the rest `
        + 'of this process; check electricitymaps_api_token and electricitymaps_url');
    }
  }
}
