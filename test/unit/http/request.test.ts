import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { normalizeRequest, withRawBody } from '../../../shared/http/request';
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

describe('withRawBody', () => {
  const bytes = Buffer.from([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x3a, 0x31, 0x7d, 0xff]); // {"é":1} and a stray byte

  function event(): APIGatewayProxyEventV2 {
    return v2Event({ method: 'POST', path: '/topics/t', headers: { 'content-type': 'application/json' } });
  }

  it('hands normalizeRequest the bytes as they are, invalid UTF-8 included', () => {
    const normalized = normalizeRequest(withRawBody(event(), bytes));
    expect(normalized.body?.equals(bytes)).toBe(true);
  });

  it('still reads as an API Gateway event with a base64 body, for whatever looks at `body`', () => {
    const wrapped = withRawBody(event(), bytes);
    expect(wrapped.isBase64Encoded).toBe(true);
    expect(wrapped.body).toBe(bytes.toString('base64'));
    expect(JSON.parse(JSON.stringify(wrapped)).body).toBe(bytes.toString('base64'));
    expect(Buffer.from(wrapped.body as string, 'base64').equals(bytes)).toBe(true);
  });
});
