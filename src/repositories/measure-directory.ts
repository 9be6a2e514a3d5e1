import { LRUCache } from 'lru-cache';

/**
 * Which id and lock key a measure code has, remembered per instance so a batch of measures
 * seen before takes its locks without looking up 1,000 codes first (a quarter-end batch
 * names the same measures as the last one). Never trusted: the write path reads every
 * measure again under the lock and, if one is gone or has moved to another priority since
 * it was remembered, forgets it and runs the transaction again with a fresh lookup.
 */
export class MeasureDirectory {
  readonly #known = new LRUCache<string, { id: number; lockKey: number }>({ max: 500_000 });

  get(code: string) { return this.#known.get(code); }
  remember(code: string, id: number, lockKey: number) { this.#known.set(code, { id, lockKey }); }
  forget(codes: Iterable<string>) { for (const c of codes) this.#known.delete(c); }
}
