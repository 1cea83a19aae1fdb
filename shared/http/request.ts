import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

/** The parts of an API Gateway event the gateway uses, the same for REST (v1) and HTTP API (v2). */
export interface HttpRequest {
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Raw body bytes as received (base64 already decoded). */
  body: Buffer | null;
  requestId: string | null;
  sourceIp: string | null;
}

/**
 * Where a front that read the body itself (the local runtime's HTTP server) leaves the bytes on the
 * event, so they are not turned into base64 only to be decoded again; `body` stays readable.
 */
const RAW_BODY = Symbol('eventgate.rawBody');

/**
 * Puts `bytes` on `event` as its body: `body` (base64, `isBase64Encoded` true, as API Gateway sends
 * bodies it does not take for text) is written only if something reads it; normalizeRequest takes
 * the bytes as they are.
 */
export function withRawBody<E extends ApiGatewayEvent>(event: E, bytes: Buffer): E {
  let encoded: string | undefined;
  Object.defineProperty(event, 'body', {
    get: () => (encoded ??= bytes.toString('base64')),
    enumerable: true,
    configurable: true,
  });
  event.isBase64Encoded = true;
  Object.defineProperty(event, RAW_BODY, { value: bytes });
  return event;
}

function bodyOf(event: ApiGatewayEvent): Buffer | null {
  const raw = (event as { [RAW_BODY]?: Buffer })[RAW_BODY];
  if (raw !== undefined) return raw;
  const body = event.body ?? null;
  return body === null ? null : Buffer.from(body, event.isBase64Encoded ? 'base64' : 'utf8');
}

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

// Both walk Object.keys rather than Object.entries: the same own names in the same order, without
// a [name, value] array per header.

function lowerCased(headers: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (!headers) return result;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}

function definedOnly(values: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (!values) return result;
  for (const name of Object.keys(values)) {
    const value = values[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** HTTP APIs put a named stage in front of the path; routes are matched without it. */
function withoutStage(path: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return path;
  const prefix = `/${stage}`;
  return path === prefix ? '/' : path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

export function normalizeRequest(event: ApiGatewayEvent): HttpRequest {
  const body = bodyOf(event);
  if (isV2(event)) {
    return {
      method: event.requestContext.http.method.toUpperCase(),
      path: withoutStage(event.rawPath, event.requestContext.stage),
      headers: lowerCased(event.headers),
      query: definedOnly(event.queryStringParameters),
      body,
      requestId: event.requestContext.requestId ?? null,
      sourceIp: event.requestContext.http.sourceIp ?? null,
    };
  }
  // REST APIs give the path without the stage; a custom domain's base path is in requestContext.path.
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    headers: lowerCased(event.headers),
    query: definedOnly(event.queryStringParameters),
    body,
    requestId: event.requestContext?.requestId ?? null,
    sourceIp: event.requestContext?.identity?.sourceIp ?? null,
  };
}
