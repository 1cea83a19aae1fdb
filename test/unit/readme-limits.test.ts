/** The README states each limit exactly as the code enforces it: these tests tie the two together. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  ISSUED_AT_SKEW_SECONDS,
  MAX_AUTHORIZATION_HEADER_LENGTH,
} from '../../shared/auth/token';
import { DEFAULTS } from '../../shared/config/settings';
import { MAX_CONTENT_TYPE_LENGTH } from '../../shared/ingest/body';
import { MAX_QUEUE_MESSAGE_BYTES, SQS_MAX_PAYLOAD_BYTES } from '../../shared/queue/publisher';
import { EVENTBRIDGE_MAX_ENTRY_BYTES, KAFKA_MAX_MESSAGE_BYTES } from '../../shared/sinks/limits';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
const written = (value: number): string => value.toLocaleString('en-US');

describe('the README states the limits as enforced', () => {
  test.each([
    ['the SQS message body', `${written(MAX_QUEUE_MESSAGE_BYTES)} bytes (1 MiB less 1 KiB for attributes)`],
    ['the Kafka record', `${written(KAFKA_MAX_MESSAGE_BYTES)} bytes`],
    ['the EventBridge entry', `${written(EVENTBRIDGE_MAX_ENTRY_BYTES)} bytes (256 KiB)`],
    ['the request body', `\`max_body_bytes\` (${written(DEFAULTS.max_body_bytes)})`],
    ['the batch', `\`max_batch_events\` (${DEFAULTS.max_batch_events})`],
    ['the Authorization header', `over ${written(MAX_AUTHORIZATION_HEADER_LENGTH)} characters is a \`401\``],
    [
      'the Content-Type header',
      `\`Content-Type\` over ${written(MAX_CONTENT_TYPE_LENGTH)} characters a \`415\``,
    ],
    ['the token lifetime', `(${DEFAULT_MAX_TOKEN_LIFETIME_SECONDS}: 24 hours)`],
    ['the iat skew', `no \`iat\` more than ${ISSUED_AT_SKEW_SECONDS} seconds in the future`],
  ])('%s', (_, text) => {
    expect(readme).toContain(text);
  });

  test('the queue limit leaves exactly 1 KiB of the SQS message for attributes', () => {
    expect(SQS_MAX_PAYLOAD_BYTES - MAX_QUEUE_MESSAGE_BYTES).toBe(1024);
    expect(DEFAULTS.token_max_lifetime_seconds).toBe(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS);
  });
});
