import { createEnvelope, parseEnvelope } from '../../../shared/envelope';
import { chunkBy } from '../../../shared/batching/chunk';
import {
  ATTRIBUTE_ALLOWANCE,
  queueMessageBody,
  sendBatchLimits,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_PAYLOAD_BYTES,
} from '../../../shared/queue/publisher';

describe('queue message bodies', () => {
  it('escapes the characters SQS refuses and still parses back to the same envelope', () => {
    const payload = { text: 'noncharacters \uffff \ufffe, emoji 😀, accents é' };
    const envelope = createEnvelope({ topic: 't', payload, subject: null, correlationId: 'c' });
    const body = queueMessageBody(envelope);
    expect(body).not.toMatch(/[\ufffe\uffff\ud800-\udfff]/);
    expect(body).toContain('é');
    expect(parseEnvelope(body)).toEqual(envelope);
  });
});

describe('SendMessageBatch limits', () => {
  const limits = sendBatchLimits((message: { bytes: number }) => message.bytes);

  it('keeps each call within 10 entries and the byte limit', () => {
    const small = Array.from({ length: 25 }, () => ({ bytes: 100 }));
    expect(chunkBy(small, limits).map((chunk) => chunk.length)).toEqual([10, 10, 5]);
    const large = Array.from({ length: 5 }, () => ({ bytes: 400 * 1024 }));
    const chunks = chunkBy(large, limits);
    expect(chunks.every((chunk) => chunk.length <= SQS_MAX_BATCH_ENTRIES)).toBe(true);
    expect(chunks.map((chunk) => chunk.length)).toEqual([2, 2, 1]);
  });

  it('counts each message with the room its attributes take', () => {
    const half = SQS_MAX_PAYLOAD_BYTES / 2 - ATTRIBUTE_ALLOWANCE;
    expect(chunkBy([{ bytes: half }, { bytes: half }], limits)).toHaveLength(1);
    expect(chunkBy([{ bytes: half }, { bytes: half + 1 }], limits)).toHaveLength(2);
  });
});
