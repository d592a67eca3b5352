// Which outputs a tracker writes to: output_methods over the save_to_* flags (as upstream), the
// webhook whenever emissions_endpoint is set, the scrape endpoint whenever prometheus_listen_address
// is, then the user's output_handlers.
import { keySpecs, outputMethodNames } from '../config/keys.js';
import { ConfigError } from '../errors.js';
import type { ResolvedOptions } from '../tracker.js';
import { ApiOutput } from './api.js';
import { LoggerOutput, type LoggingLogger } from './logger.js';
import { OtelOutput } from './otel.js';
import { Outputs, type NamedOutput, type Output, type OutputWarn } from './output.js';
import { PushgatewayOutput } from './pushgateway.js';
import type { MetricRecord } from './record.js';
import { ScrapeOutput } from './scrape.js';
import { WebhookOutput } from './webhook.js';

/** CodeCarbon 3.3.0's OutputMethod values, then this port's own: output_methods takes no other name (the key table refuses it). */
export const upstreamMethods = outputMethodNames;

/** The ones this port writes. */
export const supportedMethods = ['csv', 'api', 'logger', 'prometheus', 'otel'] as const;

const supportedText = `${supportedMethods.join(', ')} (and emissions_endpoint for a webhook, prometheus_listen_address `
  + 'for a scrape endpoint)';

/** The output methods asked for: output_methods when given (the flags are then ignored), else the save_to_* flags. */
export function methodsOf(o: ResolvedOptions): string[] {
  if (o.outputMethods !== null && o.outputMethods !== undefined) {
    return ([] as string[]).concat(o.outputMethods).map((m) => m.trim().toLowerCase()).filter((m) => m !== '');
  }
  const flags: [boolean | null | undefined, string][] = [[o.saveToFile, 'csv'], [o.saveToApi, 'api'], [o.saveToLogger, 'logger'],
    [o.saveToPrometheus, 'prometheus'], [o.saveToLogfire, 'logfire']];
  return flags.filter(([on]) => on === true).map(([, m]) => m);
}

/** What a tracker writes to: whether CSV is on, the other outputs built, and what to say about the choice. */
export interface Chosen {
  readonly csv: boolean;
  readonly others: readonly NamedOutput[];
  readonly warnings: readonly string[];
}

/** A user's handler: camelCase hooks, or upstream's snake_case names (live_out, task_out). */
function handler(h: Record<string, unknown>): Output {
  const hook = (camel: string, snake: string): ((...a: unknown[]) => unknown) | undefined => {
    const f = (h[camel] ?? h[snake]) as ((...a: unknown[]) => unknown) | undefined;
    return typeof f === 'function' ? (...a: unknown[]) => f.apply(h, a) : undefined;
  };
  const [out, liveOut, taskOut, exit] = [hook('out', 'out'), hook('liveOut', 'live_out'), hook('taskOut', 'task_out'), hook('exit', 'exit')];
  return { ...(out && { out }), ...(liveOut && { liveOut }), ...(taskOut && { taskOut }), ...(exit && { exit }) } as Output;
}

/** CodeCarbon's default experiment_id: its shared demo experiment on the hosted API. */
const demoExperiment = keySpecs.find((k) => k.key === 'experiment_id')!.default;

/**
 * What to say about the choice of outputs itself (a tracker says it once, at its start; `codecarbon
 * config` too); `origins` names where each key came from.
 */
