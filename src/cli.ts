/**
 * How operator commands (admin, migrate) end: a failure is one line on stderr
 * and a non-zero exit code, never a stack. LOG_LEVEL=debug adds the stack.
 */

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** One line saying what went wrong, for an operator. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code, hint, severity } = err as { code?: string; hint?: string; severity?: string };
  let text = err.message;
  if (err instanceof AggregateError && err.errors.length > 0 && !text) text = describeFailure(err.errors[0]);
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) text = `cannot reach the database (${code}): ${text}`;
  else if (severity && typeof code === 'string' && code.length === 5) text = `database error ${code}: ${text}${hint ? ` (hint: ${hint})` : ''}`;
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

/**
 * Runs a command's main function and exits with its code (0 when it returns
 * nothing), or prints `error: <one line>` and exits with 1.
 */
export async function runCommand(main: () => Promise<number | void>): Promise<never> {
  let code: number;
  try {
    code = (await main()) ?? 0;
  } catch (err) {
    console.error(`error: ${describeFailure(err)}`);
    if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(err);
    code = 1;
  }
  // Explicitly: a library's exit hook must not turn a failure into success.
  process.exit(code);
}
