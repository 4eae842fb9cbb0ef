export default async function globalTeardown() {
  await globalThis.__datalinxPg?.stop();
}
