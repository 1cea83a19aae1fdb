import { formatAge, renderBacklog, type BacklogReport } from '../../../shared/cli/backlog';

describe('formatAge', () => {
  it('prints a short human age', () => {
    expect(formatAge(null)).toBe('n/a');
    expect(formatAge(42)).toBe('42s');
    expect(formatAge(125)).toBe('2m05s');
    expect(formatAge(3725)).toBe('1h02m');
    expect(formatAge(2 * 86400 + 3 * 3600)).toBe('2d03h');
  });
});

describe('renderBacklog', () => {
  it('shows a sink without a DLQ and the sinks that have no queue', () => {
    const report: BacklogReport = {
      at: '2030-01-01T00:00:00.000Z',
      mode: 'aws',
      where: 'stage dev in us-east-1',
      region: 'us-east-1',
      stage: 'dev',
      sinks: [
        {
          sink: 'kafka',
          queueUrl: 'q',
          dlqUrl: null,
          visible: 1,
          inFlight: 0,
          delayed: 0,
          dlq: null,
          oldestAgeSeconds: 5,
        },
      ],
      missing: ['s3'],
      warnings: ['oldest age unavailable: denied'],
    };
    expect(renderBacklog(report).split('\n')).toEqual([
      'Backlog of stage dev in us-east-1 at 2030-01-01T00:00:00.000Z',
      '',
      'SINK   VISIBLE  IN-FLIGHT  DELAYED  DLQ     OLDEST',
      'kafka        1          0        0  no DLQ  5s',
      '',
      'No queue for: s3',
      'warning: oldest age unavailable: denied',
    ]);
  });
});
