import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  await globalThis.__datalinxPg?.stop();
  // The server's own folder went with it (persistent: false); this one held it.
  if (globalThis.__datalinxPgFolder) await rm(globalThis.__datalinxPgFolder, { recursive: true, force: true });
}
