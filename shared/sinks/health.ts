import { describeError } from '../errors/describe';
import { withTimeout } from '../timeout';
import type { SinkHealth } from './types';

/**
 * A health check that is one call to the destination's service: ok when `probe` settles within
 * `timeoutMs`, down with the error (its name included) when it fails or runs out of time. `probe`
 * is called here so that an error building the client is reported as down too.
 */
export async function probeHealth(
  probe: () => Promise<unknown>,
  timeoutMs: number,
  what: string,
): Promise<SinkHealth> {
  try {
    await withTimeout(probe(), timeoutMs, what);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'down', message: describeError(error, { withName: true }) };
  }
}
