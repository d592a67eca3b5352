// A tracker over fake hardware in temp dirs, with no config file in reach.
import { OfflineEmissionsTracker } from '../../src/offline.js';
import { EmissionsTracker } from '../../src/tracker.js';
import type { TrackerOptions } from '../../src/types.js';
import { FakeRapl, tempDir } from './sysfs.js';

/** A geolocation URL whose connection is refused at once. */
export const noService = 'http://127.0.0.1:1/';

/** An offline tracker (France) reading one fake RAPL package, writing CSV into a temp dir. */
export function fakeTracker(options: TrackerOptions = {}, Kind: typeof EmissionsTracker = OfflineEmissionsTracker) {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-out-');
  // Nothing listens on port 1: an online tracker's lookup is refused at once (ECONNREFUSED), with no traffic.
  const tracker = new Kind({ countryIsoCode: 'FRA', outputDir: dir, raplDir: rapl.root, samplePeriodMs: 50, logLevel: 'error',
    geojsUrl: noService, ipinfoUrl: noService, locationCacheFile: '', cloudMetadataUrl: noService, ...options },
    { env: {}, cwd: dir, home: dir });
  return { tracker, rapl, dir };
}
