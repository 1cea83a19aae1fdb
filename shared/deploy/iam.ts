import type { SinkDeployContribution } from '../sinks/definition';
import type { SinkName } from '../sinks/types';
import { arnPrefix, getAtt, sub, type CfnResource, type Json } from './cloudformation';
import { queueLogicalId } from './names';
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
      ...sinkStatements(sink, contributions).map((statement) => ({
        ...statement,
        Sid: `Sync${statement.Sid}`,
      })),
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

function sinkStatements(
  sink: SinkName,
  contributions: ReadonlyMap<SinkName, SinkDeployContribution>,
): PolicyStatement[] {
  return contributions.get(sink)?.statements ?? [];
}

export function workerStatements(sink: SinkName, contribution: SinkDeployContribution): PolicyStatement[] {
  return [consumeOwnQueue(sink), ...contribution.statements];
}
