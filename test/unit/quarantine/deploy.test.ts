import { buildDeployment, parseDeployParameters } from '../../../shared/deploy';
import type { PolicyStatement } from '../../../shared/deploy/iam';

describe('quarantine in the deployment', () => {
  const deployment = buildDeployment(
    parseDeployParameters(
      { quarantineAlarmThreshold: '25', alarmTopicArn: 'arn:aws:sns:eu-west-1:1:ops' },
      'prod',
    ),
  );
  const resources = deployment.resources.Resources;

  it('creates an encrypted quarantine queue kept for 14 days and retained with the stack', () => {
    expect(resources.QuarantineQueue).toMatchObject({
      Type: 'AWS::SQS::Queue',
      DeletionPolicy: 'Retain',
      Properties: {
        QueueName: 'eventgate-prod-quarantine',
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    });
    expect(deployment.resources.Outputs.QuarantineQueueUrl).toEqual({
      Description: 'URL of the quarantine queue',
      Value: { Ref: 'QuarantineQueue' },
    });
  });

  it('lets only the ingest function send to it, and tells it where the queue is', () => {
    const ingest = deployment.functions.ingest;
    expect(ingest?.environment.QUARANTINE_QUEUE_URL).toEqual({ Ref: 'QuarantineQueue' });
    const role = resources.IngestRole as unknown as {
      Properties: { Policies: Array<{ PolicyDocument: { Statement: PolicyStatement[] } }> };
    };
    const statements = role.Properties.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    expect(statements.find((statement) => statement.Sid === 'KeepRefusedEvents')).toEqual({
      Sid: 'KeepRefusedEvents',
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: [{ 'Fn::GetAtt': ['QuarantineQueue', 'Arn'] }],
    });
    for (const [id, resource] of Object.entries(resources)) {
      if (!id.endsWith('WorkerRole')) continue;
      expect(JSON.stringify(resource)).not.toContain('QuarantineQueue');
    }
  });

  it('alarms on the quarantined-event count at the configured threshold, and before events expire', () => {
    expect(resources.QuarantinedEventsAlarm).toMatchObject({
      Properties: {
        Namespace: 'EventGate',
        MetricName: 'Quarantined',
        Statistic: 'Sum',
        Threshold: 25,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: ['arn:aws:sns:eu-west-1:1:ops'],
      },
    });
    expect(resources.QuarantineAgeAlarm).toMatchObject({
      Properties: { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 864_000 },
    });
    expect(() => parseDeployParameters({ quarantineAlarmThreshold: '0' }, 'dev')).toThrow(
      /quarantineAlarmThreshold/,
    );
  });
});
