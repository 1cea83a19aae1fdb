/** Why this Node.js version (`process.version`) cannot run the CLI, or null when it can. */
export declare function nodeVersionProblem(version: string): string | null;
