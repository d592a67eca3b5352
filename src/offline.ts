// OfflineEmissionsTracker: no network, so the location must be given.
import { ConfigError } from './errors.js';
import type { Intensity } from './emissions/intensity.js';
import { EmissionsTracker } from './tracker.js';

/** A tracker that never goes online: it needs countryIsoCode, or cloudProvider with cloudRegion. */
export class OfflineEmissionsTracker extends EmissionsTracker {
  protected override locate(): { intensity: Intensity; lookup?: boolean } {
    const o = this.options;
    if (!o.countryIsoCode && !(o.cloudProvider && o.cloudRegion) && o.forceCarbonIntensityGCo2eKwh === null) {
      const origin = this.origins['countryIsoCode'] ?? 'default';
      throw new ConfigError(origin === 'argument' ? 'countryIsoCode' : 'country_iso_code', origin,
        'an offline tracker needs countryIsoCode (an ISO-3 code such as "FRA", or a country name), or cloudProvider with '
        + 'cloudRegion (in a config file: country_iso_code, or cloud_provider with cloud_region)');
    }
    return { intensity: super.locate().intensity }; // never online
  }
}
