// The webhook (`emissions_endpoint`): a POST of the total record, every CSV field plus `user`, at
// every flush and stop, as CodeCarbon's HTTPOutput; 201 expected. Posts go one after the other.
import { userInfo } from 'node:os';
import { ask, askFailure } from '../emissions/http.js';
import type { Abandonable, Output, OutputWarn } from './output.js';
import type { EmissionsRecord } from './record.js';

/** Upstream's time-out for the webhook. */
export const webhookTimeoutMs = 10_000;

/** Posts waiting behind the one in flight: past this, the oldest waiting one is dropped (its figures are in the later totals). */
const maxWaiting = 100;

/** The login name, as upstream's getpass.getuser(); '' where there is none (a container without a passwd entry). */
function user(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? '';
  }
}

export class WebhookOutput implements Output, Abandonable {
  #chain: Promise<void> = Promise.resolve();
  #waiting = 0;
  /** Posts queued or in flight. */
  #undelivered = 0;
  #dropped = 0;

  /** The URL as messages show it: without any user:password it carries. */
  readonly #shown: string;

  /** @throws TypeError for text that is not an http(s) URL (a ConfigError naming its origin, from chooseOutputs). */
  constructor(readonly url: string, readonly warn: OutputWarn, readonly timeoutMs = webhookTimeoutMs) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${u.protocol}`);
    const secret = u.username !== '' || u.password !== '';
    u.username = '';
    u.password = '';
    this.#shown = secret ? u.href : url;
  }

  /** Queues the POST of `total`; resolves when it has been answered or has failed. */
  out(total: EmissionsRecord): Promise<void> {
    const body = JSON.stringify({ ...total, user: user() });
    if (this.#waiting >= maxWaiting) {
      this.#dropped++;
      this.warn('webhook-backlog', `${this.#shown} answers more slowly than records come: older totals were skipped `
        + `(${this.#dropped} so far; each later total includes their figures)`);
      return this.#chain;
    }
    this.#waiting++;
    this.#undelivered++;
    this.#chain = this.#chain.then(() => { this.#waiting--; return this.#post(body); }).finally(() => { this.#undelivered--; });
    return this.#chain;
  }

  async #post(body: string): Promise<void> {
    let status: number;
    try {
      const answer = await ask(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body,
        signal: AbortSignal.timeout(this.timeoutMs), holdsProcess: true });
      status = answer.status;
    } catch (e) {
      const why = askFailure(e, this.timeoutMs);
      const kind = (e as Error).name === 'TimeoutError' ? 'timeout' : (e as { code?: string }).code ?? 'error';
      return this.warn(`webhook-${kind}`, `the webhook ${this.#shown} could not be reached (${why}): this record `
        + 'was not posted (the CSV and the other outputs have it); check emissions_endpoint');
    }
    if (status !== 201) {
      this.warn(`webhook-http-${status}`, `the webhook ${this.#shown} answered HTTP ${status}, not 201 Created: the record `
        + 'may not have been stored; check emissions_endpoint');
    }
  }

  abandon(): void {
    if (this.#undelivered === 0) return;
    this.warn('webhook-abandoned', `the process exited before ${this.#undelivered} record(s) were posted to ${this.#shown}: `
      + 'they are in the CSV and the other outputs; await tracker.delivered() before process.exit() to send them');
  }

  /** Resolves once every queued post has been answered or has failed. */
  exit(): Promise<void> {
    return this.#chain;
  }
}
