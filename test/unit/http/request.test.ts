import type { APIGatewayProxyEvent } from 'aws-lambda';
import { normalizeRequest } from '../../../shared/http/request';
import { v2Event } from '../../helpers/gateway';

describe('normalizeRequest', () => {
  test('header names are lower-cased, query parameters kept as named, and absent values dropped', () => {
    const event = v2Event({
      method: 'post',
      path: '/topics/t',
      headers: { 'Content-Type': 'application/json', 'X-Correlation-ID': 'c-1' },
      body: '{}',
    });
    event.headers = { ...event.headers, Missing: undefined };
    event.queryStringParameters = { Limit: '5', gone: undefined };
    const request = normalizeRequest(event);
    expect(request.method).toBe('POST');
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'x-correlation-id': 'c-1' });
    expect(request.headers).not.toHaveProperty('missing');
    expect(request.headers).not.toHaveProperty('Missing');
    expect(request.query).toEqual({ Limit: '5' });
    expect(request.body?.toString()).toBe('{}');
  });

  test('a REST event with no headers or query parameters at all gives empty ones', () => {
    const event = {
      httpMethod: 'GET',
      path: '/health',
      headers: null,
      queryStringParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'r-1', identity: { sourceIp: '10.0.0.1' } },
    } as unknown as APIGatewayProxyEvent;
    expect(normalizeRequest(event)).toEqual({
      method: 'GET',
      path: '/health',
      headers: {},
      query: {},
      body: null,
      requestId: 'r-1',
      sourceIp: '10.0.0.1',
    });
  });
});
