/** Codes remembered at most; when full, the directory starts again empty (one lookup statement refills a batch's). */
const MAX_CODES = 500_000;

/**
 * Which id and lock key a measure code has, remembered per instance so a batch of measures
 * seen before takes its locks without looking up 1,000 codes first (a quarter-end batch
 * names the same measures as the last one). Never trusted: the write path reads every
 * measure again under the lock and, if one is gone or has moved to another priority since
 * it was remembered, forgets it and runs the transaction again with a fresh lookup.
 */
export class MeasureDirectory {
  // A plain Map: a batch looks up 1,000 codes, and an LRU's bookkeeping on every get was ~3% of a batch's Node CPU.
  readonly #known = new Map<string, { id: number; lockKey: number }>();

  get(code: string) { return this.#known.get(code); }
  remember(code: string, id: number, lockKey: number) {
    if (this.#known.size >= MAX_CODES && !this.#known.has(code)) this.#known.clear();
    this.#known.set(code, { id, lockKey });
  }
  forget(codes: Iterable<string>) { for (const c of codes) this.#known.delete(c); }
}
