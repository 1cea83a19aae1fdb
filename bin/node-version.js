/**
 * The CLI needs Node.js 22.5 or later (the local queue server uses `node:sqlite`). npm scripts and
 * `npx` run it on the Node.js 22 the project installs as a dependency; only a direct
 * `node bin/eventgate.js` can meet an older one, and should say so instead of failing deep inside.
 */
const MINIMUM = [22, 5];

/** Why this Node.js cannot run the CLI, or null when it can. */
function nodeVersionProblem(version) {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])) return null;
  return (
    `eventgate needs Node.js ${MINIMUM.join('.')} or later, and this is ${version}. ` +
    'Run it through npm, which uses the Node.js 22 the project installs: npm start, or npx eventgate <command>.'
  );
}

module.exports = { nodeVersionProblem };
