import type { Template } from './package-service';

/** Small readers over a CloudFormation template, shared by the deploy tests. */

export type Resource = Template['Resources'][string];

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function props(resource: Resource | undefined): Record<string, unknown> {
  if (resource === undefined) throw new Error('resource is missing');
  return resource.Properties ?? {};
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every policy statement a role grants: its inline policies, plus any AWS::IAM::Policy attached to it. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const role = template.Resources[roleLogicalId];
  const inline = asArray(props(role).Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>);
  const attached = resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(props(policy).Roles ?? []).includes(`"${roleLogicalId}"`))
    .map(([, policy]) => props(policy).PolicyDocument as { Statement: Statement[] });
  return [...inline.map((policy) => policy.PolicyDocument), ...attached].flatMap((document) =>
    asArray(document.Statement),
  );
}

/** Every policy document in the template: roles' inline policies and standalone policies. */
export function allPolicyStatements(template: Template): Array<{ owner: string; statement: Statement }> {
  const found: Array<{ owner: string; statement: Statement }> = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const documents: Array<{ Statement: Statement | Statement[] }> = [];
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asArray(
        props(resource).Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>,
      )) {
        documents.push(policy.PolicyDocument);
      }
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(props(resource).PolicyDocument as { Statement: Statement[] });
    }
    for (const document of documents) {
      for (const statement of asArray(document.Statement)) found.push({ owner: id, statement });
    }
  }
  return found;
}

/** Logical ids a CloudFormation value points at, through Ref, Fn::GetAtt and Fn::Sub placeholders. */
export function referencedLogicalIds(value: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    if (typeof object.Ref === 'string') ids.add(object.Ref);
    const getAtt = object['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') ids.add(getAtt[0]);
    const substitution = object['Fn::Sub'];
    const template = Array.isArray(substitution) ? substitution[0] : substitution;
    if (typeof template === 'string') {
      for (const match of template.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}/g))
        ids.add(match[1] as string);
    }
    Object.values(object).forEach(visit);
  };
  visit(value);
  return ids;
}

export function logicalIdOfRole(func: Resource): string {
  const role = props(func).Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const id = role?.['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error('function has no role of its own in the template');
  return id;
}

export function lambdaByName(template: Template, name: string): [string, Resource] {
  const found = resourcesOfType(template, 'AWS::Lambda::Function').find(
    ([, fn]) => props(fn).FunctionName === name,
  );
  if (!found) throw new Error(`no function named ${name}`);
  return found;
}

export function queueByName(template: Template, name: string): [string, Resource] {
  const found = resourcesOfType(template, 'AWS::SQS::Queue').find(
    ([, queue]) => props(queue).QueueName === name,
  );
  if (!found) throw new Error(`no queue named ${name}`);
  return found;
}

/** The dashboard body with CloudFormation's placeholders left in, parsed. */
export function dashboardBody(template: Template): {
  widgets: Array<{ type: string; properties: Record<string, unknown> }>;
} {
  const [[, dashboard] = []] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
  const body = props(dashboard).DashboardBody as { 'Fn::Sub': string } | string;
  return JSON.parse(typeof body === 'string' ? body : body['Fn::Sub']) as ReturnType<typeof dashboardBody>;
}
