// One location lookup per process and set of services, shared by every online tracker.
import { locate, type GeoLocation, type LocateOptions } from './location.js';

const lookups = new Map<string, Promise<{ location: GeoLocation | null; failures: string[] }>>();

/** locate(), once per process for the same options; a failed lookup is tried again next time. */
export function geolocate(o: LocateOptions): Promise<{ location: GeoLocation | null; failures: string[] }> {
  const key = JSON.stringify(o);
  let p = lookups.get(key);
  if (p === undefined) {
    p = locate(o).then((r) => {
      if (r.location === null) lookups.delete(key);
      return r;
    });
    lookups.set(key, p);
  }
  return p;
}
