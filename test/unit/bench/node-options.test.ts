/**
 * The bench measures the ingest handler in its own process: that process must run with the Node.js
 * options the deployed functions get, or its figures would describe another runtime.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LAMBDA_NODE_OPTIONS } from '../../../shared/deploy/functions';

const packageJson = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
) as {
  scripts: Record<string, string>;
};

it('runs `npm run bench` with the Node options every deployed function gets', () => {
  const bench = packageJson.scripts.bench ?? '';
  expect(bench.startsWith('node ')).toBe(true);
  for (const option of LAMBDA_NODE_OPTIONS.split(' ')) expect(bench.split(' ')).toContain(option);
});
