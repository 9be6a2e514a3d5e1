// The parts of autocannon's API the bench uses (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Histogram { average: number; mean: number; total: number; p50: number; p90: number; p99: number; max: number }
    interface Result {
      duration: number;
      requests: Histogram;
      latency: Histogram;
      throughput: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
    }
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      amount?: number;
      timeout?: number;
      headers?: Record<string, string>;
      requests?: unknown[];
    }
  }
  function autocannon(opts: autocannon.Options): Promise<autocannon.Result> & { stop(): void };
  export default autocannon;
}
