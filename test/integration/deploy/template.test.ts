import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createTestConf } from '../../helpers/gateway';
import path from 'node:path';
import {
  dlqName,
  dlqUrlVariable,
  queueName,
  queueUrlVariable,
  sinkQueueSettings,
} from '../../../shared/queue/topology';
import { SINK_NAMES } from '../../../shared/sinks/catalog';
import type { SinkName } from '../../../shared/sinks/types';
import { createEnvelope } from '../../../shared/envelope';
import { fauxqsS3Client, fauxqsSqsClient, startFauxqs } from '../../peers/fauxqs';
import { createTestDatabase } from '../../peers/postgres';
import { createQueue, sqsEventFrom } from '../workers/sqs-event';
import { quarantineQueueName } from '../../../shared/quarantine/queue';
import { clientsIn, isFunctionBundle, lazyFilesOf, templateEnvironment, unpackBundle } from './bundle';
import { packageService, type PackagedService, type Template } from './package-service';
import {
  allPolicyStatements,
  asArray,
  dashboardBody,
  lambdaByName,
  logicalIdOfRole,
  props,
  queueByName,
  referencedLogicalIds,
  resourcesOfType,
  roleStatements,
  type Statement,
} from './template-queries';
import { readZip } from './zip';
import { templateProblems } from './cfn-spec';

const SERVICE = 'eventgate';
const STAGE = 'citest';
const SUBSET_STAGE = 'cisubset';
const ALARM_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:eventgate-ops';
const FOURTEEN_DAYS = 14 * 24 * 3600;

const VPC = { subnetIds: ['subnet-0a1b2c', 'subnet-0d4e5f'], securityGroupIds: ['sg-0123abc'] };
const KEYS_URL = 'https://login.example.com/.well-known/jwks.json';

/** Every sink, with what each needs, in private subnets, with the gateway's keys: a real deploy. */
const FULLY_CONFIGURED = {
  sinks: 'kafka,eventbridge,postgres,s3',
  kafkaBrokers: 'b-1.msk.example:9098,b-2.msk.example:9098',
  postgresSecretName: 'eventgate/database',
  vpcSubnetIds: VPC.subnetIds.join(','),
  vpcSecurityGroupIds: VPC.securityGroupIds.join(','),
  tokenPublicKeysUrl: KEYS_URL,
};

let full: PackagedService;
let subset: PackagedService;
let defaults: PackagedService;
let refused: unknown;

// Four `serverless package` runs side by side, each in its own copy of the service: fully
// configured, one sink, no parameters at all, and sinks without their settings (which must fail).
beforeAll(async () => {
  const refusal = packageService({ stage: 'cirefused', params: { sinks: 'kafka,postgres' } }).then(
    (packaged) => {
      packaged.cleanup();
      return undefined;
    },
    (error: unknown) => error,
  );
  const runs = await Promise.allSettled([
    packageService({ stage: STAGE, params: FULLY_CONFIGURED }),
    packageService({ stage: 'cidefault' }),
    packageService({
      stage: SUBSET_STAGE,
      params: {
        sinks: 'postgres',
        alarmTopicArn: ALARM_TOPIC,
        postgresSecretName: 'eventgate/database',
        configBucket: 'eventgate-config',
        configPrefix: 'prod/',
      },
    }),
  ]);
  const [fullRun, defaultRun, subsetRun] = runs;
  if (fullRun.status === 'fulfilled') full = fullRun.value;
  if (defaultRun.status === 'fulfilled') defaults = defaultRun.value;
  if (subsetRun.status === 'fulfilled') subset = subsetRun.value;
  refused = await refusal;
  for (const run of runs) if (run.status === 'rejected') throw run.reason;
}, 400_000);

afterAll(() => {
  full?.cleanup();
  subset?.cleanup();
  defaults?.cleanup();
});

describe('the packaged templates against the CloudFormation resource specification', () => {
  test('fully configured: every type, property, required property and GetAtt attribute exists', () => {
    expect(templateProblems(full.template)).toEqual([]);
  });

  test('with no parameters at all: the same', () => {
    expect(templateProblems(defaults.template)).toEqual([]);
  });

  test('one sink with alarms and S3 configuration: the same', () => {
    expect(templateProblems(subset.template)).toEqual([]);
  });
});

