import { createEnvelope, parseEnvelope } from '../../../shared/envelope';
import { chunkForBatches, queueMessageBody, SQS_MAX_BATCH_ENTRIES } from '../../../shared/queue/publisher';

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

describe('SendMessageBatch chunking', () => {
  it('keeps each call within 10 entries and the byte limit', () => {
    const small = Array.from({ length: 25 }, () => ({ bytes: 100 }));
    expect(chunkForBatches(small).map((chunk) => chunk.length)).toEqual([10, 10, 5]);
    const large = Array.from({ length: 5 }, () => ({ bytes: 400 * 1024 }));
    const chunks = chunkForBatches(large);
    expect(chunks.every((chunk) => chunk.length <= SQS_MAX_BATCH_ENTRIES)).toBe(true);
    expect(chunks.map((chunk) => chunk.length)).toEqual([2, 2, 1]);
  });
});
