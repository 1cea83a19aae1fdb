import {
  buildDeployment,
  enabledTopology,
  parseDeployParameters,
  type Deployment,
} from '../../../shared/deploy';
import type { PolicyStatement } from '../../../shared/deploy/iam';
import { dashboardWidgets } from '../../../shared/deploy/dashboard';
import { sinkQueueSettings, topologyProblems } from '../../../shared/queue/topology';
import type { RawParameters } from '../../../shared/deploy/parameters';

/** Every sink, with the settings kafka and postgres cannot be deployed without. */
const EVERY_SINK: RawParameters = {
  sinks: 'kafka,eventbridge,postgres,s3',
  kafkaBrokers: 'b-1.example:9092',
  postgresSecretName: 'eventgate/database',
};

function build(raw: RawParameters = {}, stage = 'dev'): Deployment {
  return buildDeployment(parseDeployParameters({ ...EVERY_SINK, ...raw }, stage));
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

  test('lets the ingest function read the token issuance secrets, and only when some are named', () => {
    expect(statement(build(), 'IngestRole', 'ReadTokenIssuanceSecrets')).toBeUndefined();
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:eventgate/key-AbCdEf';
    const deployment = build({ tokenIssuanceSecrets: `eventgate/prod/clients, ${arn}` });
    expect(statement(deployment, 'IngestRole', 'ReadTokenIssuanceSecrets')).toMatchObject({
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:eventgate/prod/clients-??????',
        },
        arn,
      ],
    });
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
      'KeepRefusedEvents',
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

describe('a production deploy', () => {
  const resourcesOf = (deployment: Deployment) => deployment.resources.Resources;

  test('with no parameters deploys only the sinks that need no outside settings', () => {
    const deployment = buildDeployment(parseDeployParameters({}, 'dev'));
    expect(Object.keys(deployment.functions)).toEqual(['ingest', 'eventbridgeWorker', 's3Worker']);
    expect(resourcesOf(deployment).ArchiveBucket?.Type).toBe('AWS::S3::Bucket');
  });

  test('refuses kafka and postgres without their settings, naming every missing parameter at once', () => {
    expect(() => buildDeployment(parseDeployParameters({ sinks: 'kafka,postgres' }, 'dev'))).toThrow(
      /kafkaBrokers=.*postgresSecretName=/,
    );
  });

  test('refuses a topology AWS would reject', () => {
    const settings = {
      ...sinkQueueSettings('postgres'),
      batchSize: 50,
      maximumBatchingWindowSeconds: 0,
      maxConcurrency: 1,
    };
    const problems = topologyProblems(settings);
    expect(problems).toEqual([
      'postgres: maxConcurrency must be an integer from 2 to 1000, got 1',
      'postgres: batchSize 50 needs maximumBatchingWindowSeconds of at least 1 (SQS hands out 10 at a time)',
    ]);
    expect(topologyProblems(sinkQueueSettings('postgres'))).toEqual([]);
    const params = parseDeployParameters({ sinks: 's3' }, 'dev');
    expect(() => enabledTopology(params, () => ({ ...sinkQueueSettings('s3'), maxConcurrency: 1 }))).toThrow(
      /s3: maxConcurrency must be/,
    );
  });

  test('puts the workers that reach private endpoints in the VPC, with the network-interface policy', () => {
    const deployment = build({ vpcSubnetIds: 'subnet-0a1, subnet-0b2', vpcSecurityGroupIds: 'sg-0c3' });
    const vpc = { subnetIds: ['subnet-0a1', 'subnet-0b2'], securityGroupIds: ['sg-0c3'] };
    expect(deployment.functions.postgresWorker?.vpc).toEqual(vpc);
    expect(deployment.functions.kafkaWorker?.vpc).toEqual(vpc);
    expect(deployment.functions.eventbridgeWorker?.vpc).toBeUndefined();
    expect(deployment.functions.s3Worker?.vpc).toBeUndefined();
    expect(deployment.functions.ingest?.vpc).toBeUndefined();
    const managed = (roleId: string) => resourcesOf(deployment)[roleId]?.Properties.ManagedPolicyArns;
    expect(JSON.stringify(managed('PostgresWorkerRole'))).toContain('AWSLambdaVPCAccessExecutionRole');
    expect(managed('EventbridgeWorkerRole')).toBeUndefined();
    expect(managed('IngestRole')).toBeUndefined();
  });

  test('puts the ingest function in the VPC only when a sync topic writes to a sink behind it', () => {
    const vpcParams = { vpcSubnetIds: 'subnet-0a1', vpcSecurityGroupIds: 'sg-0c3' };
    expect(build({ ...vpcParams, syncSinks: 'postgres' }).functions.ingest?.vpc).toBeDefined();
    expect(build({ ...vpcParams, syncSinks: 'eventbridge' }).functions.ingest?.vpc).toBeUndefined();
  });

  test('refuses half a VPC and malformed ids', () => {
    expect(() => build({ vpcSubnetIds: 'subnet-0a1' })).toThrow(/go together/);
    expect(() => build({ vpcSubnetIds: 'subnet-0a1', vpcSecurityGroupIds: 'default' })).toThrow(
      /security group ids/,
    );
  });

  test('retains every queue and DLQ when a sink or the stack is removed', () => {
    const queues = Object.values(resourcesOf(build())).filter(
      (resource) => resource.Type === 'AWS::SQS::Queue',
    );
    expect(queues).toHaveLength(9); // four sinks, each with its DLQ, and the quarantine queue
    for (const queue of queues)
      expect([queue.DeletionPolicy, queue.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  test('alarms on failed deliveries, throttles, in-flight backlogs, ingest errors and API 5xx', () => {
    const resources = resourcesOf(build({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' }));
    const alarms = Object.entries(resources).filter(
      ([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm',
    );
    const ids = alarms.map(([id]) => id);
    for (const sink of ['Kafka', 'Eventbridge', 'Postgres', 'S3']) {
      expect(ids).toEqual(
        expect.arrayContaining([
          `${sink}FailedEventsAlarm`,
          `${sink}WorkerThrottlesAlarm`,
          `${sink}InFlightAlarm`,
        ]),
      );
    }
    expect(ids).toEqual(
      expect.arrayContaining(['IngestErrorsAlarm', 'IngestThrottlesAlarm', 'Ingest5xxAlarm']),
    );
    const failed = resources.PostgresFailedEventsAlarm?.Properties;
    expect(failed).toMatchObject({ Namespace: 'EventGate', MetricName: 'FailedEvents' });
    expect(failed?.Dimensions).toEqual([
      { Name: 'service', Value: 'eventgate-dev' },
      { Name: 'sink', Value: 'postgres' },
    ]);
    for (const [, alarm] of alarms)
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
  });

  test('hands the gateway its keys, access map and schemas, with read grants for s3:// locations', () => {
    const deployment = build({
      tokenPublicKeysUrl: 'https://login.example.com/keys',
      accessConfig: 's3://eventgate-config/prod/access.json',
      topicSchemas: 's3://eventgate-config/prod/topics/',
    });
    expect(deployment.functions.ingest?.environment).toMatchObject({
      TOKEN_PUBLIC_KEYS_URL: 'https://login.example.com/keys',
      ACCESS_CONFIG: 's3://eventgate-config/prod/access.json',
      TOPIC_SCHEMAS: 's3://eventgate-config/prod/topics/',
    });
    expect(statement(deployment, 'IngestRole', 'ReadConfigurationObjects')?.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::eventgate-config/prod/access.json' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::eventgate-config/prod/topics/*' },
    ]);
    expect(statement(deployment, 'IngestRole', 'ListTopicSchemas')).toMatchObject({
      Action: ['s3:ListBucket'],
      Condition: { StringLike: { 's3:prefix': ['prod/topics/*'] } },
    });
    expect(() => build({ tokenPublicKeysUrl: 'http://insecure.example.com/keys' })).toThrow(/https:\/\/…/);
  });

  test('encrypts queues and the archive with a customer-managed key, and grants its use', () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const deployment = build({ kmsKeyArn: key });
    const resources = resourcesOf(deployment);
    expect(resources.PostgresQueue?.Properties).toMatchObject({ KmsMasterKeyId: key });
    expect(resources.PostgresQueue?.Properties).not.toHaveProperty('SqsManagedSseEnabled');
    expect(JSON.stringify(resources.ArchiveBucket?.Properties.BucketEncryption)).toContain('aws:kms');
    expect(statement(deployment, 'IngestRole', 'UseQueueKey')?.Action).toEqual([
      'kms:GenerateDataKey',
      'kms:Decrypt',
    ]);
    expect(statement(deployment, 'PostgresWorkerRole', 'UseQueueKey')?.Action).toEqual([
      'kms:GenerateDataKey',
      'kms:Decrypt',
    ]);
    expect(statement(deployment, 'S3WorkerRole', 'EncryptArchive')?.Resource).toEqual([key]);
    expect(statement(build(), 'IngestRole', 'UseQueueKey')).toBeUndefined();
  });
});
