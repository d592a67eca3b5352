// What the lookups (location, cloud, Electricity Maps) and the outputs share: one bounded HTTP
// exchange, why it failed, and its JSON body.
import type { IncomingHttpHeaders } from 'node:http';

/** An answer, read whole. */
export interface Answer {
  readonly status: number;
  /** A 2xx status. */
  readonly ok: boolean;
  /** Header names in lower case. */
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** How to ask: the method, the headers, and the signal that bounds the exchange. */
export interface AskOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Ends the whole exchange, connection to last byte (AbortSignal.timeout for a time-out). */
  readonly signal: AbortSignal;
  /** A request body (sent with its Content-Length). */
  readonly body?: string;
  /**
   * Whether the exchange keeps the process alive until it ends (bounded by `signal`): an output's
   * upload should land when the program finishes right after stop(); a lookup should not hold it.
   */
  readonly holdsProcess?: boolean;
}

/** Failures of ask() that came after the whole request had been written: the server may have acted on it. */
const afterSending = new WeakSet<object>();

/**
 * Whether a failed ask() had handed its whole request to the network (its time-out or reset came
 * while the answer was awaited): the server may have received it and acted on it, so sending it
 * again could do it twice. False for a refused connection or a request cut short: it was not taken.
 */
export function requestWasSent(e: unknown): boolean {
  return typeof e === 'object' && e !== null && afterSending.has(e);
}

/** A lookup answer is a few hundred bytes; a larger one is not a metadata or location service. */
const maxBodyBytes = 1 << 20;

/**
 * One request, its answer read whole (at most 1 MiB; redirects are not followed). Unless
 * `holdsProcess`, its socket does not keep the process alive: a program that has finished exits
 * even with a lookup in flight.
 * @throws the signal's reason (a TimeoutError), or the system error (`code` ECONNREFUSED…);
 *   requestWasSent() tells whether the server may have received the request.
 */
export async function ask(url: string | URL, o: AskOptions): Promise<Answer> {
  const u = new URL(url);
  // Loaded on first use: most trackers never ask anything (https pulls in TLS).
  const { request } = u.protocol === 'https:' ? await import('node:https') : await import('node:http');
  o.signal.throwIfAborted();
  return new Promise<Answer>((resolve, reject) => {
    const headers = o.body === undefined ? o.headers : { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) };
    const req = request(u, { method: o.method ?? 'GET', headers, agent: false });
    let done = false;
    let why: Error | null = null; // what ended the exchange on our side, whatever event reports it first
    let written = false; // the whole request went to the network ('finish')
    const end = (e: Error | null, answer?: Answer): void => {
      if (done) return;
      done = true;
      o.signal.removeEventListener('abort', onAbort);
      if (e === null) return resolve(answer!);
      const failure: unknown = o.signal.aborted ? o.signal.reason : why ?? e;
      if (written && typeof failure === 'object' && failure !== null) afterSending.add(failure);
      reject(failure);
    };
    const onAbort = (): void => { req.destroy(o.signal.reason as Error); };
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (o.holdsProcess !== true) req.on('socket', (s) => s.unref());
    req.on('finish', () => { written = true; });
    req.on('error', (e) => end(e));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes <= maxBodyBytes) return void chunks.push(c);
        why = new Error(`the answer is larger than ${maxBodyBytes >> 20} MiB`);
        req.destroy(why);
      });
      res.on('error', (e) => end(e));
      res.on('close', () => end(new Error('the connection closed before the answer was complete')));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        end(null, { status, ok: status >= 200 && status < 300, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(o.body);
  });
}

/** Why a request failed, in a few words: its time-out, the system error code, or the message. */
export function askFailure(e: unknown, timeoutMs: number): string {
  const err = e as Error & { code?: string };
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // Node's HTTP parser codes (HPE_INVALID_CONSTANT…) say little to a reader.
  if (typeof err.code === 'string' && err.code.startsWith('HPE_')) return 'the answer is not HTTP';
  // A system error's code (ECONNREFUSED) says it; this package's own errors say it in their message.
  return err.code !== undefined && !err.code.startsWith('ERR_CODECARBON') ? err.code : err.message;
}

/** The JSON body of a successful answer. @throws Error `HTTP <status>` or `the answer is not JSON`. */
export function jsonBody(res: Answer): unknown {
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  try {
    return JSON.parse(res.text);
  } catch {
    throw new Error('the answer is not JSON');
  }
}
