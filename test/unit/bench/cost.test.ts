import {
  asyncCost,
  describeBreakdown,
  gbSecondsForCpu,
  pythonCost,
  sinkCallsPerBatch,
  sqsRequests,
  syncCost,
} from '../../../bench/cost';

describe('the bench’s cost model', () => {
  it('bills CPU at the memory size’s share of a vCPU', () => {
    // 512 MB gets 512/1769 of a core: one CPU-second lasts 1769/512 s, billed at 0.5 GB.
    expect(gbSecondsForCpu(1, 512)).toBeCloseTo((1769 / 512) * 0.5, 10);
    // From 1769 MB up the function has a whole core: wall time equals CPU time.
    expect(gbSecondsForCpu(1, 2048)).toBeCloseTo(2, 10);
  });

  it('counts PutEvents per 10 entries and one call per batch for the other sinks', () => {
    expect(sinkCallsPerBatch('eventbridge', 50)).toBe(5);
    expect(sinkCallsPerBatch('eventbridge', 1)).toBe(1);
    expect(sinkCallsPerBatch('postgres', 100)).toBe(1);
    expect(sinkCallsPerBatch('s3', 1000)).toBe(1);
  });

  it('prices a sync request of one event: the HTTP request and the invocation dominate', () => {
    const cost = syncCost({ batch: 1, cpuMicrosPerEvent: 25, sendCallsPerEvent: 0 }, ['postgres']);
    expect(cost.apiGatewayRequests).toBe(1);
    expect(cost.postgresStatements).toBe(1);
    expect(sqsRequests(cost)).toBe(0);
    expect(cost.dollarsPerMillion).toBeCloseTo(
      1.0 + 0.2 + 25e-6 * (1769 / 512) * 0.5 * 0.0000166667 * 1e6,
      6,
    );
  });

  it('prices an async batch of 100: enqueue, receive and delete dominate once requests are shared', () => {
    const cost = asyncCost({ batch: 100, cpuMicrosPerEvent: 20, sendCallsPerEvent: 0.1 }, [
      { sink: 'postgres', batchSize: 100, durationMsPerEvent: 0.05 },
    ]);
    expect(cost.sqsSends).toBeCloseTo(0.1, 10);
    expect(cost.sqsReceives).toBeCloseTo(0.1, 10);
    expect(cost.sqsDeletes).toBeCloseTo(0.1, 10);
    expect(cost.sqsVisibilityChanges).toBe(0);
    expect(cost.postgresStatements).toBeCloseTo(0.01, 10);
    expect(cost.lambdaInvocations).toBeCloseTo(0.02, 10);
    const expected =
      0.01 * 1.0 + 0.02 * 0.2 + (20e-6 * (1769 / 512) * 0.5 + 0.05e-3 * 0.5) * 0.0000166667 * 1e6 + 0.3 * 0.4;
    expect(cost.dollarsPerMillion).toBeCloseTo(expected, 6);
  });

  it('charges EventBridge per entry and S3 per object, on either path', () => {
    const cost = asyncCost({ batch: 10, cpuMicrosPerEvent: 30, sendCallsPerEvent: 0.2 }, [
      { sink: 'eventbridge', batchSize: 50, durationMsPerEvent: 0 },
      { sink: 's3', batchSize: 1000, durationMsPerEvent: 0 },
    ]);
    expect(cost.eventBridgeEvents).toBe(1);
    expect(cost.s3Puts).toBeCloseTo(0.001, 10);
  });

  it('prices the Python design: one request and one PutEvents entry per event', () => {
    const cost = pythonCost();
    expect(cost.apiGatewayRequests).toBe(1);
    expect(cost.eventBridgeEvents).toBe(1);
    expect(cost.kafkaProduces).toBe(1);
    expect(cost.postgresStatements).toBe(1);
    expect(cost.dollarsPerMillion).toBeGreaterThan(2.2);
    expect(cost.dollarsPerMillion).toBeLessThan(2.3);
  });

  it('names each call per million events, SQS split by action', () => {
    const cost = asyncCost({ batch: 1, cpuMicrosPerEvent: 30, sendCallsPerEvent: 2 }, [
      { sink: 'postgres', batchSize: 100, durationMsPerEvent: 0 },
      { sink: 'kafka', batchSize: 100, durationMsPerEvent: 0 },
    ]);
    const text = describeBreakdown(cost);
    expect(text).toContain(
      '2,400,000 SQS requests (send 2,000,000, receive 200,000, delete 200,000, visibility 0)',
    );
    expect(text).toContain('10,000 Kafka produce calls and 10,000 Postgres statements');
  });
});
