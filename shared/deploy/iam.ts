import type { SinkName } from '../sinks/types';
import { arnPrefix, getAtt, isArn, sub, type CfnResource, type Json } from './cloudformation';
import { ARCHIVE_BUCKET_LOGICAL_ID, dlqLogicalId, queueLogicalId } from './names';
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

export function functionRole(
  functionName: string,
  statements: PolicyStatement[],
  params: DeployParameters,
): CfnResource {
  const all = [logStatement(functionName), ...statements];
  if (params.tracing) all.push(tracingStatement());
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
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
export function ingestStatements(params: DeployParameters): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: 'EnqueueToSinkQueues',
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
      Resource: params.sinks.map((sink) => getAtt(queueLogicalId(sink), 'Arn')),
    },
  ];
  if (params.configBucket !== undefined) {
    statements.push({
      Sid: 'ReadConfiguration',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [sub(`arn:\${AWS::Partition}:s3:::${params.configBucket}/${params.configPrefix}*`)],
    });
  }
  for (const sink of params.syncSinks) {
    statements.push(
      ...sinkStatements(sink, params).map((statement) => ({ ...statement, Sid: `Sync${statement.Sid}` })),
    );
  }
  return statements;
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

export function eventBusArn(params: DeployParameters): Json {
  return isArn(params.eventBus) ? params.eventBus : sub(`${arnPrefix('events')}event-bus/${params.eventBus}`);
}

/** Keys the s3 worker may write: the archive prefix of the given or the stack's own bucket. */
export function archiveObjectsArn(params: DeployParameters): Json {
  if (params.archiveBucket !== undefined) {
    return sub(`arn:\${AWS::Partition}:s3:::${params.archiveBucket}/${params.archivePrefix}*`);
  }
  return { 'Fn::Join': ['', [getAtt(ARCHIVE_BUCKET_LOGICAL_ID, 'Arn'), `/${params.archivePrefix}*`]] };
}

/** A secret's ARN ends in `-` and six random characters that its name does not carry. */
export function postgresSecretArn(params: DeployParameters): Json | undefined {
  const name = params.postgresSecretName;
  if (name === undefined) return undefined;
  if (isArn(name)) return name;
  return sub(`${arnPrefix('secretsmanager', params.postgresSecretRegion)}secret:${name}-??????`);
}

/** cluster/<name>/<uuid> → topic/<name>/<uuid>/* : the cluster's topics, and nothing else's. */
function mskTopicsArn(clusterArn: string): string {
  return `${clusterArn.replace(':cluster/', ':topic/')}/*`;
}

function sinkStatements(sink: SinkName, params: DeployParameters): PolicyStatement[] {
  switch (sink) {
    case 'eventbridge':
      return [
        { Sid: 'PutEvents', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [eventBusArn(params)] },
      ];
    case 's3':
      return [
        {
          Sid: 'WriteArchive',
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: [archiveObjectsArn(params)],
        },
      ];
    case 'postgres': {
      const secretArn = postgresSecretArn(params);
      if (secretArn === undefined) return [];
      const statements: PolicyStatement[] = [
        {
          Sid: 'ReadDatabaseSecret',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [secretArn],
        },
      ];
      if (params.postgresSecretKmsKeyArn !== undefined) {
        statements.push({
          Sid: 'DecryptDatabaseSecret',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [params.postgresSecretKmsKeyArn],
        });
      }
      return statements;
    }
    case 'kafka': {
      const clusterArn = params.mskClusterArn;
      if (clusterArn === undefined) return [];
      return [
        {
          Sid: 'ConnectToCluster',
          Effect: 'Allow',
          Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
          Resource: [clusterArn],
        },
        {
          Sid: 'WriteTopics',
          Effect: 'Allow',
          Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
          Resource: [mskTopicsArn(clusterArn)],
        },
      ];
    }
  }
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

export function workerStatements(sink: SinkName, params: DeployParameters): PolicyStatement[] {
  return [consumeOwnQueue(sink), parkInOwnDlq(sink), ...sinkStatements(sink, params)];
}
