import type { Logger } from '../logger.js';
import type { MigrateOptions, MigrateReport } from './migrator.js';

type Hooks = Pick<MigrateOptions, 'onTenantFileStarted' | 'onTenantApplied' | 'onTenantFailed'>;

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

const formatDuration = (seconds: number) => {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const count = (n: number) => n.toLocaleString('en-US');

/**
 * Progress of `npm run migrate` over many tenants: a redrawn bar on a terminal,
 * a structured log line every `intervalMs` otherwise (and when a file is done).
 */
export function migrationProgress(opts: { stream: NodeJS.WriteStream; logger: Logger; intervalMs?: number }): Hooks {
  const tty = opts.stream.isTTY === true;
  const interval = opts.intervalMs ?? 5000;
  let file = '';
  let total = 0;
  let done = 0;
  let failed = 0;
  let started = 0;
  let lastShown = 0;

  const state = () => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    return { file, done: done + failed, total, failed, ratePerSecond: Math.round(rate * 10) / 10, etaSeconds: rate > 0 ? Math.round((total - done - failed) / rate) : null };
  };
  const show = (force: boolean) => {
    const now = Date.now();
    const finished = done + failed === total;
    if (!force && !finished && now - lastShown < (tty ? REDRAW_MS : interval)) return;
    lastShown = now;
    const s = state();
    if (tty) {
      const filled = total === 0 ? BAR_WIDTH : Math.round((s.done / total) * BAR_WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
      const failures = failed > 0 ? `  failed ${count(failed)}` : '';
      opts.stream.write(
        `\r\x1b[2K${file} ${bar} ${count(s.done)}/${count(total)} tenants  ${s.ratePerSecond}/s  ${finished ? `took ${formatDuration((now - started) / 1000)}` : `left ${formatDuration(s.etaSeconds ?? Infinity)}`}${failures}${finished ? '\n' : ''}`,
      );
    } else {
      opts.logger.info(s, finished ? 'tenant migration done' : 'tenant migration progress');
    }
  };

  return {
    onTenantFileStarted: (event) => {
      file = event.file.fileName;
      total = event.pending;
      done = 0;
      failed = 0;
      started = Date.now();
      lastShown = started;
      if (total > 0) show(true);
    },
    onTenantApplied: () => {
      done++;
      show(false);
    },
    onTenantFailed: () => {
      failed++;
      show(false);
    },
  };
}

/** The end of a run, for an operator: what was applied, skipped and why anything failed. */
export function summarise(report: MigrateReport): string[] {
  const platform = report.platformApplied.length > 0 ? `${report.platformApplied.length} (${report.platformApplied.map((v) => `v${v}`).join(', ')})` : '0';
  const lines = [
    `files applied: ${platform}; tenant sections applied: ${count(report.tenantApplied)}, skipped (already applied): ${count(report.tenantSkipped)}, failed: ${count(report.tenantFailed.length)}`,
    ...report.tenantFailed.map((f) => `  failed ${f.schemaName} (${f.organizationId}) in ${f.file}: ${f.reason.replace(/\s*\n\s*/g, '; ')}`),
  ];
  if (report.currentVersion) lines.push(`database version: v${report.currentVersion}`);
  return lines;
}
