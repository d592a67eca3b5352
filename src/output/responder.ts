// A small HTTP/1.1 server over node:net for an endpoint that answers GET and HEAD of a few paths
// with text: node:http's request and response objects cost as much again as the rest of a request
// (measured at 50 requests a second on a 2-core VM: 2.3 % of a core against 1.2 % over node:net).
// Request bodies are never read: a request that has one is answered, then its connection closed.
import type { Server, Socket } from 'node:net';
import { nodeNet } from './optional.js';

/** What a request is answered with. */
export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The body's length in bytes (UTF-8) as text, when the handler already knows it. */
  readonly bytes?: string;
  /** Header lines beyond date, content-type, content-length and connection. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Answers a request: its method and its target's path (without the query). */
export type Handler = (method: string, path: string) => Answer;

/** What a connection may take of the process. */
export interface ResponderLimits {
  /** The longest request head (request line and headers, in bytes) answered; longer: 431 (node:http's default). */
  readonly maxHeadBytes: number;
  /** How long a request head may take to arrive once begun, in ms; slower: 408 and closed. */
  readonly headMs: number;
  /** How long a connection may stay silent both ways, in ms, before it is closed. */
  readonly idleMs: number;
  /** Connections open at once; more are refused. */
  readonly maxConnections: number;
  /** Answers queued unsent on a connection (bytes) before its requests stop being read (a pipelining client that never reads). */
  readonly maxQueuedBytes: number;
  /** How long a connection being closed is still read once its answer is sent (what it sends dropped), in ms, so that the answer is not reset. */
  readonly closeMs: number;
}

/**
 * Prometheus's own defaults scrape every 15 s on one kept-alive connection: an idle limit above
 * that keeps it open between scrapes (node:http closes it after 5 s, so each scrape connected again).
 */
export const defaultLimits: ResponderLimits = { maxHeadBytes: 16 * 1024, headMs: 10_000, idleMs: 60_000, maxConnections: 256, maxQueuedBytes: 1 << 20, closeMs: 2_000 };

const reasons: Readonly<Record<number, string>> = {
  200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
};

const requestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.([01])$/;
const fieldName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The scheme and authority of a target in absolute form. */
const absoluteForm = /^https?:\/\/[^/?#]*/i;
/** The blank line that ends a request head (a bare LF accepted for CRLF, RFC 9112 2.2). */
const headEnd = /\r?\n\r?\n/;

/** A request head as far as answering it needs; null when it is not HTTP/1.x. */
interface Head { readonly method: string; readonly path: string; readonly keepAlive: boolean; readonly hasBody: boolean }

/** Parses one request head (without its blank line). */
function parseHead(text: string): Head | null {
  const lines = text.split(/\r?\n/);
  const m = requestLine.exec(lines[0]!);
  if (m === null) return null;
  let close = false;
  let keepAlive = false;
  let hasBody = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    // Also an obsolete folded line (it starts with a space) and a bare CR, both refused by node:http too.
    if (colon <= 0 || !fieldName.test(name) || line.includes('\r')) return null;
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      const tokens = line.slice(colon + 1).toLowerCase().split(',').map((t) => t.trim());
      if (tokens.includes('close')) close = true; // wherever it is said (RFC 9112 9.6)
      else if (tokens.includes('keep-alive')) keepAlive = true;
    } else if (lower === 'transfer-encoding' || (lower === 'content-length' && line.slice(colon + 1).trim() !== '0')) {
      hasBody = true;
    }
  }
  let path = m[2]!;
  const origin = absoluteForm.exec(path); // the absolute form a proxy sends (http://host:port/metrics): its path
  if (origin !== null) path = path.slice(origin[0].length);
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  return { method: m[1]!, path: path === '' ? '/' : path, keepAlive: m[3] === '1' ? !close : keepAlive && !close, hasBody };
}

let lastHeadText = '';
let lastHead: Head | null = null;

