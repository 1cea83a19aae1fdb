import { buildDeployment, parseDeployParameters, type Deployment } from '../../../shared/deploy';
import type { PolicyStatement } from '../../../shared/deploy/iam';
import { dashboardWidgets } from '../../../shared/deploy/dashboard';
import { sinkQueueSettings } from '../../../shared/queue/topology';
import type { RawParameters } from '../../../shared/deploy/parameters';

function build(raw: RawParameters = {}, stage = 'dev'): Deployment {
  return buildDeployment(parseDeployParameters(raw, stage));
}

function statementsOf(deployment: Deployment, roleId: string): PolicyStatement[] {
  const role = deployment.resources.Resources[roleId];
  const policies = role?.Properties.Policies as unknown as Array<{
    PolicyDocument: { Statement: PolicyStatement[] };
  }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function statement(deployment: Deployment, roleId: string, sid: string): PolicyStatement | undefined {
  return statementsOf(deployment, roleId).find((candidate) => candidate.Sid === sid);
}

describe('buildDeployment', () => {
  test('generates functions, queues, roles and alarms for the enabled sinks only', () => {
    const deployment = build({ sinks: 'eventbridge,s3' });
    expect(Object.keys(deployment.functions)).toEqual(['ingest', 'eventbridgeWorker', 's3Worker']);
    const ids = Object.keys(deployment.resources.Resources);
    expect(ids.filter((id) => /Kafka|Postgres/.test(id))).toEqual([]);
    expect(ids).toEqual(
      expect.arrayContaining([
        'EventbridgeQueue',
        'S3DeadLetterQueue',
        'S3WorkerRole',
        'EventbridgeOldestMessageAgeAlarm',
      ]),
    );
    expect(deployment.environment.EVENTGATE_SINKS).toBe('eventbridge,s3');
  });

  test('lets only its own queue dead-letter into a DLQ', () => {
    const dlq = build().resources.Resources.PostgresDeadLetterQueue;
    expect(dlq?.Properties.RedriveAllowPolicy).toEqual({
      redrivePermission: 'byQueue',
      sourceQueueArns: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:eventgate-dev-postgres' },
      ],
    });
  });

  test('takes worker timeout and batching from the topology', () => {
    const settings = sinkQueueSettings('s3');
    const worker = build().functions.s3Worker;
    expect(worker?.timeout).toBe(settings.workerTimeoutSeconds);
    expect(worker?.events).toEqual([
      {
        sqs: expect.objectContaining({
          batchSize: settings.batchSize,
          maximumBatchingWindow: settings.maximumBatchingWindowSeconds,
          functionResponseType: 'ReportBatchItemFailures',
        }),
      },
    ]);
  });

  test('grants X-Ray writes on * only when tracing is on, and nothing else on *', () => {
    const untraced = build();
    const traced = build({ tracing: 'true' });
    for (const role of ['IngestRole', 'KafkaWorkerRole']) {
      expect(statement(untraced, role, 'WriteTraces')).toBeUndefined();
      expect(statement(traced, role, 'WriteTraces')?.Action).toEqual([
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]);
      const wildcard = statementsOf(traced, role).filter((candidate) => candidate.Resource.includes('*'));
      expect(wildcard.map((candidate) => candidate.Sid)).toEqual(['WriteTraces']);
    }
    expect(traced.functions.ingest?.tracing).toBe('Active');
    expect(untraced.functions.ingest).not.toHaveProperty('tracing');
  });

  test('lets the kafka worker write to the MSK cluster topics when IAM auth is configured', () => {
    const cluster =
      'arn:aws:kafka:eu-west-1:123456789012:cluster/events/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-2';
    expect(statementsOf(build(), 'KafkaWorkerRole').map((s) => s.Sid)).toEqual([
      'WriteOwnLogs',
      'ConsumeOwnQueue',
      'ParkInOwnDeadLetterQueue',
    ]);
    const deployment = build({ mskClusterArn: cluster });
    expect(statement(deployment, 'KafkaWorkerRole', 'ConnectToCluster')?.Resource).toEqual([cluster]);
    expect(statement(deployment, 'KafkaWorkerRole', 'WriteTopics')?.Resource).toEqual([
      'arn:aws:kafka:eu-west-1:123456789012:topic/events/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-2/*',
    ]);
  });

  test('resolves the event bus from a name or takes an ARN as given', () => {
    const byName = build({ eventBus: 'orders' });
    expect(statement(byName, 'EventbridgeWorkerRole', 'PutEvents')?.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/orders' },
    ]);
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/shared';
    const byArn = build({ eventBus: arn });
    expect(statement(byArn, 'EventbridgeWorkerRole', 'PutEvents')?.Resource).toEqual([arn]);
    expect(byArn.functions.eventbridgeWorker?.environment.EVENT_BUS_ARN).toBe(arn);
  });

  test('creates an archive bucket only when none is named', () => {
    const own = build();
    expect(own.resources.Resources.ArchiveBucket?.Type).toBe('AWS::S3::Bucket');
    expect(own.functions.s3Worker?.environment.ARCHIVE_BUCKET).toEqual({ Ref: 'ArchiveBucket' });

    const given = build({ archiveBucket: 'company-event-archive', archivePrefix: 'eventgate' });
    expect(given.resources.Resources.ArchiveBucket).toBeUndefined();
    expect(statement(given, 'S3WorkerRole', 'WriteArchive')?.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::company-event-archive/eventgate/*' },
    ]);
    expect(build({ sinks: 'postgres' }).resources.Resources.ArchiveBucket).toBeUndefined();
  });

  test('reads the Postgres secret in its own region and decrypts it with the named key', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const deployment = build({
      postgresSecretName: 'eventgate/db',
      postgresSecretRegion: 'us-east-1',
      postgresSecretKmsKeyArn: key,
    });
    expect(statement(deployment, 'PostgresWorkerRole', 'ReadDatabaseSecret')?.Resource).toEqual([
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:secretsmanager:us-east-1:${AWS::AccountId}:secret:eventgate/db-??????',
      },
    ]);
    expect(statement(deployment, 'PostgresWorkerRole', 'DecryptDatabaseSecret')?.Resource).toEqual([key]);
    expect(deployment.functions.postgresWorker?.environment).toEqual({
      QUEUE_URL_POSTGRES: { Ref: 'PostgresQueue' },
      DLQ_URL_POSTGRES: { Ref: 'PostgresDeadLetterQueue' },
      POSTGRES_SECRET_NAME: 'eventgate/db',
      POSTGRES_SECRET_REGION: 'us-east-1',
    });
  });

  test('gives the ingest role a sink grant only for sinks that sync topics write to directly', () => {
    const asyncOnly = build();
    expect(statementsOf(asyncOnly, 'IngestRole').map((candidate) => candidate.Sid)).toEqual([
      'WriteOwnLogs',
      'EnqueueToSinkQueues',
    ]);
    const withSync = build({ syncSinks: 'eventbridge' });
    expect(statement(withSync, 'IngestRole', 'SyncPutEvents')?.Action).toEqual(['events:PutEvents']);
    expect(
      statementsOf(withSync, 'IngestRole').some((candidate) => candidate.Sid === 'SyncWriteArchive'),
    ).toBe(false);
  });

  test('lets sync topics write to any deployed sink, and refuses sinks that are not deployed', () => {
    const postgresSync = build({ syncSinks: 'postgres', postgresSecretName: 'eventgate/db' });
    expect(
      statementsOf(postgresSync, 'IngestRole').some((candidate) => String(candidate.Sid).startsWith('Sync')),
    ).toBe(true);
    expect(() => build({ sinks: 'postgres', syncSinks: 's3' })).toThrow(/not in "sinks"/);
    expect(build({ syncSinks: 'none' }).resources.Resources.IngestRole).toBeDefined();
  });

  test('no dashboard widgets overlap and none leaves the 24-column grid', () => {
    const params = parseDeployParameters({}, 'dev');
    const widgets = dashboardWidgets(params.sinks.map(sinkQueueSettings), params);
    for (const widget of widgets) expect(widget.x + widget.width).toBeLessThanOrEqual(24);
    for (const [index, a] of widgets.entries()) {
      for (const b of widgets.slice(index + 1)) {
        const apart =
          a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart).toBe(true);
      }
    }
  });
});
