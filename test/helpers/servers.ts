// Hosted services gone wrong, as real local servers on free ports: silent, failing or garbled.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** A server on 127.0.0.1, the requests it saw (`METHOD /path`), and a close that ends every connection. */
export interface LocalServer {
  readonly url: string;
  /** Requests seen, in order (for a TCP server: one `connection` per connection). */
  readonly seen: string[];
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>, seen: string[]): Promise<LocalServer> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** An HTTP server that answers each request with `handler`, or never when it returns null. */
export function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void | null): Promise<LocalServer> {
  const seen: string[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  return listen(server, new Set(), seen);
}

/** Accepts every connection and reads every request, and never answers. */
export const silentServer = (): Promise<LocalServer> => httpServer(() => null);

/** Answers every request at once with HTTP 500. */
export const failingServer = (): Promise<LocalServer> => httpServer((_, res) => { res.writeHead(500); res.end(); });

/** Answers every connection at once with bytes that are not HTTP, then closes it. */
export function garbageServer(): Promise<LocalServer> {
  const seen: string[] = [];
  const server = createTcpServer((s) => {
    seen.push('connection');
    s.end('\u0000\u0001 not http at all\r\n\r\n');
  });
  return listen(server, new Set(), seen);
}
