import pg from 'pg';
import type { Logger } from 'pino';

/**
 * Listens on `scorecard_changed` (see the notify_changes migration) and `api_keys_changed`
 * (api_keys_notify) on a dedicated connection and counts changes of each. A cache entry
 * remembers the generation it was made in and is valid only while that generation is
 * unchanged. While the connection is down nothing can be known, so `live` is false and
 * callers must not serve from cache; it reconnects by itself.
 */
export class ChangeFeed {
  /** Changes to the scorecard (the response cache). */
  generation = 0;
  /** Changes to API keys (the key lookups in plugins/auth.ts). */
  keysGeneration = 0;
  live = false;
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly url: string, private readonly log?: Logger) {}

  async start(): Promise<void> {
    if (this.closed) return;
    // keepAlive: a connection that only listens never writes, so without TCP keepalives a
    // silent network drop would leave it "live" and deaf.
    const client = new pg.Client({ connectionString: this.url, application_name: 'scorecard-api-listen', keepAlive: true });
    client.on('notification', (n) => {
      if (n.channel === 'api_keys_changed') this.keysGeneration++;
      else this.generation++;
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query('LISTEN scorecard_changed; LISTEN api_keys_changed');
      this.client = client;
      // anything may have changed while we were not listening
      this.generation++;
      this.keysGeneration++;
      this.live = true;
    } catch (err) {
      this.log?.warn({ err }, 'change feed: cannot listen; response cache off until it can');
      this.lost(client);
    }
  }

  /** Called after a local write commits, so this instance never serves its own stale entry. */
  bump() { this.generation++; }

  private lost(client: pg.Client) {
    if (this.client === client) this.client = null;
    this.live = false;
    this.generation++;
    this.keysGeneration++;
    client.end().catch(() => undefined);
    if (!this.closed && !this.retry) {
      this.retry = setTimeout(() => { this.retry = null; void this.start(); }, 1000);
      this.retry.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }
}
