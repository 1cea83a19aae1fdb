import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IngestApp } from '../ingest/app';
import { withRawBody } from '../http/request';
import { errorResponse, type HttpResponse } from '../http/response';
import { isoTimestamp } from '../iso-time';

/** API Gateway's own payload limit; bodies above it never reach a Lambda, so we stop reading there too. */
export const GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024;

export interface LocalHttpServer {
  url: string;
  server: Server;
  close(graceMs?: number): Promise<void>;
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

/**
 * Splits the request target into path and query as API Gateway does. Not `new URL()`: it would read
 * a leading `//` as the start of a host name.
 */
function splitTarget(target: string): { path: string; rawQuery: string } {
  const question = target.indexOf('?');
  const path = question < 0 ? target : target.slice(0, question);
  return {
    path: path.startsWith('/') ? path : `/${path}`,
    rawQuery: question < 0 ? '' : target.slice(question + 1),
  };
}

/** Turns a plain HTTP request into the HTTP API (v2) event API Gateway would send the function. */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEventV2 {
  const { path, rawQuery } = splitTarget(request.url ?? '/');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const method = (request.method ?? 'GET').toUpperCase();
  const now = Date.now();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: rawQuery,
    headers,
    queryStringParameters: rawQuery ? Object.fromEntries(new URLSearchParams(rawQuery)) : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: isoTimestamp(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  // The bytes as read, kept intact as base64 would keep them (written only if something asks).
  return body.length > 0 ? withRawBody(event, body) : event;
}

function send(response: ServerResponse, result: HttpResponse): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
  response.writeHead(result.statusCode, { ...result.headers, 'Content-Length': String(body.length) });
  response.end(body);
}

let requests = 0;
function localRequestId(): string {
  requests += 1;
  return `local-${Date.now().toString(36)}-${requests}`;
}

function rawResponse(
  statusCode: number,
  reason: string,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): string {
  const result = errorResponse(
    statusCode,
    { type, message },
    { ...headers, 'X-Correlation-ID': localRequestId() },
  );
  const body = Buffer.from(result.body);
  const lines = Object.entries({
    ...result.headers,
    'Content-Length': String(body.length),
    Connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  return `HTTP/1.1 ${statusCode} ${reason}\r\n${lines}\r\n\r\n${body.toString()}`;
}

/**
 * Requests Node rejects before they reach the handler (malformed HTTP, odd Expect headers, CONNECT)
 * still get an answer in the gateway's error shape, as API Gateway would give one.
 */
function answerProtocolErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    socket.end(
      tooLarge
        ? rawResponse(431, 'Request Header Fields Too Large', 'request', 'Request headers are too large')
        : rawResponse(400, 'Bad Request', 'request', 'Malformed HTTP request'),
    );
  });
  server.on('checkExpectation', (_request, response: ServerResponse) => {
    send(
      response,
      errorResponse(
        417,
        { type: 'request', message: 'Only Expect: 100-continue is supported' },
        { 'X-Correlation-ID': localRequestId() },
      ),
    );
  });
  server.on('connect', (_request, socket) => {
    socket.end(
      rawResponse(405, 'Method Not Allowed', 'method', 'CONNECT is not supported', {
        Allow: 'GET, POST, HEAD',
      }),
    );
  });
}

/** What a user starting a second gateway, or anything else, on a taken port needs to read. */
function portInUse(host: string, port: number, cause: Error): Error {
  return new Error(
    `port ${port} on ${host} is already in use by another program: stop it, or choose another port ` +
      `(PORT=${port + 1} npm start, or eventgate dev --port ${port + 1})`,
    { cause },
  );
}

/** Serves the ingest app over HTTP on 127.0.0.1, the way API Gateway fronts it in AWS. */
export async function startLocalHttpServer(
  app: IngestApp,
  port: number,
  host = '127.0.0.1',
): Promise<LocalHttpServer> {
  // Node's own answer to a missing Host is a bare 400; this one is in the gateway's error shape.
  const server = createServer({ requireHostHeader: false }, (request, response) => {
    const requestId = localRequestId();
    const traced = { 'X-Correlation-ID': requestId };
    const http11 = request.httpVersionMajor === 1 && request.httpVersionMinor >= 1;
    if (http11 && request.headers.host === undefined) {
      send(
        response,
        errorResponse(400, { type: 'request', message: 'HTTP/1.1 requests need a Host header' }, traced),
      );
      return;
    }
    void (async () => {
      try {
        const body = await readBody(request);
        if (body === 'too-large') {
          send(response, errorResponse(413, { type: 'size', message: 'Request body is too large' }, traced));
          request.destroy();
          return;
        }
        send(response, await app(toApiGatewayEvent(request, body, requestId)));
      } catch {
        if (!response.headersSent) {
          send(
            response,
            errorResponse(500, { type: 'internal', message: 'Unexpected server error' }, traced),
          );
        } else response.destroy();
      }
    })();
  });
  answerProtocolErrors(server);
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? portInUse(host, port, error) : error),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    server,
    // Stop accepting, let requests in progress finish (their events may be on their way into the
    // queues), then cut whatever is left after the grace period.
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
