export default async function globalTeardown(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  await (g.__settlePostgres as { stop(): Promise<void> } | undefined)?.stop();
}
