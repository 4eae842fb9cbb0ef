import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ensureBuilt } from '../../scripts/build-if-stale.mjs';

/**
 * The API is measured as production runs it: `node dist/main.js` (built when
 * stale), not under tsx, whose loader and in-memory sources would add to the
 * process's CPU and RSS. The probe is preloaded as plain JavaScript.
 */
export function compiledApi(checkout = process.cwd()): { script: string; execArgv: string[] } {
  const script = ensureBuilt(path.resolve(checkout));
  const { outputText } = ts.transpileModule(readFileSync('bench/probe.ts', 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  // Inside the repository, so the probe's own imports (pg) resolve from its node_modules.
  const probe = path.resolve('bench/.build/probe.mjs');
  mkdirSync(path.dirname(probe), { recursive: true });
  writeFileSync(probe, outputText);
  return { script, execArgv: ['--import', probe] };
}
