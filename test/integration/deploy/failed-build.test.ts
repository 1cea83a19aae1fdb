/**
 * `serverless package` with a function that does not compile: the build's error is the answer, and
 * the command exits (it used to print the error and then hang, esbuild's contexts still open).
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { packageService } from './package-service';

jest.setTimeout(240_000);

it('exits with the build error when a function does not compile', async () => {
  const started = Date.now();
  const packaged = packageService({
    stage: 'cibroken',
    edit: (serviceDir) =>
      appendFileSync(path.join(serviceDir, 'functions', 'ingest.ts'), '\nconst broken = ;\n'),
  });
  await expect(packaged).rejects.toThrow(/serverless package failed:[\s\S]*Unexpected ";"/);
  // Well short of the helper's hang timeout: the command ended by itself.
  expect(Date.now() - started).toBeLessThan(120_000);
});