describe('a deploy with no parameters', () => {
  test('packages without a warning', () => {
    expect(defaults.output).toContain('Service packaged');
    expect(defaults.output).not.toMatch(/warning/i);
  });

  test('deploys the sinks that can deliver without settings: EventBridge and an archive bucket of its own', () => {
    const workers = resourcesOfType(defaults.template, 'AWS::Lambda::Function')
      .map(([, fn]) => props(fn).FunctionName)
      .sort();
    expect(workers).toEqual([
      'eventgate-cidefault-eventbridge-worker',
      'eventgate-cidefault-ingest',
      'eventgate-cidefault-s3-worker',
    ]);
    // Serverless' deployment bucket, and the archive.
    expect(resourcesOfType(defaults.template, 'AWS::S3::Bucket').map(([id]) => id)).toEqual(
      expect.arrayContaining(['ArchiveBucket', 'ServerlessDeploymentBucket']),
    );
  });

  test('kafka and postgres without their settings are refused, naming each missing parameter', () => {
    expect(refused).toBeInstanceOf(Error);
    const message = (refused as Error).message;
    expect(message).toMatch(/kafkaBrokers=/);
    expect(message).toMatch(/postgresSecretName=/);
  });
});

describe('the ingest bundle of a deploy with no parameters', () => {
  test('is at most 500 kB, and carries what it loads on first use beside it', () => {
    const files = readZip(path.join(defaults.outputDir, 'ingest.zip'));
    const entry = [...files.keys()].find(isFunctionBundle) ?? '';
    expect(entry).toBe('functions/ingest.js');
    expect(files.get(entry)?.length).toBeLessThanOrEqual(500_000);
    expect(lazyFilesOf(files.keys(), entry)).toEqual([
      'functions/ingest.config-s3.js',
      'functions/ingest.openapi.js',
      'functions/ingest.secrets-manager.js',
    ]);
  });
});

