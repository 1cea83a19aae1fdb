import type { SinkDeployContribution } from '../sinks/definition';
import type { SinkName } from '../sinks/types';
import { arnPrefix, getAtt, isArn, sub, type CfnResource, type Json } from './cloudformation';
import { dlqLogicalId, queueLogicalId } from './names';
import type { DeployParameters } from './parameters';

/**
 * One role per function, each allowed exactly what its function does. Serverless' shared execution
 * role would hand every worker every other worker's queue and secrets.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Json[];
  Condition?: Record<string, Record<string, Json>>;
}

/** Lambda creates nothing here: the stack owns the log group, so the function only writes to it. */
function logStatement(functionName: string): PolicyStatement {
  return {
    Sid: 'WriteOwnLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [sub(`${arnPrefix('logs')}log-group:/aws/lambda/${functionName}:*`)],
  };
}

/** X-Ray's write calls have no resource-level permissions: AWS only accepts `*` for them. */
function tracingStatement(): PolicyStatement {
  return {
    Sid: 'WriteTraces',
    Effect: 'Allow',
    Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    Resource: ['*'],
  };
}

/**
 * A function in a VPC creates, describes and deletes its network interfaces. AWS's managed policy
 * for exactly that is kept current by AWS; EC2's network-interface calls take no resource ARNs, so
 * an inline statement could not be narrower.
 */
const VPC_ACCESS_POLICY = sub(
  'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
);

/** Using a customer-managed key: sending to an encrypted queue makes a data key, receiving decrypts. */
export function queueKeyStatement(params: DeployParameters, actions: string[]): PolicyStatement[] {
  if (params.kmsKeyArn === undefined) return [];
  return [{ Sid: 'UseQueueKey', Effect: 'Allow', Action: actions, Resource: [params.kmsKeyArn] }];
}

export function functionRole(
  functionName: string,
  statements: PolicyStatement[],
  params: DeployParameters,
  options: { inVpc?: boolean } = {},
): CfnResource {
  const all = [logStatement(functionName), ...statements];
  if (params.tracing) all.push(tracingStatement());
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      ...(options.inVpc ? { ManagedPolicyArns: [VPC_ACCESS_POLICY] } : {}),
      Description: `Runs ${functionName}`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      Policies: [
        {
          PolicyName: functionName,
          PolicyDocument: { Version: '2012-10-17', Statement: all as unknown as Json[] },
        },
      ],
    },
  };
}

/**
 * SendMessage also authorises SendMessageBatch; GetQueueAttributes is what /health probes a queue
 * with. Sinks listed in `syncSinks` are written directly by sync topics and get their sink's grant.
 */
export function ingestStatements(
  params: DeployParameters,
  contributions: ReadonlyMap<SinkName, SinkDeployContribution>,
): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: 'EnqueueToSinkQueues',
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
      Resource: params.sinks.map((sink) => getAtt(queueLogicalId(sink), 'Arn')),
    },
  ];
  statements.push(...queueKeyStatement(params, ['kms:GenerateDataKey', 'kms:Decrypt']));
  statements.push(...configLocationStatements(params));
  statements.push(...configBucketStatement(params));
  if (params.tokenIssuanceSecrets.length > 0) {
    statements.push({
      Sid: 'ReadTokenIssuanceSecrets',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: params.tokenIssuanceSecrets.map((name) =>
        isArn(name) ? name : sub(`${arnPrefix('secretsmanager')}secret:${name}-??????`),
      ),
    });
  }
  for (const sink of params.syncSinks) {
    statements.push(...withSidPrefix('Sync', sinkStatements(sink, contributions)));
  }
  return statements;
}

/**
 * A sink's grants lent to another function (ingest for sync topics, the read function), renamed so
 * their Sids cannot collide with that function's own.
 */
export function withSidPrefix(prefix: string, statements: readonly PolicyStatement[]): PolicyStatement[] {
  return statements.map((statement) => ({ ...statement, Sid: `${prefix}${statement.Sid}` }));
}

/** What the event-source mapping (and a worker that extends a slow message's visibility) needs. */
function consumeOwnQueue(sink: SinkName): PolicyStatement {
  return {
    Sid: 'ConsumeOwnQueue',
    Effect: 'Allow',
    Action: [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
    ],
    Resource: [getAtt(queueLogicalId(sink), 'Arn')],
  };
}

function sinkStatements(
  sink: SinkName,
  contributions: ReadonlyMap<SinkName, SinkDeployContribution>,
): PolicyStatement[] {
  return contributions.get(sink)?.statements ?? [];
}

/** A worker parks an event its sink refuses for good in its own DLQ at once (shared/queue/worker.ts). */
function parkInOwnDlq(sink: SinkName): PolicyStatement {
  return {
    Sid: 'ParkInOwnDeadLetterQueue',
    Effect: 'Allow',
    Action: ['sqs:SendMessage'],
    Resource: [getAtt(dlqLogicalId(sink), 'Arn')],
  };
}

export function workerStatements(
  sink: SinkName,
  contribution: SinkDeployContribution,
  params: DeployParameters,
): PolicyStatement[] {
  return [
    consumeOwnQueue(sink),
    parkInOwnDlq(sink),
    // Receiving from and sending to queues encrypted with the deployment's key.
    ...queueKeyStatement(params, ['kms:GenerateDataKey', 'kms:Decrypt']),
    ...contribution.statements,
  ];
}

/** `s3://bucket/some/key` → `bucket` and `some/key`. */
function splitS3Location(location: string): { bucket: string; path: string } {
  const [bucket = '', ...key] = location.slice('s3://'.length).split('/');
  return { bucket, path: key.join('/') };
}

/** `s3://bucket/key` → the object's ARN, or the prefix's when the location ends with `/`. */
function s3ObjectArn(location: string): Json {
  const { bucket, path } = splitS3Location(location);
  return sub(
    `arn:\${AWS::Partition}:s3:::${bucket}/${path === '' || path.endsWith('/') ? `${path}*` : path}`,
  );
}

/** Reading what the `configBucket` parameter holds under `configPrefix`; nothing without one. */
export function configBucketStatement(params: DeployParameters): PolicyStatement[] {
  if (params.configBucket === undefined) return [];
  return [
    {
      Sid: 'ReadConfiguration',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [sub(`arn:\${AWS::Partition}:s3:::${params.configBucket}/${params.configPrefix}*`)],
    },
  ];
}

/** Reading the keys, access map and schemas where deploy parameters put them in S3. */
function configLocationStatements(params: DeployParameters): PolicyStatement[] {
  const locations = [
    params.gatewayConfig.tokenPublicKeysUrl,
    params.gatewayConfig.accessConfig,
    params.gatewayConfig.topicSchemas,
  ].filter((location): location is string => location?.startsWith('s3://') === true);
  if (locations.length === 0) return [];
  const statements: PolicyStatement[] = [
    {
      Sid: 'ReadConfigurationObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: locations.map(s3ObjectArn),
    },
  ];
  // Topic schemas are discovered by listing their prefix.
  const schemas = params.gatewayConfig.topicSchemas;
  if (schemas?.startsWith('s3://')) {
    const { bucket, path: prefix } = splitS3Location(schemas);
    statements.push({
      Sid: 'ListTopicSchemas',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [sub(`arn:\${AWS::Partition}:s3:::${bucket}`)],
      ...(prefix === ''
        ? {}
        : { Condition: { StringLike: { 's3:prefix': [`${prefix.replace(/\/?$/, '/')}*`] } } }),
    });
  }
  return statements;
}
