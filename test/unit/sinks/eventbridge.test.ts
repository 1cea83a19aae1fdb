import { EventBridgeClient, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { chunkBy } from '../../../shared/batching/chunk';
import { createEnvelope } from '../../../shared/envelope';
import {
  EventBridgeSink,
  MAX_CALL_BYTES,
  PUT_EVENTS_LIMITS,
  entrySize,
  eventBridgeSinkOptionsFromConfig,
} from '../../../shared/sinks/eventbridge/sink';

describe('entrySize', () => {
  it('counts Source, DetailType, Detail and Resources in UTF-8 bytes, and 14 for Time', () => {
    expect(entrySize({ Source: 'ab', DetailType: 'JSON', Detail: '"ž"', Resources: ['r1'] })).toBe(
      2 + 4 + 4 + 2,
    );
    expect(entrySize({ Source: 'ab', Time: new Date() })).toBe(2 + 14);
  });
});

describe('PutEvents limits', () => {
  const sized = (size: number, n: number) => Array.from({ length: n }, (_, id) => ({ id, size }));

  it('puts at most 10 entries in a call', () => {
    expect(chunkBy(sized(1, 21), PUT_EVENTS_LIMITS).map((chunk) => chunk.length)).toEqual([10, 10, 1]);
  });

  it('starts a new call before the total would pass 256 KiB', () => {
    const entries = [...sized(100 * 1024, 2), ...sized(56 * 1024, 1), ...sized(1, 1)];
    expect(chunkBy(entries, PUT_EVENTS_LIMITS).map((chunk) => chunk.map((entry) => entry.size))).toEqual([
      [100 * 1024, 100 * 1024, 56 * 1024],
      [1],
    ]);
  });

  it('lets one entry of exactly the limit travel alone', () => {
    expect(
      chunkBy([...sized(MAX_CALL_BYTES, 1), ...sized(1, 1)], PUT_EVENTS_LIMITS).map((chunk) => chunk.length),
    ).toEqual([1, 1]);
  });
});

describe('EventBridgeSink result mapping', () => {
  afterEach(() => jest.restoreAllMocks());

  it('fails retryably the entries PutEvents returned no result for', async () => {
    jest
      .spyOn(EventBridgeClient.prototype, 'send')
      .mockImplementation(
        async () =>
          ({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }], $metadata: {} }) as PutEventsCommandOutput,
      );
    const sink = new EventBridgeSink({ eventBusArn: 'bus', clientConfig: { region: 'us-east-1' } });
    const events = [1, 2].map((n) =>
      createEnvelope({ topic: 't', payload: { n }, subject: null, correlationId: 'c' }),
    );

    const outcomes = await sink.write(events);

    expect(outcomes[0]).toEqual({ id: events[0]?.id, ok: true });
    expect(outcomes[1]?.ok === false && outcomes[1].error).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/no result/),
    });
    await sink.close();
  });

  it('fails retryably without throwing when there is no event bus', async () => {
    const sink = new EventBridgeSink({ eventBusArn: '' });
    const [outcome] = await sink.write([
      createEnvelope({ topic: 't', payload: 1, subject: null, correlationId: 'c' }),
    ]);
    expect(outcome?.ok === false && outcome.error).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/not configured/),
    });
  });
});

describe('eventBridgeSinkOptionsFromConfig', () => {
  it('is undefined without an event bus', () => {
    expect(eventBridgeSinkOptionsFromConfig({})).toBeUndefined();
    expect(eventBridgeSinkOptionsFromConfig({ event_bus_arn: ' ' })).toBeUndefined();
  });

  it('takes the region from the bus ARN', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/gw';
    expect(eventBridgeSinkOptionsFromConfig({ event_bus_arn: arn })).toEqual({
      eventBusArn: arn,
      clientConfig: { region: 'eu-west-1' },
    });
  });

  it('prefers the configured region, Source template and DetailType', () => {
    expect(
      eventBridgeSinkOptionsFromConfig({
        event_bus_arn: 'arn:aws:events:eu-west-1:123456789012:event-bus/gw',
        eventbridge: { region: 'us-east-2', source: 'gw.{topic}', detail_type: 'Event' },
      }),
    ).toMatchObject({ source: 'gw.{topic}', detailType: 'Event', clientConfig: { region: 'us-east-2' } });
  });

  it('leaves the region to the SDK for a bus given by name', () => {
    expect(eventBridgeSinkOptionsFromConfig({ event_bus_arn: 'default' })).toEqual({
      eventBusArn: 'default',
    });
  });
});
