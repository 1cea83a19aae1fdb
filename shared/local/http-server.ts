import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IngestApp } from '../ingest/app';
import { errorResponse, type HttpResponse } from '../http/response';

/** API Gateway's own payload limit; bodies above it never reach a Lambda, so we stop reading there too. */
export const GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024;

export interface LocalHttpServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_PAYLOAD_LIMIT) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Turns a plain HTTP request into the HTTP API (v2) event API Gateway would send the function. */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const method = (request.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    // Base64 keeps any bytes intact, as API Gateway does for binary bodies.
    body: body.length > 0 ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  };
}

function send(response: ServerResponse, result: HttpResponse): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
  response.writeHead(result.statusCode, { ...result.headers, 'Content-Length': String(body.length) });
  response.end(body);
}

/** Serves the ingest app over HTTP on 127.0.0.1, the way API Gateway fronts it in AWS. */
export async function startLocalHttpServer(
  app: IngestApp,
  port: number,
  host = '127.0.0.1',
): Promise<LocalHttpServer> {
  let counter = 0;
  const server = createServer((request, response) => {
    counter += 1;
    const requestId = `local-${Date.now().toString(36)}-${counter}`;
    void (async () => {
      try {
        const body = await readBody(request);
        if (body === 'too-large') {
          send(response, errorResponse(413, { type: 'size', message: 'Request body is too large' }));
          request.destroy();
          return;
        }
        send(response, await app(toApiGatewayEvent(request, body, requestId)));
      } catch {
        if (!response.headersSent)
          send(response, errorResponse(500, { type: 'internal', message: 'Unexpected server error' }));
        else response.destroy();
      }
    })();
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
