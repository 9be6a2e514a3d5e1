// How fast this machine is right now, printed beside each run's figures.
import { createHash } from 'node:crypto';

/**
 * A fixed piece of single-threaded work (sha256 of 64 MB), best of 3: this machine is a VM whose
 * speed changes with its host's load (one session measured the same code 3-5x slower than the
 * session before), so absolute figures compare across runs only with this beside them.
 */
export function cpuCheck(): number {
  const block = Buffer.alloc(1 << 20, 7);
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const h = createHash('sha256');
    for (let i = 0; i < 64; i++) h.update(block);
    h.digest();
    best = Math.min(best, performance.now() - t0);
  }
  return Math.round(best);
}
