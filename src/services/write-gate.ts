import type { ServerResponse } from 'node:http';
import PQueue from 'p-queue';
import { AppError } from '../errors.js';

export interface WriteGateOptions {
  /** Batch transactions allowed to run at once (WRITE_CONCURRENCY). */
  concurrency: number;
  /** Requests allowed to wait for a slot (WRITE_QUEUE_MAX); one more is a 503. */
  maxQueue: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds?: number;
}

/**
 * Bounds the batch write transactions one instance runs at once (BENCHMARKS W6). On 2 cores,
 * eight concurrent 1,000-row batches are no faster than two, but hold eight transactions'
 * windows, views and JSON in memory (400+ MB RSS). Requests beyond `concurrency` wait in
 * arrival order, at most `maxQueue` of them; beyond that the request is refused at once with
 * 503 + Retry-After, before it takes a connection or a lock. A waiting request whose client
 * goes away leaves the queue without running.
 *
 * p-queue does the queueing (FIFO, concurrency, abort of waiting tasks); this class adds the
 * bound and the problem+json refusal.
 */
export class WriteGate {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly #retryAfter: string;
  readonly #queue: PQueue;

  constructor({ concurrency, maxQueue, retryAfterSeconds = 1 }: WriteGateOptions) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be an integer >= 1');
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be an integer >= 0');
    this.concurrency = concurrency;
    this.maxQueue = maxQueue;
    this.#retryAfter = String(retryAfterSeconds);
    this.#queue = new PQueue({ concurrency });
  }

  /** Transactions running now. */
  get running(): number {
    return this.#queue.pending;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Runs `work` when a slot is free. Throws a 503 AppError at once when every slot is taken
   * and the queue is full; rejects with `signal.reason` if `signal` aborts while waiting. A
   * task already running is not interrupted and keeps its slot until it ends: p-queue, given
   * the signal itself, would also reject a running task on abort and free its slot while the
   * transaction still runs, so it only ever sees a signal that aborts while the task waits.
   */
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#queue.pending >= this.concurrency && this.#queue.size >= this.maxQueue) {
      return Promise.reject(new AppError(
        'service-unavailable',
        `This instance is already running ${this.concurrency} batch writes with ${this.maxQueue} waiting; retry shortly`,
        { headers: { 'retry-after': this.#retryAfter } },
      ));
    }
    if (!signal) return this.#queue.add(work);
    const whileWaiting = new AbortController();
    const onAbort = () => whileWaiting.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return this.#queue.add(() => {
      signal.removeEventListener('abort', onAbort);
      return work();
    }, { signal: whileWaiting.signal }).finally(() => signal.removeEventListener('abort', onAbort));
  }
}

/** An AbortSignal that aborts when the response is closed before it was sent (client gone). */
export function abortWhenClosed(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) {
      ac.abort(new AppError('service-unavailable', 'The client closed the connection while the batch waited for a write slot'));
    }
  });
  return ac.signal;
}
