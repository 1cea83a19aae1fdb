import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** What `serverless package` reads; node_modules is linked, not copied. */
/** Far more than a package takes (about 20 s here): past it, the command is taken to hang. */
const PACKAGE_TIMEOUT_MS = 180_000;
const SERVICE_FILES = ['serverless.yml', 'package.json', 'tsconfig.json', 'shared', 'functions', 'conf'];

export interface PackagedService {
  /** The generated CloudFormation template. */
  template: Template;
  /** Function key → size in bytes of its deployment zip. */
  zipSizes: Record<string, number>;
  outputDir: string;
  /** What the command printed, stdout then stderr. */
  output: string;
  /** Removes the copy of the service and the package output. */
  cleanup(): void;
}

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;
  Outputs?: Record<string, unknown>;
}

/**
 * Runs `serverless package` on a private copy of the service, with no AWS credentials in the
 * environment. The copy keeps the plugin's work folders (.esbuild/, .serverless/) away from a
 * developer's checkout and lets two runs proceed side by side.
 */
export async function packageService(options: {
  stage: string;
  params?: Record<string, string>;
  /** Changes the private copy of the service before it is packaged (to break a build, say). */
  edit?: (serviceDir: string) => void;
}): Promise<PackagedService> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'eventgate-deploy-'));
  const serviceDir = path.join(workDir, 'service');
  const outputDir = path.join(workDir, 'package');
  for (const entry of SERVICE_FILES) {
    cpSync(path.join(REPO_ROOT, entry), path.join(serviceDir, entry), { recursive: true });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(serviceDir, 'node_modules'), 'dir');
  options.edit?.(serviceDir);

  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && !name.startsWith('SLS_')) env[name] = value;
  }
  const args = [
    require.resolve('osls/bin/serverless.js'),
    'package',
    '--stage',
    options.stage,
    '--region',
    'eu-west-1',
    '--package',
    outputDir,
    ...Object.entries(options.params ?? {}).map(([name, value]) => `--param=${name}=${value}`),
  ];
  const cleanup = () => rmSync(workDir, { recursive: true, force: true });
  let output: string;
  try {
    const printed = await run(process.execPath, args, {
      cwd: serviceDir,
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: PACKAGE_TIMEOUT_MS,
    });
    output = `${printed.stdout}${printed.stderr}`;
  } catch (error) {
    cleanup();
    const { stdout, stderr, killed } = error as { stdout?: string; stderr?: string; killed?: boolean };
    const how = killed ? `did not exit within ${PACKAGE_TIMEOUT_MS / 1000} s` : 'failed';
    throw new Error(`serverless package ${how}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
  const template = JSON.parse(
    readFileSync(path.join(outputDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  const zipSizes: Record<string, number> = {};
  for (const file of readdirSync(outputDir)) {
    if (file.endsWith('.zip'))
      zipSizes[file.slice(0, -'.zip'.length)] = statSync(path.join(outputDir, file)).size;
  }
  return { template, zipSizes, outputDir, output, cleanup };
}
