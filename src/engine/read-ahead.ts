/**
 * Iterates `source` one item ahead: while the consumer handles item n (transform, write, digest), item n + 1 is
 * already being read, so the database producing the next page and the worker writing this one overlap. Memory
 * grows by exactly one item. Leaving the loop early (break, throw) waits for the read in flight, then closes
 * `source` — a reader's `finally` (cursor close, connection release) still runs once.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | null = it.next();
  // A read that fails while the consumer is busy must not surface as an unhandled rejection: it is re-thrown
  // when the consumer asks for that item.
  pending.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const r: IteratorResult<T> = await pending;
      pending = null;
      if (r.done) {
        finished = true;
        return;
      }
      pending = it.next();
      pending.catch(() => undefined);
      yield r.value;
    }
  } finally {
    if (!finished) {
      if (pending) await pending.catch(() => undefined);
      await it.return?.();
    }
  }
}
