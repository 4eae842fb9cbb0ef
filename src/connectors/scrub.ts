const MAX_MESSAGE = 500;

/**
 * A message from a customer's source or warehouse, safe to show: every given
 * secret (the passwords of the connections in use) and the credentials of any
 * connection string removed, and its length bounded.
 */
export function scrub(message: string, secrets: readonly (string | null | undefined)[]): string {
  let out = message;
  for (const secret of secrets) if (secret && secret.length >= 3) out = out.split(secret).join('********');
  // Connection strings with credentials: postgres://user:pass@host
  out = out.replace(/(\w+:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1********@');
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE - 1)}…` : out;
}
