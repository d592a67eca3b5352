// The board's HTTP server: the page, and data.json that the page polls; files are read again when they change.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { filesSignature, readBoardFiles, type BoardFile } from './files.js';
import { buildModel, type BoardModel } from './model.js';
import { renderPage } from './page.js';

/** A running board. */
export interface BoardServer {
  /** e.g. http://127.0.0.1:8050/ */
  readonly url: string;
  /** Reads the files again now if they changed (the server also does this every `checkMs`). */
  refresh(): BoardModel;
  close(): Promise<void>;
}

/** Where to listen and how often to look at the files. */
export interface BoardOptions {
  readonly port?: number;
  readonly host?: string;
  /** How often the files' sizes and mtimes are compared, ms (default 1000). */
  readonly checkMs?: number;
}

/** The model of `paths` (and the task files beside them), read again only when the files changed. */
export class BoardState {
  #signature = '';
  #files: BoardFile[] = [];
  #model: BoardModel | undefined;

  constructor(readonly paths: readonly string[], readonly live: boolean) {}

  /** The current model, after reading the files again if anything about them changed. */
  model(): BoardModel {
    const seen = [...new Set([...this.paths, ...this.#files.map((f) => f.path)])];
    const signature = filesSignature(seen);
    if (this.#model === undefined || signature !== this.#signature) {
      this.#files = readBoardFiles(this.paths);
      const read = [...new Set([...this.paths, ...this.#files.map((f) => f.path)])];
      // The signature taken before reading: a file written while it was read is read again next time.
      // Only a task file found this time needs one taken after, to be in it at all.
      this.#signature = read.join('\n') === seen.join('\n') ? signature : filesSignature(read);
      const version = createHash('sha256').update(this.#signature).digest('hex').slice(0, 16);
      this.#model = buildModel(this.#files, version, this.live);
    }
    return this.#model;
  }
}

function answer(state: BoardState, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://board.invalid');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (url.pathname === '/') {
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(renderPage(state.model()));
  } else if (url.pathname === '/data.json') {
    const model = state.model();
    if (url.searchParams.get('v') === model.version) res.writeHead(204, headers).end();
    else res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(model));
  } else {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found: the board serves / and /data.json\n');
  }
}

/**
 * Serves the board for `paths` on `host:port` (port 0: any free one).
 * @throws the listen error (EADDRINUSE, EACCES) with the address in its message.
 */
export async function startBoard(paths: readonly string[], o: BoardOptions = {}): Promise<BoardServer> {
  const state = new BoardState(paths, true);
  state.model();
  const server = createServer((req, res) => answer(state, req, res));
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(Object.assign(new Error(`board: cannot listen on ${host}:${o.port ?? 8050} (${e.code}): `
      + (e.code === 'EADDRINUSE' ? 'the port is taken: choose another with --port' : 'choose another --host or --port')), { code: e.code })));
    server.listen(o.port ?? 8050, host, resolve);
  });
  const timer = setInterval(() => state.model(), o.checkMs ?? 1000);
  timer.unref();
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    refresh: () => state.model(),
    close: () => new Promise<void>((resolve) => { clearInterval(timer); server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
