/** JSON as CloudFormation reads it: intrinsic functions are plain objects such as `{ Ref: 'X' }`. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface CfnResource {
  Type: string;
  Properties: { [key: string]: Json };
  DependsOn?: string | string[];
  DeletionPolicy?: 'Delete' | 'Retain' | 'Snapshot';
  UpdateReplacePolicy?: 'Delete' | 'Retain' | 'Snapshot';
}

export type CfnResources = Record<string, CfnResource>;

export interface CfnOutput {
  Description: string;
  Value: Json;
}

export function ref(logicalId: string): Json {
  return { Ref: logicalId };
}

export function getAtt(logicalId: string, attribute: string): Json {
  return { 'Fn::GetAtt': [logicalId, attribute] };
}

/** `Fn::Sub` with its `${AWS::Region}`-style placeholders left for CloudFormation to fill in. */
export function sub(template: string): Json {
  return { 'Fn::Sub': template };
}

/** ARN prefix of a service in this stack's partition, region and account, e.g. `arn:aws:sqs:eu-west-1:123:`. */
export function arnPrefix(service: string, region = '${AWS::Region}'): string {
  return `arn:\${AWS::Partition}:${service}:${region}:\${AWS::AccountId}:`;
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}
