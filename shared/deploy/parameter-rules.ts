import type { ParameterRule } from '../sinks/definition';
import { DeployParameterError } from './errors';

/**
 * Rules for `--param` values: each takes the trimmed value (undefined when empty or unset) and
 * returns it checked and normalised, or throws a DeployParameterError naming the parameter.
 */

export const optionalText: ParameterRule = (value) => value;

export function withDefault(fallback: string): ParameterRule {
  return (value) => value ?? fallback;
}

/** The loose check every ARN parameter gets: a typo like a bare name is caught before CloudFormation. */
export function arnOf(service: string): ParameterRule {
  return (value, name) => {
    if (value !== undefined && !value.startsWith(`arn:aws`)) {
      throw new DeployParameterError(`param "${name}" must be an ${service} ARN, got "${value}"`);
    }
    return value;
  };
}

/** An ARN parameter that must also match a pattern, explained by `shape`. */
export function arnMatching(service: string, pattern: RegExp, shape: string): ParameterRule {
  const loose = arnOf(service);
  return (value, name) => {
    const checked = loose(value, name);
    if (checked !== undefined && !pattern.test(checked)) {
      throw new DeployParameterError(`param "${name}" must look like ${shape}`);
    }
    return checked;
  };
}

export const bucketName: ParameterRule = (value, name) => {
  if (value !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
    throw new DeployParameterError(`param "${name}" must be a bucket name (not an ARN or s3:// URL)`);
  }
  return value;
};

/** A key prefix without a leading slash; `''` means the whole bucket. */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  const stripped = prefix.replace(/^\/+/, '');
  return stripped === '' || stripped.endsWith('/') ? stripped : `${stripped}/`;
}

export function keyPrefix(fallback: string): ParameterRule {
  return (value) => normalizePrefix(value ?? fallback);
}