describe('a fully configured deploy', () => {
  test('runs the kafka and postgres workers in the given subnets, with network-interface rights', () => {
    for (const sink of ['kafka', 'postgres'] as const) {
      const [, worker] = lambdaByName(full.template, workerName(STAGE, sink));
      expect(props(worker).VpcConfig).toEqual({
        SubnetIds: VPC.subnetIds,
        SecurityGroupIds: VPC.securityGroupIds,
      });
      const role = full.template.Resources[logicalIdOfRole(worker)];
      expect(JSON.stringify(role?.Properties?.ManagedPolicyArns)).toContain(
        'AWSLambdaVPCAccessExecutionRole',
      );
    }
    for (const name of [
      workerName(STAGE, 'eventbridge'),
      workerName(STAGE, 's3'),
      `${SERVICE}-${STAGE}-ingest`,
    ]) {
      expect(props(lambdaByName(full.template, name)[1]).VpcConfig).toBeUndefined();
    }
  });

  test('tells the ingest function where the signing keys are', () => {
    const [, ingest] = lambdaByName(full.template, `${SERVICE}-${STAGE}-ingest`);
    expect(
      (props(ingest).Environment as { Variables: Record<string, unknown> }).Variables.TOKEN_PUBLIC_KEYS_URL,
    ).toBe(KEYS_URL);
  });

  test('retains every queue and DLQ when the stack or a sink is removed', () => {
    const queues = resourcesOfType(full.template, 'AWS::SQS::Queue');
    // Four sinks' queues and DLQs, and the quarantine queue.
    expect(queues).toHaveLength(9);
    for (const [, queue] of queues) {
      expect(queue).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  test('alarms on failed deliveries, throttles, in-flight backlogs, ingest errors and API 5xx', () => {
    const alarms = resourcesOfType(full.template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => props(alarm));
    const metrics = alarms.map((alarm) => `${String(alarm.Namespace)}/${String(alarm.MetricName)}`);
    const count = (metric: string) => metrics.filter((name) => name === metric).length;
    expect(count('EventGate/FailedEvents')).toBe(4);
    expect(count('AWS/SQS/ApproximateNumberOfMessagesNotVisible')).toBe(4);
    expect(count('AWS/Lambda/Throttles')).toBe(5);
    expect(count('AWS/Lambda/Errors')).toBe(1);
    expect(count('AWS/ApiGateway/5xx')).toBe(1);
    const api5xx = alarms.find((alarm) => alarm.MetricName === '5xx');
    expect(api5xx?.Dimensions).toEqual([{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }]);
    expect(full.template.Resources.HttpApi?.Type).toBe('AWS::ApiGatewayV2::Api');
  });
});

function workerName(stage: string, sink: SinkName): string {
  return `${SERVICE}-${stage}-${sink}-worker`;
}

function queueLogicalIds(template: Template): Set<string> {
  return new Set(resourcesOfType(template, 'AWS::SQS::Queue').map(([id]) => id));
}

/** Paths of the files under a directory, as a zip names them (forward slashes, relative). */
function filesUnder(directory: string, prefix: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(path.join(directory, entry.name), `${prefix}/${entry.name}`)
      : [`${prefix}/${entry.name}`],
  );
}

/** Statements other than the function's own log writing. */
function grantsBeyondLogs(statements: Statement[]): Statement[] {
  return statements.filter(
    (statement) => !asArray(statement.Action).every((action) => action.startsWith('logs:')),
  );
}

describe('packaged template with every sink', () => {
  const template = (): Template => full.template;

  test.each(SINK_NAMES)('%s: encrypted queue and 14-day DLQ with the topology redrive policy', (sink) => {
    const settings = sinkQueueSettings(sink);
    const [queueId, queue] = queueByName(template(), queueName(sink, STAGE));
    const [dlqId, dlq] = queueByName(template(), dlqName(sink, STAGE));
    expect(queueId).not.toBe(dlqId);

    expect(props(queue).SqsManagedSseEnabled).toBe(true);
    expect(props(dlq).SqsManagedSseEnabled).toBe(true);
    expect(props(queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: settings.maxReceiveCount,
    });
    expect(props(dlq).MessageRetentionPeriod).toBe(FOURTEEN_DAYS);
    expect(props(dlq).MessageRetentionPeriod as number).toBeGreaterThan(
      props(queue).MessageRetentionPeriod as number,
    );
    expect(props(queue).MessageRetentionPeriod).toBe(settings.queueRetentionSeconds);

    const [, worker] = lambdaByName(template(), workerName(STAGE, sink));
    expect(props(worker).Timeout).toBe(settings.workerTimeoutSeconds);
    expect(props(queue).VisibilityTimeout).toBe(6 * (props(worker).Timeout as number));
  });

  test.each(SINK_NAMES)(
    '%s: worker consumes its queue in partial-batch mode with topology batching',
    (sink) => {
      const settings = sinkQueueSettings(sink);
      const [queueId] = queueByName(template(), queueName(sink, STAGE));
      const [workerId, worker] = lambdaByName(template(), workerName(STAGE, sink));
      expect(props(worker).Handler).toBe(`functions/workers/${sink}.handler`);
      expect(props(worker).Runtime).toBe('nodejs22.x');
      expect(props(worker).Architectures).toEqual(['arm64']);

      const mappings = resourcesOfType(template(), 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
        referencedLogicalIds(props(mapping).FunctionName).has(workerId),
      );
      expect(mappings).toHaveLength(1);
      const mapping = props(mappings[0]?.[1]);
      expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.BatchSize).toBe(settings.batchSize);
      expect(mapping.MaximumBatchingWindowInSeconds).toBe(settings.maximumBatchingWindowSeconds);
      expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: settings.maxConcurrency });
    },
  );

  test.each(SINK_NAMES)('%s: alarms on oldest message age and on a non-empty DLQ', (sink) => {
    const alarms = resourcesOfType(template(), 'AWS::CloudWatch::Alarm').map(([, alarm]) => props(alarm));
    const onQueue = (name: string, metric: string) =>
      alarms.filter(
        (alarm) =>
          alarm.Namespace === 'AWS/SQS' &&
          alarm.MetricName === metric &&
          JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: name }]),
      );

    const age = onQueue(queueName(sink, STAGE), 'ApproximateAgeOfOldestMessage');
    expect(age).toHaveLength(1);
    expect(age[0]).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
    });

    const dlq = onQueue(dlqName(sink, STAGE), 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({
      Threshold: 0,
      Period: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    // No alarm topic was given, so no action may point anywhere.
    for (const alarm of [...age, ...dlq]) {
      expect(alarm).not.toHaveProperty('AlarmActions');
      expect(alarm).not.toHaveProperty('OKActions');
    }
  });

  test('the dashboard charts each sink queue, DLQ, worker and delivery lag, and the API errors', () => {
    const widgets = dashboardBody(template()).widgets.filter((widget) => widget.type === 'metric');
    const lines = widgets.flatMap((widget) => widget.properties.metrics as unknown[][]);
    const has = (...prefix: unknown[]) =>
      lines.some((line) =>
        prefix.every((value, index) => JSON.stringify(line[index]) === JSON.stringify(value)),
      );

    for (const sink of SINK_NAMES) {
      const queue = queueName(sink, STAGE);
      for (const metric of [
        'ApproximateNumberOfMessagesVisible',
        'ApproximateAgeOfOldestMessage',
        'ApproximateNumberOfMessagesNotVisible',
      ]) {
        expect(has('AWS/SQS', metric, 'QueueName', queue)).toBe(true);
      }
      expect(has('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', dlqName(sink, STAGE))).toBe(
        true,
      );
      expect(has('AWS/Lambda', 'Errors', 'FunctionName', workerName(STAGE, sink))).toBe(true);
      expect(has('EventGate', 'DeliveryLag', 'service', `${SERVICE}-${STAGE}`, 'sink', sink)).toBe(true);
    }
    expect(has('AWS/ApiGateway', '4xx', 'ApiId', '${HttpApi}')).toBe(true);
    expect(has('AWS/ApiGateway', '5xx', 'ApiId', '${HttpApi}')).toBe(true);
    expect(template().Resources.HttpApi?.Type).toBe('AWS::ApiGatewayV2::Api');
  });

  test('the delivery-lag dimension matches the service name the functions publish under', () => {
    for (const [, fn] of resourcesOfType(template(), 'AWS::Lambda::Function')) {
      const variables = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.POWERTOOLS_SERVICE_NAME).toBe(`${SERVICE}-${STAGE}`);
      expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe('EventGate');
    }
  });

  test('no policy statement of any role allows every action or every resource', () => {
    const statements = allPolicyStatements(template());
    expect(statements.length).toBeGreaterThan(0);
    for (const { owner, statement } of statements) {
      expect({ owner, effect: statement.Effect }).toEqual({ owner, effect: 'Allow' });
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      for (const action of asArray(statement.Action)) {
        expect({ owner, action }).not.toEqual({
          owner,
          action: expect.stringMatching(/^(\*|[a-z0-9-]+:\*)$/),
        });
      }
      for (const resource of asArray(statement.Resource)) {
        expect({ owner, resource }).not.toEqual({ owner, resource: '*' });
      }
    }
    // The one managed policy allowed: AWS's own network-interface policy, for functions in the VPC.
    for (const [, role] of resourcesOfType(template(), 'AWS::IAM::Role')) {
      for (const arn of asArray(props(role).ManagedPolicyArns as never)) {
        expect(JSON.stringify(arn)).toMatch(/:policy\/service-role\/AWSLambdaVPCAccessExecutionRole"/);
      }
    }
  });

  test('every function runs under a role of its own', () => {
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');
    // The ingest function, a worker per sink, and the read function (deployed with postgres).
    expect(functions).toHaveLength(2 + SINK_NAMES.length);
    const roles = functions.map(([, fn]) => logicalIdOfRole(fn));
    expect(new Set(roles).size).toBe(functions.length);
    for (const role of roles) expect(template().Resources[role]?.Type).toBe('AWS::IAM::Role');
  });

  test('the ingest role may only send to (and probe) the sink queues, and send to the quarantine queue', () => {
    const [, ingest] = lambdaByName(template(), `${SERVICE}-${STAGE}-ingest`);
    const all = grantsBeyondLogs(roleStatements(template(), logicalIdOfRole(ingest)));
    const sidOf = (statement: object): unknown => (statement as { Sid?: unknown }).Sid;
    const quarantine = all.filter((statement) => sidOf(statement) === 'KeepRefusedEvents');
    expect(quarantine.map((statement) => [asArray(statement.Action), statement.Resource])).toEqual([
      [
        ['sqs:SendMessage'],
        [{ 'Fn::GetAtt': [queueByName(template(), quarantineQueueName(STAGE))[0], 'Arn'] }],
      ],
    ]);
    const grants = all.filter((statement) => sidOf(statement) !== 'KeepRefusedEvents');
    expect(grants.length).toBeGreaterThan(0);
    const sinkQueues = new Set(SINK_NAMES.map((sink) => queueByName(template(), queueName(sink, STAGE))[0]));
    const targets = new Set<string>();
    for (const statement of grants) {
      expect(asArray(statement.Action).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:SendMessage']);
      for (const resource of asArray(statement.Resource)) {
        expect(resource).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
        referencedLogicalIds(resource).forEach((id) => targets.add(id));
      }
    }
    expect(targets).toEqual(sinkQueues);
  });

  test('the ingest function is told every sink queue URL', () => {
    const [, ingest] = lambdaByName(template(), `${SERVICE}-${STAGE}-ingest`);
    const variables = (props(ingest).Environment as { Variables: Record<string, unknown> }).Variables;
    for (const sink of SINK_NAMES) {
      const [queueId] = queueByName(template(), queueName(sink, STAGE));
      expect(variables[queueUrlVariable(sink)]).toEqual({ Ref: queueId });
    }
    expect(variables.EVENTGATE_SINKS).toBe(SINK_NAMES.join(','));
  });

  test.each(SINK_NAMES)(
    '%s worker may touch its own queue and DLQ and no other, and knows only their URLs',
    (sink) => {
      const [, worker] = lambdaByName(template(), workerName(STAGE, sink));
      const statements = roleStatements(template(), logicalIdOfRole(worker));
      const [ownQueue] = queueByName(template(), queueName(sink, STAGE));
      const [ownDlq] = queueByName(template(), dlqName(sink, STAGE));
      const queues = queueLogicalIds(template());

      const sqsStatements = statements.filter((statement) =>
        asArray(statement.Action).some((a) => a.startsWith('sqs:')),
      );
      expect(sqsStatements).toHaveLength(2);
      expect(asArray(sqsStatements[0]?.Action).sort()).toEqual(
        [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ].sort(),
      );
      expect(asArray(sqsStatements[0]?.Resource)).toEqual([{ 'Fn::GetAtt': [ownQueue, 'Arn'] }]);
      // An event the sink refuses for good is parked in the DLQ at once: sending there, nothing else.
      expect(asArray(sqsStatements[1]?.Action)).toEqual(['sqs:SendMessage']);
      expect(asArray(sqsStatements[1]?.Resource)).toEqual([{ 'Fn::GetAtt': [ownDlq, 'Arn'] }]);

      const queuesTouched = [...referencedLogicalIds(statements)].filter((id) => queues.has(id));
      expect(queuesTouched.sort()).toEqual([ownQueue, ownDlq].sort());
      const variables = (props(worker).Environment as { Variables: Record<string, unknown> }).Variables;
      const queueVariables = Object.keys(variables).filter((name) => /^(QUEUE|DLQ)_URL_/.test(name));
      expect(queueVariables.sort()).toEqual([queueUrlVariable(sink), dlqUrlVariable(sink)].sort());
      expect(variables[queueUrlVariable(sink)]).toEqual({ Ref: ownQueue });
      expect(variables[dlqUrlVariable(sink)]).toEqual({ Ref: ownDlq });
      // No queue named in an ARN string either.
      const otherSinks = SINK_NAMES.filter((other) => other !== sink);
      const policyText = JSON.stringify(statements);
      for (const other of otherSinks) expect(policyText).not.toContain(queueName(other, STAGE));
    },
  );

  test('the HTTP API is throttled and writes access logs', () => {
    const stage = props(template().Resources.HttpApiStage);
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 });
    expect(stage.AccessLogSettings).toMatchObject({
      DestinationArn: { 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] },
    });
    const routes = resourcesOfType(template(), 'AWS::ApiGatewayV2::Route').map(
      ([, route]) => props(route).RouteKey,
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /topics/{topic}',
        'GET /health',
        'POST /terminate',
        'GET /topics/{topic}/events',
        'GET /topics/{topic}/events/{eventId}',
        'POST /stats/{topic}',
      ]),
    );
  });

  test('only the workers that need them carry the Kafka and Postgres clients', () => {
    const clients = (functionKey: string): string[] => {
      const files = readZip(path.join(full.outputDir, `${functionKey}.zip`));
      const entry = [...files.keys()].find(isFunctionBundle);
      return clientsIn(entry === undefined ? '' : (files.get(entry)?.toString('utf8') ?? ''));
    };
    expect(clients('ingest')).toEqual([]);
    expect(clients('kafkaWorker')).toEqual(['kafkajs']);
    expect(clients('postgresWorker')).toEqual(['pg']);
    expect(clients('read')).toEqual(['pg']);
    expect(clients('eventbridgeWorker')).toEqual([]);
    expect(clients('s3Worker')).toEqual([]);
  });

  test.each(['ingest', ...SINK_NAMES.map((sink) => `${sink}Worker`)])(
    'the %s bundle carries conf/ and loads with no node_modules beside it',
    async (functionKey) => {
      const bundle = unpackBundle(path.join(full.outputDir, `${functionKey}.zip`));
      try {
        expect(bundle.entry).not.toBe('');
        for (const file of filesUnder(path.resolve(__dirname, '..', '..', '..', 'conf'), 'conf')) {
          expect(bundle.files.has(file)).toBe(true);
        }
        // The function's own file, then each file it loads on first use: all load from the zip alone.
        const files = [bundle.entry, ...bundle.lazyFiles].map((file) => `./${file}`);
        const script = `process.stdout.write(JSON.stringify(${JSON.stringify(files)}.map((file) => Object.keys(require(file)).length > 0)))`;
        const loaded = JSON.parse(
          await bundle.run(script, {
            CONF_DIR: path.join(bundle.directory, 'conf'),
            AWS_REGION: 'eu-west-1',
          }),
        ) as boolean[];
        expect(loaded).toEqual(files.map(() => true));
        const handler = `process.stdout.write(typeof require(${JSON.stringify(`./${bundle.entry}`)}).handler)`;
        expect(
          await bundle.run(handler, {
            CONF_DIR: path.join(bundle.directory, 'conf'),
            AWS_REGION: 'eu-west-1',
          }),
        ).toBe('function');
      } finally {
        bundle.remove();
      }
    },
  );

  test('the packaged ingest function answers with the environment the template gives it', async () => {
    const [, ingest] = lambdaByName(template(), `${SERVICE}-${STAGE}-ingest`);
    const variables = (props(ingest).Environment as { Variables: Record<string, unknown> }).Variables;
    const bundle = unpackBundle(path.join(full.outputDir, 'ingest.zip'));
    try {
      const env = {
        ...templateEnvironment(variables),
        // The template points at /var/task/conf, where Lambda unpacks the zip.
        CONF_DIR: path.join(bundle.directory, 'conf'),
        AWS_REGION: 'eu-west-1',
        // Log lines go to stdout, where the script prints its answer.
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      };
      const paths = ['/topics', '/api', '/docs', '/docs/swagger-ui.css'];
      const script = `
        const { handler } = require(${JSON.stringify(`./${bundle.entry}`)});
        const event = (path) => ({
          version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', headers: {}, isBase64Encoded: false,
          requestContext: { http: { method: 'GET', path, sourceIp: '127.0.0.1' }, requestId: 'deploy-test' },
        });
        (async () => {
          const statuses = {};
          for (const path of ${JSON.stringify(paths)}) statuses[path] = (await handler(event(path), {})).statusCode;
          process.stdout.write(JSON.stringify(statuses));
          process.exit(0);
        })();`;
      const statuses = JSON.parse(await bundle.run(script, env)) as Record<string, number>;
      expect(statuses).toEqual(Object.fromEntries(paths.map((p) => [p, 200])));
    } finally {
      bundle.remove();
    }
  });

  test('the packaged ingest function reads its access map and topic schemas from S3 with the client file it loads on first use', async () => {
    const [, ingest] = lambdaByName(template(), `${SERVICE}-${STAGE}-ingest`);
    const variables = (props(ingest).Environment as { Variables: Record<string, unknown> }).Variables;
    const fauxqs = await startFauxqs();
    const s3 = fauxqsS3Client(fauxqs.endpoint);
    const bundle = unpackBundle(path.join(full.outputDir, 'ingest.zip'));
    try {
      expect(bundle.lazyFiles).toContain('functions/ingest.config-s3.js');
      const confDir = path.join(bundle.directory, 'conf');
      await s3.send(new CreateBucketCommand({ Bucket: 'eventgate-config' }));
      // The packaged schemas go to S3 and leave the unpacked zip: only S3 can serve them.
      const topics = readdirSync(path.join(confDir, 'topics')).sort();
      for (const file of ['access.json', ...topics.map((topic) => `topics/${topic}`)]) {
        const Body = await readFile(path.join(confDir, file), 'utf8');
        await s3.send(new PutObjectCommand({ Bucket: 'eventgate-config', Key: `prod/${file}`, Body }));
      }
      rmSync(path.join(confDir, 'topics'), { recursive: true });
      const env = {
        ...templateEnvironment(variables),
        CONF_DIR: confDir,
        ACCESS_CONFIG: 's3://eventgate-config/prod/access.json',
        TOPIC_SCHEMAS: 's3://eventgate-config/prod/topics/',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
        AWS_S3_FORCE_PATH_STYLE: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      };
      const script = `
        const { handler } = require(${JSON.stringify(`./${bundle.entry}`)});
        const event = {
          version: '2.0', routeKey: '$default', rawPath: '/topics', rawQueryString: '', headers: {}, isBase64Encoded: false,
          requestContext: { http: { method: 'GET', path: '/topics', sourceIp: '127.0.0.1' }, requestId: 'deploy-test' },
        };
        handler(event, {}).then((response) => {
          process.stdout.write('\\n' + JSON.stringify({ status: response.statusCode, body: JSON.parse(response.body) }));
          process.exit(0);
        });`;
      // Log lines come first; the answer is the last line.
      const output = await bundle.run(script, env);
      const answer = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
        status: number;
        body: unknown;
      };
      expect({
        status: answer.status,
        topics: Array.isArray(answer.body) ? [...(answer.body as string[])].sort() : answer.body,
        output: answer.status === 200 ? '' : output,
      }).toEqual({
        status: 200,
        topics: topics.map((file) => file.replace(/\.json$/, '')),
        output: '',
      });
    } finally {
      bundle.remove();
      s3.destroy();
      await fauxqs.stop();
    }
  });

  test('the packaged ingest function enqueues a POSTed event on every sink queue, digit for digit, through a real SQS server', async () => {
    const [, ingest] = lambdaByName(template(), `${SERVICE}-${STAGE}-ingest`);
    const variables = (props(ingest).Environment as { Variables: Record<string, unknown> }).Variables;
    const sinks = String(variables.EVENTGATE_SINKS).split(',') as SinkName[];
    const fauxqs = await startFauxqs();
    const sqs = fauxqsSqsClient(fauxqs.endpoint);
    const conf = await createTestConf();
    const bundle = unpackBundle(path.join(full.outputDir, 'ingest.zip'));
    try {
      const queues = await Promise.all(sinks.map((sink) => createQueue(sqs, `packaged-ingest-${sink}`)));
      const body =
        '{"event_id":"packaged-1","tenant_id":"demo","source_app":"deploy-test","environment":"ci","timestamp":9007199254740993}';
      const env = {
        ...templateEnvironment(variables),
        ...Object.fromEntries(sinks.map((sink, index) => [queueUrlVariable(sink), queues[index]?.url])),
        // The test's own configuration: its key set signs the token below.
        CONF_DIR: conf.dir,
        TOKEN_PUBLIC_KEYS_URL: path.join(conf.dir, 'jwks.json'),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POST_EVENT: JSON.stringify({
          version: '2.0',
          routeKey: '$default',
          rawPath: '/topics/public.cps.za.test',
          rawQueryString: '',
          headers: {
            authorization: `Bearer ${await conf.token('TestUser')}`,
            'content-type': 'application/json',
          },
          body,
          isBase64Encoded: false,
          requestContext: {
            http: { method: 'POST', path: '/topics/public.cps.za.test', sourceIp: '127.0.0.1' },
            requestId: 'deploy-test',
          },
        }),
      };
      const script = `
        const { handler } = require(${JSON.stringify(`./${bundle.entry}`)});
        handler(JSON.parse(process.env.POST_EVENT), {}).then((response) => {
          process.stdout.write('\\n' + JSON.stringify(response));
          process.exit(0);
        });`;
      const output = await bundle.run(script, env);
      const response = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
        statusCode?: number;
        body?: string;
      };
      expect({ status: response.statusCode, output: response.statusCode === 202 ? '' : output }).toEqual({
        status: 202,
        output: '',
      });
      const { eventId } = JSON.parse(response.body ?? '{}') as { eventId: string };
      for (const queue of queues) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        expect(Messages).toHaveLength(1);
        const text = Messages[0]?.Body ?? '';
        expect(text).toContain('"timestamp":9007199254740993');
        expect((JSON.parse(text) as { id: string }).id).toBe(eventId);
      }
    } finally {
      bundle.remove();
      conf.cleanup();
      sqs.destroy();
      await fauxqs.stop();
    }
  });

  test('the packaged postgres worker delivers a real SQS batch with the environment the template gives it', async () => {
    const [, worker] = lambdaByName(template(), workerName(STAGE, 'postgres'));
    const variables = (props(worker).Environment as { Variables: Record<string, unknown> }).Variables;
    const [fauxqs, database] = await Promise.all([startFauxqs(), createTestDatabase()]);
    const sqs = fauxqsSqsClient(fauxqs.endpoint);
    const bundle = unpackBundle(path.join(full.outputDir, 'postgresWorker.zip'));
    try {
      const queue = await createQueue(sqs, 'packaged-postgres-worker');
      const batch = Array.from({ length: 3 }, (_, index) =>
        createEnvelope({
          topic: 'public.cps.za.test',
          // A real event of the topic: the shipped configuration also projects it into a typed table.
          payload: {
            event_id: `packaged-${index}`,
            tenant_id: 'demo',
            source_app: 'deploy-test',
            environment: 'ci',
            timestamp: 1767225600000 + index,
          },
          subject: 's',
          correlationId: `c-${index}`,
        }),
      );
      const event = await sqsEventFrom(sqs, queue, 'postgres', batch, ['not an envelope']);
      const env = {
        ...templateEnvironment(variables),
        CONF_DIR: path.join(bundle.directory, 'conf'),
        DATABASE_URL: database.url,
        [queueUrlVariable('postgres')]: queue.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
        SQS_EVENT: JSON.stringify(event),
      };
      const script = `
        const { handler } = require(${JSON.stringify(`./${bundle.entry}`)});
        handler(JSON.parse(process.env.SQS_EVENT), {}).then((response) => {
          process.stdout.write(JSON.stringify(response));
          process.exit(0);
        });`;
      const response = JSON.parse(await bundle.run(script, env)) as unknown;
      const poison = event.Records.find((record) => record.body === 'not an envelope')?.messageId;
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: poison }] });
      const rows = await database.query<{ event_id: string }>('SELECT event_id FROM public_cps_za_test');
      expect(rows.map((row) => row.event_id).sort()).toEqual(batch.map((envelope) => envelope.id).sort());
    } finally {
      bundle.remove();
      sqs.destroy();
      await Promise.allSettled([fauxqs.stop(), database.drop()]);
    }
  });

  test('one deployment zip per function', () => {
    expect(Object.keys(full.zipSizes).sort()).toEqual(
      ['ingest', 'read', ...SINK_NAMES.map((sink) => `${sink}Worker`)].sort(),
    );
  });
});

