import { build } from 'esbuild';
// eslint-disable-next-line
const pluginsOf = require('/work/wt-bundle/shared/deploy/esbuild-plugins.js');
(async () => {
  const r = await build({ entryPoints: [process.argv[2] as string], bundle: true, write: false, outdir: '/tmp/bw/x', platform: 'node', target: 'node22', minify: true, format: 'cjs', external: ['pg-native'], plugins: pluginsOf(undefined), mainFields: ['module','main'], metafile: true, logLevel: 'error', absWorkingDir: '/work/wt-bundle' });
  const o = Object.entries(r.metafile.outputs).find(([f]) => f.endsWith(process.argv[3] ?? 'ingest.js'))![1];
  const own = Object.entries(o.inputs).filter(([f]) => !f.includes('node_modules')).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
  let dirs = new Map<string, number>();
  for (const [f, { bytesInOutput }] of own) { const d = f.split('/').slice(0, f.includes('sinks/') ? 3 : 2).join('/'); dirs.set(d, (dirs.get(d) ?? 0) + bytesInOutput); }
  for (const [f, b] of own.slice(0, 12)) console.log((b.bytesInOutput / 1000).toFixed(1).padStart(6), f);
  console.log([...dirs].sort((a, b) => b[1] - a[1]).map(([d, b]) => `${d} ${(b / 1000).toFixed(1)}`).join('\n'));
})();
