import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { nodeVersionProblem } from '../../../bin/node-version';

describe('the Node.js the CLI runs on', () => {
  it.each(['v22.5.0', 'v22.23.3', 'v23.0.0', 'v24.11.1'])('runs on %s', (version) => {
    expect(nodeVersionProblem(version)).toBeNull();
  });

  it.each(['v20.20.2', 'v22.4.1', 'v18.0.0'])('refuses %s, saying how to run it instead', (version) => {
    const problem = nodeVersionProblem(version);
    expect(problem).toContain(`needs Node.js 22.5 or later, and this is ${version}`);
    expect(problem).toContain('npx eventgate');
  });

  // The machine's own Node.js, where it is older than the project's (as on our machines).
  const machineNode = '/usr/bin/node';
  const machineVersion = existsSync(machineNode)
    ? spawnSync(machineNode, ['--version'], { encoding: 'utf8' }).stdout.trim()
    : '';
  const older = machineVersion !== '' && nodeVersionProblem(machineVersion) !== null;
  (older ? it : it.skip)(
    `answers a direct run on the machine's ${machineVersion || 'Node.js'} with that message`,
    () => {
      const cli = path.resolve(__dirname, '..', '..', '..', 'bin', 'eventgate.js');
      const run = spawnSync(machineNode, [cli, 'dev'], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('needs Node.js 22.5 or later');
      expect(run.stdout).toBe('');
    },
  );
});

describe('the Node.js the project installs', () => {
  it("lets the node package's install script run, which fetches the binary, where npm runs only approved ones", () => {
    const manifest = JSON.parse(
      readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as { allowScripts?: Record<string, boolean>; devDependencies?: Record<string, string> };
    expect(manifest.devDependencies?.node).toMatch(/^\^?22\./);
    expect(manifest.allowScripts?.node).toBe(true);
  });
});