/** parseHead(), remembering the last head: a scraper sends the same one each time, byte for byte. */
function headOf(text: string): Head | null {
  if (text === lastHeadText) return lastHead;
  const head = parseHead(text);
  if (head !== null) [lastHeadText, lastHead] = [text, head];
  return head;
}

let dateS = -1;
let dateText = '';

/** The Date header's value, made once a second. */
function httpDate(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== dateS) {
    dateS = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}

/** The whole answer as one write (headers and body): one packet for a small body, as node:http sends it. */
function render(a: Answer, withBody: boolean, keepAlive: boolean): string {
  let text = `HTTP/1.1 ${a.status} ${reasons[a.status] ?? ''}\r\ndate: ${httpDate()}\r\ncontent-type: ${a.contentType}\r\n`
    + `content-length: ${a.bytes ?? Buffer.byteLength(a.body)}\r\n`;
  if (a.headers !== undefined) for (const [k, v] of Object.entries(a.headers)) text += `${k}: ${v}\r\n`;
  text += keepAlive ? 'connection: keep-alive\r\n\r\n' : 'connection: close\r\n\r\n';
  return withBody ? text + a.body : text;
}

/** A plain-text answer of one line: the server's own refusals (a malformed or slow request) and a handler's errors. */
export function textAnswer(status: number, text: string, headers?: Readonly<Record<string, string>>): Answer {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${text}\n`, headers };
}

/**
 * The server: `server` to listen (its 'error' and 'listening' events as net.Server's) and close(),
 * which also drops every open connection. Server and connections are unreferenced: an endpoint in
 * a library must not keep a finished program alive.
 */
export class Responder {
  readonly server: Server;
  /** Open connections, each with when it was last active (ms, Date.now()) and its queued bytes then. */
  readonly #sockets = new Map<Socket, { activeMs: number; queued: number }>();
  /** Closes idle connections: one timer for all, every quarter of the idle limit, while any is open. */
  #sweeper: ReturnType<typeof setInterval> | null = null;
  /** The last answer rendered, with what it was rendered for: the same reading answered again is not written out again. */
  #rendered = { answer: null as Answer | null, withBody: false, keepAlive: false, date: '', text: '' };
  #closed = false;

  /** `nowMs`: the clock a request head's time limit is read on (a test's scripted one). */
  constructor(readonly handle: Handler, readonly limits: ResponderLimits = defaultLimits, readonly nowMs: () => number = Date.now) {
    // Half-open allowed: a client may send its requests, then its FIN, and still read every answer.
    this.server = nodeNet().createServer({ noDelay: true, allowHalfOpen: true }, (s) => this.#serve(s));
    this.server.maxConnections = limits.maxConnections;
    this.server.on('listening', () => { if (this.#closed) this.server.close(); });
    this.server.unref();
  }

  /** Stops listening (or, still binding, once it listens) and closes every connection. */
  close(): void {
    this.#closed = true;
    if (this.server.listening) this.server.close();
    for (const s of this.#sockets.keys()) s.destroy();
    this.#sockets.clear();
    this.#sweep();
  }

  /**
   * Closes the connections silent both ways for the idle limit (a socket timeout each would be
   * refreshed on every read and write: 5-10 µs a request here), and stops once none is open.
   */
  #sweep(): void {
    const nowMs = Date.now();
    for (const [s, c] of this.#sockets) {
      if (s.writableLength !== c.queued) [c.queued, c.activeMs] = [s.writableLength, nowMs]; // a slow reader taking its answer
      else if (nowMs - c.activeMs >= this.limits.idleMs) s.destroy();
    }
    if (this.#sockets.size === 0 && this.#sweeper !== null) {
      clearInterval(this.#sweeper);
      this.#sweeper = null;
    }
  }

  #serve(s: Socket): void {
    s.unref();
    const conn = { activeMs: Date.now(), queued: 0 };
    this.#sockets.set(s, conn);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(10, this.limits.idleMs / 4)).unref();
    s.setEncoding('latin1'); // a request head is bytes; latin1 keeps each one a character, so lengths are bytes
    s.on('error', () => s.destroy()); // a peer's reset: nothing to answer
    s.on('close', () => this.#sockets.delete(s));
    let pending = '';
    let begunMs = 0;
    let closing = false;
    let ended = false;
    const pump = (): void => {
      while (!closing && !s.isPaused()) {
        if (pending.charCodeAt(0) === 13 || pending.charCodeAt(0) === 10) pending = pending.replace(/^(?:\r?\n)+/, ''); // blank lines before a request are allowed (RFC 9112 2.2)
        const end = headEnd.exec(pending);
        if (end === null || end.index > this.limits.maxHeadBytes) {
          if (end !== null || pending.length > this.limits.maxHeadBytes) closing = this.#refuse(s, 431, 'request head too long');
          else if (ended) closing = this.#close(s); // the peer has sent all it will: every whole request is answered
          else if (pending.length > 0 && this.nowMs() - begunMs > this.limits.headMs) closing = this.#refuse(s, 408, 'request head too slow');
          return;
        }
        const text = pending.slice(0, end.index);
        pending = pending.slice(end.index + end[0].length);
        begunMs = this.nowMs();
        closing = this.#answer(s, text);
        // Only once a write has said to wait: 'drain' comes only then.
        if (!closing && s.writableNeedDrain && s.writableLength > this.limits.maxQueuedBytes) {
          s.pause();
          s.once('drain', () => {
            begunMs = this.nowMs(); // the time this server did not read is not the client's
            s.resume();
            pump();
          });
        }
      }
    };
    s.on('data', (chunk: string) => {
      if (closing) return; // a closing connection's further bytes are dropped, not kept
      conn.activeMs = Date.now();
      if (pending.length === 0) begunMs = this.nowMs();
      pending += chunk;
      pump();
    });
    s.on('end', () => {
      ended = true;
      pump();
    });
  }

  /** Answers one request head; whether the connection is now closing. */
  #answer(s: Socket, text: string): boolean {
    const head = headOf(text);
    if (head === null) return this.#refuse(s, 400, 'not an HTTP/1.1 request');
    const keepAlive = head.keepAlive && !head.hasBody; // a body is never read: the connection ends after the answer
    let answer: string;
    try {
      answer = this.#render(this.handle(head.method, head.path), head.method !== 'HEAD', keepAlive);
    } catch (e) {
      answer = render(textAnswer(500, `the answer failed: ${e instanceof Error ? e.message : String(e)}`), true, keepAlive);
    }
    s.write(answer);
    return keepAlive ? false : this.#close(s);
  }

  /** render(), or the text it gave for the same answer, flags and Date. */
  #render(a: Answer, withBody: boolean, keepAlive: boolean): string {
    const r = this.#rendered;
    const date = httpDate();
    if (a !== r.answer || withBody !== r.withBody || keepAlive !== r.keepAlive || date !== r.date) {
      [r.answer, r.withBody, r.keepAlive, r.date, r.text] = [a, withBody, keepAlive, date, render(a, withBody, keepAlive)];
    }
    return r.text;
  }

  #refuse(s: Socket, status: number, text: string): true {
    s.write(render(textAnswer(status, text), true, false));
    return this.#close(s);
  }

  /**
   * Ends the connection after what was written. It is still read a while (what comes is dropped):
   * a socket closed with unread bytes is reset, and a reset can take the answer with it. Then destroyed.
   */
  #close(s: Socket): true {
    s.end(() => setTimeout(() => s.destroy(), this.limits.closeMs).unref());
    // A client that neither reads its answer nor stops sending: the idle limit, counted from now.
    setTimeout(() => s.destroy(), this.limits.idleMs).unref();
    return true;
  }
}
