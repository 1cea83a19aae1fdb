import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { correlationIdOf } from '../ingest/correlation';
import { logger, startInvocation } from '../observability/logger';
import { normalizeRequest, type ApiGatewayEvent, type HttpRequest } from './request';
import { errorResponse, type HttpResponse } from './response';

/** A function's own work on one request, once it is normalised and has its correlation id. */
export type RequestHandler = (request: HttpRequest, correlationId: string) => Promise<HttpResponse>;

/** An HTTP function as Lambda calls it: API Gateway event (REST v1 or HTTP API v2) in, proxy result out. */
export type HttpFunction = (event: ApiGatewayEvent, context?: Context) => Promise<HttpResponse>;

/**
 * What every HTTP function does around its own work: a malformed event is a 400, every answer
 * carries the correlation id (also on every log line of the invocation), anything thrown is logged
 * and answered 500 in the error shape, refusals are logged, and HEAD gets no body.
 */
export function serveHttp(handle: RequestHandler): HttpFunction {
  return async (event, context) => {
    let request: HttpRequest;
    try {
      request = normalizeRequest(event);
    } catch {
      return errorResponse(
        400,
        { type: 'request', message: 'Malformed request' },
        { 'X-Correlation-ID': randomUUID() },
      );
    }
    const correlationId = correlationIdOf(request);
    startInvocation(context, { correlationId });
    const where = { correlationId, path: request.path, method: request.method };
    let response: HttpResponse;
    try {
      response = await handle(request, correlationId);
    } catch (error) {
      logger.error('request failed', { ...where, error });
      response = errorResponse(500, { type: 'internal', message: 'Unexpected server error' });
    }
    if (response.statusCode >= 400)
      logger.info('request rejected', { ...where, status: response.statusCode });
    if (request.method === 'HEAD') response.body = '';
    response.headers['X-Correlation-ID'] = correlationId;
    return response;
  };
}
