// Libraries loaded only by the output that needs them: importing this package must not pay for
// prom-client (about 100 ms) or OpenTelemetry when neither output is on.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** prom-client, a dependency of this package (CommonJS, so required synchronously at the output's construction). */
export function promClient(): typeof import('prom-client') {
  return load('prom-client') as typeof import('prom-client');
}

/**
 * The application's `@opentelemetry/api` (an optional peer dependency), or null when it is not
 * installed. Its global MeterProvider is shared by every copy of the API of the same major version.
 */
export function otelApi(): typeof import('@opentelemetry/api') | null {
  try {
    return load('@opentelemetry/api') as typeof import('@opentelemetry/api');
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
}

/** node:net, for the scrape endpoint's server: most trackers never serve anything. */
export function nodeNet(): typeof import('node:net') {
  return load('node:net') as typeof import('node:net');
}
