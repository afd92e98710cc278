/** Pauses between attempts double from the first to the last. */
const FIRST_DELAY_MS = 500;
const LAST_DELAY_MS = 15_000;

/**
 * Connects to Temporal, retrying with backoff for as long as it is down (starting, restarting,
 * failing over) and saying so in one line per attempt instead of crashing with a stack trace.
 */
export async function connectWithBackoff<T>(
  address: string,
  connect: () => Promise<T>,
  log: (line: string) => void = (line) => console.warn(line),
): Promise<T> {
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, LAST_DELAY_MS)) {
    try {
      return await connect();
    } catch (err) {
      const reason = ((err as Error).message ?? String(err)).split('\n')[0];
      log(`waiting for Temporal at ${address} (${reason}); retrying in ${(delay / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
