// Bounded waiting: every wait in the toolkit and the tests goes through these, so a broken
// worker fails a test with a message naming what was awaited instead of hanging it.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Milliseconds since `start` (a `performance.now()` value). */
export const since = (start) => performance.now() - start;

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `url` every `everyMs` until it answers with a status below 500 (200–299 with `okOnly`);
 * resolves with the milliseconds since `from` (a `performance.now()` value, by default now). Fails
 * when `alive()` turns false (the server process exited) or after `timeoutMs` from `from`, with
 * `describe()` (the server's output) in the message.
 */
export async function waitForHttp(url, { from = performance.now(), timeoutMs = 60_000, everyMs = 200, okOnly = false, alive = () => true, describe = () => "" } = {}) {
  const deadline = from + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (okOnly ? res.ok : res.status < 500) return performance.now() - from;
    } catch {
      // not yet
    }
    if (!alive()) throw new Error(`server exited before answering ${url}: ${describe()}`);
    if (performance.now() > deadline) throw new Error(`server did not answer ${url} within ${timeoutMs} ms: ${describe()}`);
    await sleep(everyMs);
  }
}
