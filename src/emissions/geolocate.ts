// One location lookup and one cloud detection per process and set of services, shared by every online tracker.
import { detectCloud, type CloudDetectOptions, type CloudLocation } from './cloud.js';
import { locate, type GeoLocation, type LocateOptions } from './location.js';

/** `run` once per key while it succeeds; a failed answer is asked again next time. */
function once<O, R>(run: (o: O) => Promise<R>, failed: (r: R) => boolean): (o: O) => Promise<R> {
  const pending = new Map<string, Promise<R>>();
  return (o) => {
    const key = JSON.stringify(o);
    let p = pending.get(key);
    if (p === undefined) {
      p = run(o).then((r) => {
        if (failed(r)) pending.delete(key);
        return r;
      });
      pending.set(key, p);
    }
    return p;
  };
}

/** locate(), once per process for the same options. */
export const geolocate: (o: LocateOptions) => Promise<{ location: GeoLocation | null; failures: string[] }> =
  once(locate, (r) => r.location === null);

/** detectCloud(), once per process for the same options (off the cloud, the answer is kept too). */
export const detectCloudOnce: (o: CloudDetectOptions) => Promise<{ cloud: CloudLocation | null; failures: string[] }> =
  once(detectCloud, () => false);
