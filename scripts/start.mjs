// `npm start`: builds dist/ when it is missing or older than the sources, then runs the
// compiled server in this process (signals reach it directly). Production runs
// `node dist/main.js` after `npm run build`; this wrapper is for the quick start.
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from './build-if-stale.mjs';

const root = new URL('..', import.meta.url).pathname;
await import(pathToFileURL(ensureBuilt(root)).href);
