import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A key endpoint on 127.0.0.1 whose answer the test changes between requests: the document served,
 * an error status, a non-JSON body, or no answer at all.
 */
export class KeyServer {
  document: unknown = { keys: [] };
  status = 200;
  rawBody?: string;
  hang = false;
  requests = 0;
  private server?: Server;
  private readonly waiting = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((request, response) => this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(0, '127.0.0.1', resolve);
    });
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/keys`;
  }

  async stop(): Promise<void> {
    for (const response of this.waiting) response.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    this.requests += 1;
    if (this.hang) {
      this.waiting.add(response);
      return;
    }
    if (request.url !== '/keys') {
      response.writeHead(404).end();
      return;
    }
    const body = this.rawBody ?? JSON.stringify(this.document);
    response.writeHead(this.status, { 'content-type': 'application/json' }).end(body);
  }
}
