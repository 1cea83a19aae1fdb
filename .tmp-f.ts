import { build } from 'esbuild';
// eslint-disable-next-line
const pluginsOf = require('/work/wt-bundle/shared/deploy/esbuild-plugins.js');
(async () => {
  const r = await build({ entryPoints: ['functions/ingest.ts'], bundle: true, write: false, outdir: '/tmp/bw/x', platform: 'node', target: 'node22', minify: true, format: 'cjs', external: ['pg-native'], plugins: pluginsOf(undefined), mainFields: ['module','main'], metafile: true, logLevel: 'error', absWorkingDir: '/work/wt-bundle' });
  const o = Object.entries(r.metafile.outputs).find(([f]) => f.endsWith('ingest.js'))![1];
  const filter = process.argv[2] as string;
  const files = Object.entries(o.inputs).filter(([f]) => f.includes(filter)).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
  const groups = new Map<string, number>();
  for (const [f, { bytesInOutput }] of files) { const g = f.replace(/^.*node_modules\//, '').split('/').slice(0, +(process.argv[3] ?? 4)).join('/'); groups.set(g, (groups.get(g) ?? 0) + bytesInOutput); }
  for (const [g, b] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((b / 1000).toFixed(1).padStart(6), g);
})();
