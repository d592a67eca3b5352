// What most benchmarks start from: a started tracker over one fake RAPL package, in a temp dir,
// configured only by its arguments (no environment, no config file, no home directory).
import { OfflineEmissionsTracker } from '../src/offline.js';
import type { TrackerOptions } from '../src/types.js';
import { FakeRapl, tempDir } from '../test/helpers/sysfs.js';

export interface BenchTracker {
  readonly tracker: OfflineEmissionsTracker;
  readonly rapl: FakeRapl;
  readonly dir: string;
  /** The options it was made with (France's intensity, its own output dir, the fake package). */
  readonly options: TrackerOptions;
}

/** A tracker over a fake RAPL package, started and ready (its sampler has published samples). */
export async function benchTracker(extra: TrackerOptions = {}): Promise<BenchTracker> {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-bench-');
  const options: TrackerOptions = { countryIsoCode: 'FRA', outputDir: dir, raplDir: rapl.root, logLevel: 'error', ...extra };
  const tracker = new OfflineEmissionsTracker(options, { env: {}, cwd: dir, home: dir });
  tracker.start();
  await tracker.ready();
  return { tracker, rapl, dir, options };
}
