// The cold-start anchor's worker: an ES module that only flips a shared word as soon as it runs.
import { workerData } from 'node:worker_threads';

const word = new Int32Array((workerData as { header: SharedArrayBuffer }).header);
Atomics.store(word, 0, 1);
Atomics.notify(word, 0);