export function choiceWarnings(o: ResolvedOptions, origins?: Readonly<Record<string, string>>): string[] {
  const methods = methodsOf(o);
  const warnings: string[] = [];
  const from = (k: string): string => (origins?.[k] === undefined || origins[k] === 'default' ? '' : ` (from ${origins[k]})`);
  if (methods.includes('prometheus') && process.env['PROMETHEUS_USERNAME'] && userinfo.test(o.prometheusUrl ?? '')) {
    warnings.push(`prometheus_url${from('prometheusUrl')} carries a user:password and PROMETHEUS_USERNAME is set: the Pushgateway `
      + 'is asked with PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD (as CodeCarbon does); drop one of them');
  }
  if (methods.includes('api') && !o.experimentId?.trim()) {
    warnings.push(`the API output is on but experiment_id is empty${from('experimentId')}: the CodeCarbon API cannot create a run `
      + 'for it, so nothing is uploaded; set experiment_id to your experiment\'s id (`codecarbon config` shows where each key comes from)');
  } else if (methods.includes('api') && (!o.apiKey || o.apiKey === 'api_key') && o.experimentId !== demoExperiment) {
    warnings.push(`the API output is on for experiment_id ${o.experimentId}${from('experimentId')} but api_key is not set (CodeCarbon's `
      + 'placeholder "api_key"): the uploads carry no project token, and the API takes them only if that experiment accepts '
      + 'uploads without one; set api_key to the project\'s token');
  }
  for (const m of new Set(methods)) {
    if (!(supportedMethods as readonly string[]).includes(m)) {
      warnings.push(`the ${m} output is not supported by this port yet: it is ignored; the supported ones are ${supportedText}`);
    }
  }
  const hasLogger = o.loggingLogger !== null && o.loggingLogger !== undefined;
  if (methods.includes('logger') && !hasLogger) {
    warnings.push('the logger output needs logging_logger: pass loggingLogger (console, a pino or winston logger) in code');
  } else if (!methods.includes('logger') && hasLogger) {
    warnings.push('loggingLogger is given but the logger output is not on: nothing is logged; add "logger" to outputMethods '
      + '(or saveToLogger: true)');
  }
  return warnings;
}

/**
 * The outputs for these options. `origins` (when given: a tracker, not a fork) makes a URL that
 * cannot be parsed a ConfigError naming where it came from. `current` reads the run's record so
 * far, for the outputs that serve figures while it runs (scrape endpoint, OpenTelemetry).
 * @throws ConfigError for an emissions_endpoint, prometheus_url or prometheus_listen_address that cannot be used,
 *   or a logging_logger.level the logger has no method for (and no log()).
 */
export function chooseOutputs(o: ResolvedOptions, warn: OutputWarn, origins?: Readonly<Record<string, string>>,
  current: () => MetricRecord | null = () => null): Chosen {
  const methods = methodsOf(o);
  const warnings = choiceWarnings(o, origins);
  const others: NamedOutput[] = [];
  if (methods.includes('api')) {
    others.push({ name: 'CodeCarbon API', output: new ApiOutput({ endpoint: o.apiEndpoint, apiKey: o.apiKey, experimentId: o.experimentId,
      endpointOrigin: origins?.['apiEndpoint'] ?? 'argument', keyOrigin: origins?.['apiKey'], experimentOrigin: origins?.['experimentId'] },
    own(warn, 'api')) });
  }
  if (methods.includes('logger') && o.loggingLogger !== null && o.loggingLogger !== undefined) {
    others.push({ name: 'logger', output: new LoggerOutput(o.loggingLogger as LoggingLogger, origins?.['loggingLogger'] ?? 'argument') });
  }
  if (o.emissionsEndpoint) {
    try {
      others.push({ name: 'webhook', output: new WebhookOutput(o.emissionsEndpoint, own(warn, 'webhook')) });
    } catch {
      throw new ConfigError('emissions_endpoint', origins?.['emissionsEndpoint'] ?? 'argument',
        `expected an http:// or https:// URL such as http://host:port/path, got ${JSON.stringify(hideCredentials(o.emissionsEndpoint))}`);
    }
  }
  others.push(...metricOutputs(o, methods, warn, current, origins));
  (o.outputHandlers ?? []).forEach((h, i) => others.push({ name: `outputHandlers[${i}]`, output: handler(h as unknown as Record<string, unknown>) }));
  return { csv: methods.includes('csv'), others, warnings };
}

