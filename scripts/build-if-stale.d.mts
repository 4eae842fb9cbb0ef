/** The compiled entry point (dist/main.js) of the checkout at `root`, built first when stale. */
export function ensureBuilt(root: string): string;