describe('packaged template with only the postgres sink', () => {
  const template = (): Template => subset.template;
  const others = SINK_NAMES.filter((sink) => sink !== 'postgres');

  test('has the postgres queue, DLQ, worker and alarms, and nothing of the other sinks', () => {
    const queueNames = resourcesOfType(template(), 'AWS::SQS::Queue').map(
      ([, queue]) => props(queue).QueueName,
    );
    expect(queueNames.sort()).toEqual(
      [
        queueName('postgres', SUBSET_STAGE),
        dlqName('postgres', SUBSET_STAGE),
        quarantineQueueName(SUBSET_STAGE),
      ].sort(),
    );

    const functionNames = resourcesOfType(template(), 'AWS::Lambda::Function').map(
      ([, fn]) => props(fn).FunctionName,
    );
    expect(functionNames.sort()).toEqual(
      [
        `${SERVICE}-${SUBSET_STAGE}-ingest`,
        workerName(SUBSET_STAGE, 'postgres'),
        `${SERVICE}-${SUBSET_STAGE}-read`,
      ].sort(),
    );

    // The queue's four alarms, the worker's throttles, the ingest function's three, and the quarantine's two.
    expect(resourcesOfType(template(), 'AWS::CloudWatch::Alarm')).toHaveLength(10);
    expect(resourcesOfType(template(), 'AWS::IAM::Role')).toHaveLength(3);
    expect(resourcesOfType(template(), 'AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    // The deployment bucket only: no archive bucket without the s3 sink.
    expect(resourcesOfType(template(), 'AWS::S3::Bucket').map(([id]) => id)).toEqual([
      'ServerlessDeploymentBucket',
    ]);

    const text = JSON.stringify(template());
    for (const sink of others) {
      expect(text).not.toContain(queueName(sink, SUBSET_STAGE));
      expect(text).not.toContain(workerName(SUBSET_STAGE, sink));
      expect(text).not.toContain(queueUrlVariable(sink));
    }
    expect(Object.keys(subset.zipSizes).sort()).toEqual(['ingest', 'postgresWorker', 'read']);
  });

  test('the dashboard shows the postgres row only', () => {
    const lines = dashboardBody(template())
      .widgets.filter((widget) => widget.type === 'metric')
      .flatMap((widget) => widget.properties.metrics as unknown[][]);
    const sinksCharted = new Set(lines.filter((line) => line[1] === 'DeliveryLag').map((line) => line[5]));
    expect(sinksCharted).toEqual(new Set(['postgres']));
    const queuesCharted = new Set(lines.filter((line) => line[0] === 'AWS/SQS').map((line) => line[3]));
    expect(queuesCharted).toEqual(
      new Set([queueName('postgres', SUBSET_STAGE), dlqName('postgres', SUBSET_STAGE)]),
    );
  });

  test('alarms notify the given topic when raised and when cleared', () => {
    for (const [, alarm] of resourcesOfType(template(), 'AWS::CloudWatch::Alarm')) {
      expect(props(alarm).AlarmActions).toEqual([ALARM_TOPIC]);
      expect(props(alarm).OKActions).toEqual([ALARM_TOPIC]);
    }
  });

  test('the secret and config grants are scoped to the named secret and prefix', () => {
    const [, worker] = lambdaByName(template(), workerName(SUBSET_STAGE, 'postgres'));
    const secretGrant = roleStatements(template(), logicalIdOfRole(worker)).find((statement) =>
      asArray(statement.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(asArray(secretGrant?.Resource)).toEqual([
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:eventgate/database-??????',
      },
    ]);

    const [, ingest] = lambdaByName(template(), `${SERVICE}-${SUBSET_STAGE}-ingest`);
    const ingestGrants = grantsBeyondLogs(roleStatements(template(), logicalIdOfRole(ingest)));
    expect(ingestGrants.map((statement) => asArray(statement.Action))).toEqual([
      ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
      ['s3:GetObject'],
      // The quarantine queue.
      ['sqs:SendMessage'],
    ]);
    expect(asArray(ingestGrants[1]?.Resource)).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::eventgate-config/prod/*' },
    ]);

    // The read function: the same secret and config, nothing else (no queue, no write anywhere).
    const [, read] = lambdaByName(template(), `${SERVICE}-${SUBSET_STAGE}-read`);
    const readGrants = grantsBeyondLogs(roleStatements(template(), logicalIdOfRole(read)));
    expect(readGrants.map((statement) => asArray(statement.Action))).toEqual([
      ['secretsmanager:GetSecretValue'],
      ['s3:GetObject'],
    ]);
    expect(asArray(readGrants[0]?.Resource)).toEqual(asArray(secretGrant?.Resource));
  });
});