/** The Pushgateway (prometheus), OpenTelemetry (otel) and scrape endpoint (prometheus_listen_address) outputs asked for. */
function metricOutputs(o: ResolvedOptions, methods: readonly string[], warn: OutputWarn, current: () => MetricRecord | null,
  origins?: Readonly<Record<string, string>>): NamedOutput[] {
  const list: NamedOutput[] = [];
  const [project, experiment] = [o.projectName!, o.experimentName!];
  if (methods.includes('prometheus')) {
    try {
      list.push({ name: 'Pushgateway', output: new PushgatewayOutput({ url: o.prometheusUrl!, projectName: project, experimentName: experiment,
        username: process.env['PROMETHEUS_USERNAME'], password: process.env['PROMETHEUS_PASSWORD'] }, own(warn, 'pushgateway')) });
    } catch (e) {
      throw new ConfigError('prometheus_url', origins?.['prometheusUrl'] ?? 'argument', (e as Error).message.replace(/^.*?: /, ''));
    }
  }
  if (methods.includes('otel')) list.push({ name: 'OpenTelemetry', output: new OtelOutput(current, experiment, own(warn, 'otel')) });
  if (o.prometheusListenAddress) {
    const origin = origins?.['prometheusListenAddress'] ?? 'argument';
    list.push({ name: 'scrape endpoint', output: new ScrapeOutput(o.prometheusListenAddress, current, experiment, own(warn, 'scrape'), origin) });
  }
  return list;
}

/** Kinds said for every run: what the run did not deliver (`API:unsent`, `webhook-abandoned`…), with its amount. */
const eachRun = /(^|[:-])(unsent|abandoned|in-doubt)$/;

/** The output failures already said, per options object (a tracker and its forks: a decorated function's calls). */
const saidFor = new WeakMap<object, Set<string>>();

/**
 * A tracker's outputs (CSV first when on) and whether CSV is on. Failures are said through `warn`
 * once per kind for the options object (what a run did not deliver, at each run's end); `pending` (a tracker, not a fork) takes what to say about
 * the choice itself; `current` reads the run's record so far (for the scrape endpoint and otel).
 * @throws ConfigError for an emissions_endpoint, prometheus_url or prometheus_listen_address that cannot be used,
 *   or a logging_logger.level the logger has no method for (and no log()).
 */
export function outputsOf(o: ResolvedOptions, csv: Output, warn: (message: string) => void,
  origins?: Readonly<Record<string, string>>, pending?: string[], current?: () => MetricRecord | null): [Outputs, boolean] {
  const once: OutputWarn = (kind, message) => {
    // What a run did not deliver is that run's own amount: said at each run's end.
    if (eachRun.test(kind)) return void warn(message);
    let said = saidFor.get(o);
    if (said === undefined) saidFor.set(o, said = new Set());
    if (said.has(kind)) return;
    said.add(kind);
    warn(message);
  };
  // A decorated function forks a tracker per call: when the options choose no output but the CSV
  // (the usual case), the choice is made once for them all.
  const plain = plainFor.get(o);
  if (plain !== undefined && origins === undefined) return [new Outputs(plain ? [{ name: 'CSV', output: csv }] : [], once), plain];
  const chosen = chooseOutputs(o, once, origins, current);
  if (chosen.others.length === 0) plainFor.set(o, chosen.csv);
  pending?.push(...chosen.warnings);
  return [new Outputs(chosen.csv ? [{ name: 'CSV', output: csv }, ...chosen.others] : chosen.others, once), chosen.csv];
}

/** Options that choose no output but (perhaps) the CSV: whether the CSV is on. */
const plainFor = new WeakMap<object, boolean>();

/** A URL's user:password part, with a scheme or without one as prometheus_url may be (user:password@host:9091). */
const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#\s]*@/i; // to the last '@' before the path, as the URL parser reads it

/** A URL-like text with any user:password in it masked, for messages. */
export function hideCredentials(text: string): string {
  return text.replace(userinfo, '$1****@');
}

/** An output's own warnings: its kinds (abandoned, unsent, …) said once for it, not once for every output. */
function own(warn: OutputWarn, output: string): OutputWarn {
  return (kind, message) => warn(`${output}:${kind}`, message);
}
