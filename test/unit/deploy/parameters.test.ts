import {
  DeployParameterError,
  parseDeployParameters,
  parseSinkList,
  syncSinkNames,
} from '../../../shared/deploy/parameters';

describe('parseSinkList', () => {
  test('defaults to every sink in canonical order', () => {
    expect(parseDeployParameters({}, 'dev').sinks).toEqual(['eventbridge', 's3']);
  });

  test('keeps the canonical order, drops duplicates and ignores case and blanks', () => {
    expect(parseSinkList(' S3, postgres,,s3 ')).toEqual(['postgres', 's3']);
  });

  test('rejects unknown sinks by name', () => {
    expect(() => parseSinkList('postgres,rabbitmq')).toThrow(/unknown sinks: rabbitmq/);
  });

  test('rejects a list with no sink', () => {
    expect(() => parseSinkList(' , ')).toThrow(DeployParameterError);
  });
});

describe('parseDeployParameters', () => {
  test('fills defaults and treats empty strings and nulls as unset', () => {
    const params = parseDeployParameters({ alarmTopicArn: '', configBucket: null, tracing: 'false' }, 'dev');
    expect(params).toMatchObject({
      service: 'eventgate',
      stage: 'dev',
      logRetentionDays: 30,
      tracing: false,
      oldestMessageAgeAlarmSeconds: 300,
      configPrefix: '',
      sinkParameters: { eventBus: 'default', archivePrefix: 'events/' },
    });
    expect(params.alarmTopicArn).toBeUndefined();
    expect(params.configBucket).toBeUndefined();
  });

  test('reads numbers and flags given as strings, as --param delivers them', () => {
    const params = parseDeployParameters(
      { logRetentionDays: '14', tracing: 'true', apiThrottleRate: '25', oldestMessageAgeAlarmSeconds: 600 },
      'prod',
    );
    expect(params).toMatchObject({ logRetentionDays: 14, tracing: true, apiThrottleRate: 25 });
    expect(params.oldestMessageAgeAlarmSeconds).toBe(600);
  });

  test('normalises key prefixes to end in a slash without a leading one', () => {
    const params = parseDeployParameters({ configPrefix: '/gateway/conf', archivePrefix: 'archive/' }, 'dev');
    expect(params.configPrefix).toBe('gateway/conf/');
    expect(params.sinkParameters.archivePrefix).toBe('archive/');
  });

  test.each([
    [{ logRetentionDays: '10' }, /logRetentionDays/],
    [{ memorySize: 'lots' }, /memorySize/],
    [{ tracing: 'maybe' }, /tracing/],
    [{ alarmTopicArn: 'ops-topic' }, /alarmTopicArn/],
    [{ mskClusterArn: 'arn:aws:kafka:eu-west-1:123456789012:topic/a/b/c' }, /mskClusterArn/],
    [{ configBucket: 's3://bucket/prefix' }, /configBucket/],
    [{ archiveBucket: 'arn:aws:s3:::bucket' }, /archiveBucket/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseDeployParameters(raw, 'dev')).toThrow(message);
  });

  test('rejects a stage that cannot be part of resource names', () => {
    expect(() => parseDeployParameters({}, 'my_stage')).toThrow(/stage/);
  });
});

describe('syncSinkNames (read by the deploy and by the bundling alike)', () => {
  it('reads the list as `sinks` does: any case, spaces, canonical order', () => {
    expect(syncSinkNames('S3, Postgres')).toEqual(['postgres', 's3']);
  });

  it('is empty for none, in any case, or no value', () => {
    expect(syncSinkNames('none')).toEqual([]);
    expect(syncSinkNames(' NONE ')).toEqual([]);
    expect(syncSinkNames(undefined)).toEqual([]);
  });

  it('refuses a sink it does not know', () => {
    expect(() => syncSinkNames('postgress')).toThrow(/unknown sinks: postgress/);
  });
});
