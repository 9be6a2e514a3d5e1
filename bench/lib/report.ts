// The run's figures as Markdown: machine, goals (met or not), then every table.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { GenerateResult } from './generate.js';
import type { LoadResult } from './load.js';
import type { ProfileSummary } from './profile.js';
import type { WritePair, WriteRun } from './write.js';

export interface BenchResults {
  mode: 'quick' | 'full';
  startedAt: string;
  machine: {
    cpus: number; cpuModel: string; memoryGiB: number; node: string;
    postgres: string; postgresSource: string; postgresSettings: Record<string, string>;
    /** 1-minute load average as each phase started (2.0 = both cores busy before the bench adds anything). */
    loadAverage?: Record<string, number>;
    /** ms for sha256 of 64 MB in the bench process, best of 3 (see run.ts cpuCheck). */
    cpuCheckMs?: number;
  };
  generation: Record<string, GenerateResult & { spec: string }>;
  derivationCheck: { readings: number; ragAgree: number; trendAgree: number } | null;
  reads: (LoadResult & { group: string })[];
  readNotes: string[];
  writes: WritePair[];
  scale: { label: string; readings: number; dbSize: string; reads: Record<string, LoadResult | null>; writes: WriteRun[] }[];
  rss: Record<string, number>;
  rssPeak: number;
  profiles: ProfileSummary[];
  notes: string[];
  totalSeconds: number;
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-GB');
const ms = (x: number | undefined) => (x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const r2 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(2));
// Ingest ratios to three places, cut rather than rounded: 0.2495 is not met, and "0.25" beside "not met" reads as a mistake.
const ratio3 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : (Math.floor(x * 1000) / 1000).toFixed(3));
const verdict = (ok: boolean | null) => (ok === null ? '**not measured**' : ok ? '**met**' : '**not met**');

interface Goal { goal: string; figure: string; ok: boolean | null }

export function goals(r: BenchResults): Goal[] {
  const out: Goal[] = [];
  const w1000 = r.writes.filter((w) => w.batch === 1000 && !w.minimal);
  const lean = r.writes.filter((w) => w.batch === 1000 && w.minimal);
  const ratiosOf = (ws: WritePair[]) => ws.map((w) => `${w.clients} client${w.clients > 1 ? 's' : ''}: ${ratio3(w.ratio)}`).join(', ');
  if (w1000.length) {
    const best = Math.max(...r.writes.filter((w) => !w.minimal).map((w) => w.ratio ?? 0));
    out.push({
      goal: 'Batch ingest (derived) >= 0.25 of plain-SQL unnest, 1,000-row batches (aim 0.5), full answer (the default)',
      figure: `${ratiosOf(w1000)}; best of all batch sizes ${ratio3(best)}`,
      ok: w1000.every((w) => (w.ratio ?? 0) >= 0.25),
    });
  }
  if (lean.length) {
    out.push({
      goal: 'The same with `Prefer: return=minimal` (counts only; the plain-SQL insert answers nothing either)',
      figure: ratiosOf(lean),
      ok: lean.every((w) => (w.ratio ?? 0) >= 0.25),
    });
  }
  if (w1000.length) {
    const one = w1000.find((w) => w.clients === 1);
    const oneLean = lean.find((w) => w.clients === 1);
    // Judged on the default answer; the minimal figure is shown beside it.
    if (one) out.push({ goal: '>= 30,000 readings/s from one client in 1,000-row batches (full answer)', figure: `${n0(one.service.rowsPerSec)}/s${oneLean ? ` (return=minimal: ${n0(oneLean.service.rowsPerSec)}/s)` : ''}`, ok: one.service.rowsPerSec >= 30_000 });
    out.push({ goal: 'Rows stored equal rows sent (every write run)', figure: r.writes.every((w) => w.service.storedOk && (w.sql?.storedOk ?? true)) ? 'all equal (count and sum of values)' : 'MISMATCH, see the write table', ok: r.writes.every((w) => w.service.storedOk && (w.sql?.storedOk ?? true)) });
  }
  const health = r.reads.find((x) => x.name === '/health (service)');
  const find = (name: string) => r.reads.find((x) => x.name === name);
  const measure = find('GET /v1/measures/{code}');
  if (health && measure) {
    const ratio = measure.rps / health.rps;
    const extra = [find('GET /v1/measures/{code} while writing (100 readings / 250 ms)'), find('GET /v1/measures/{code} (cache off)')]
      .filter((x): x is LoadResult & { group: string } => !!x).map((x) => `${x.name.replace('GET /v1/measures/{code} ', '')}: ${r2(x.rps / health.rps)}`);
    out.push({
      goal: 'Measure read >= 0.25 of /health throughput at 32 connections (aim 0.5)',
      figure: `${n0(measure.rps)} vs ${n0(health.rps)} req/s = ${r2(ratio)}${extra.length ? ` (${extra.join('; ')})` : ''}`,
      ok: ratio >= 0.25,
    });
  }
  const fortyReadings = Object.values(r.generation).find((g) => g.spec.startsWith('40 '))?.readings;
  const rollups = r.reads.filter((x) => x.name.includes('rollups') && x.name.includes('working=false') && !x.name.includes('cache off'));
  const coldRollups = r.reads.filter((x) => x.name.includes('rollups') && x.name.includes('working=false') && x.name.includes('cache off'));
  out.push({
    goal: 'Rollup p99 <= 25 ms at 10 connections over 80k readings (as shipped: response cache on)',
    figure: rollups.length
      ? rollups.map((x) => `${x.name.replace('?working=false', '')}: p99 ${ms(x.p99)} ms`).join('; ') + (fortyReadings ? ` (${n0(fortyReadings)} readings)` : '')
      : 'rollup routes answer 404 (not built yet)',
    ok: rollups.length ? rollups.every((x) => x.p99 <= 25) : null,
  });
  if (coldRollups.length) {
    out.push({
      goal: 'The same with the cache off (every read after a write is a miss)',
      figure: coldRollups.map((x) => `${x.name.replace('?working=false', '').replace(' (cache off)', '')}: p99 ${ms(x.p99)} ms`).join('; '),
      ok: coldRollups.every((x) => x.p99 <= 25),
    });
  }
  const council = r.scale.find((s) => s.label === '1 council');
  const national = r.scale.find((s) => s.label === 'national');
  if (national) {
    for (const suffix of ['', ' (cache off)']) {
      const one = council?.reads[`rollup: all priorities${suffix}`];
      const nat = national.reads[`rollup: one priority${suffix}`];
      const all = national.reads[`rollup: all priorities${suffix}`];
      if (suffix && !nat && !all) continue;
      const tag = suffix ? ' (cache off)' : ' (as shipped)';
      out.push({
        goal: `8M readings: a council's rollup p99 within 2x of the one-council figure${tag}`,
        figure: one && nat ? `${ms(nat.p99)} ms vs ${ms(one.p99)} ms = ${r2(nat.p99 / one.p99)}x${nat.non2xx ? ` (${nat.non2xx} non-2xx)` : ''}` : 'not measured',
        ok: one && nat ? nat.p99 <= 2 * one.p99 && !nat.non2xx : null,
      });
      out.push({ goal: `National rollup p99 <= 50 ms${tag}`, figure: all ? `${ms(all.p99)} ms${all.non2xx ? ` (${all.non2xx} non-2xx)` : ''}` : 'not measured', ok: all ? all.p99 <= 50 && !all.non2xx : null });
    }
  }
  out.push({ goal: 'Service RSS < 300 MB through every run', figure: `peak ${r.rssPeak} MB`, ok: r.rssPeak < 300 });
  return out;
}

function loadRow(x: LoadResult, ref?: LoadResult) {
  return `| ${x.name} | ${x.connections} | ${n0(x.rps)} | ${ms(x.p50)} | ${ms(x.p99)} | ${ref ? r2(x.rps / ref.rps) : '-'} | ${x.non2xx + x.errors} |`;
}

export function renderMarkdown(r: BenchResults): string {
  const L: string[] = [];
  const m = r.machine;
  L.push(`### ${r.mode === 'full' ? 'Full' : 'Quick'} run, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC (${r.totalSeconds} s)`);
  L.push('');
  L.push(`Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB; Node ${m.node}; PostgreSQL ${m.postgres}, ${m.postgresSource}` +
    ` (${Object.entries(m.postgresSettings).map(([k, v]) => `${k} ${v}`).join(', ')}). Service: child process, RATE_LIMIT_MAX=0, LOG_LEVEL=warn, DB_POOL_MAX 10; load from autocannon in the parent process.` +
    (m.cpuCheckMs ? ` CPU check (sha256 of 64 MB, one thread, best of 3): ${m.cpuCheckMs} ms.` : '') +
    (m.loadAverage ? ` Load average (1 min) as phases started: ${Object.entries(m.loadAverage).map(([k, v]) => `${k} ${v}`).join(', ')}.` : ''));
  L.push('');
  L.push('#### Goals');
  L.push('');
  L.push('| goal | figure | |');
  L.push('|---|---|---|');
  for (const g of goals(r)) L.push(`| ${g.goal} | ${g.figure} | ${verdict(g.ok)} |`);
  L.push('');

  if (r.writes.length) {
    L.push('#### Write: POST /v1/readings/batch vs plain-SQL INSERT ... SELECT FROM unnest (same batches, twin database)');
    L.push('');
    L.push('| batch | clients | answer | readings | service readings/s | p50 ms | p99 ms | SQL readings/s | SQL p50 ms | SQL p99 ms | ratio | stored = sent | rated |');
    L.push('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
    for (const w of r.writes) {
      const s = w.service;
      const q = w.sql;
      L.push(`| ${w.batch} | ${w.clients} | ${w.minimal ? 'minimal' : 'full'} | ${n0(s.rows)} | ${n0(s.rowsPerSec)} | ${ms(s.p50)} | ${ms(s.p99)} | ${q ? n0(q.rowsPerSec) : '-'} | ${q ? ms(q.p50) : '-'} | ${q ? ms(q.p99) : '-'} | ${ratio3(w.ratio)} | ${s.storedOk && (q?.storedOk ?? true) ? 'yes' : `NO (service ${s.stored}, SQL ${q?.stored})`} | ${s.rated !== undefined ? `${Math.round((s.rated / Math.max(1, s.stored)) * 100)}%` : '-'} |`);
    }
    L.push('');
    const rounds = r.writes[0]?.service.rounds ?? 1;
    if (rounds > 1) L.push(`Each configuration ran in ${rounds} alternating rounds (plain SQL, then the service, on consecutive slices of the same batches), so a change in the machine's speed falls on both sides: rates are over the rounds' summed time, p50/p99 over every request.`, '');
    L.push('p50/p99 are per batch (request or statement). "answer": full is the default (every reading as stored, ~350 bytes each); minimal is `Prefer: return=minimal` (the counts). "rated": share of the stored readings that got a rating (the rest have no target, are MI-only or are statuses).');
    L.push('');
    const withCpu = r.writes.filter((w) => w.service.cpu && w.sql?.cpu);
    if (withCpu.length) {
      const per = (ms: number, run: WriteRun) => (ms / run.rows * 1000).toFixed(1);
      L.push('CPU per 1,000 readings (ms, user + system from /proc over each run): what each side costs the two cores.');
      L.push('');
      L.push('| batch | clients | answer | service: Node | service: PostgreSQL | service: load generator | service: total | SQL: PostgreSQL | SQL: client | SQL: total |');
      L.push('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
      for (const w of withCpu) {
        const s = w.service;
        const q = w.sql!;
        const a = s.cpu!;
        const b = q.cpu!;
        L.push(`| ${w.batch} | ${w.clients} | ${w.minimal ? 'minimal' : 'full'} | ${per(a.service, s)} | ${per(a.postgres, s)} | ${per(a.bench, s)} | ${per(a.service + a.postgres + a.bench, s)} | ${per(b.postgres, q)} | ${per(b.bench, q)} | ${per(b.postgres + b.bench, q)} |`);
      }
      L.push('');
    }
  }

  if (r.reads.length) {
    const health = r.reads.find((x) => x.name === '/health (service)');
    L.push(`#### Read (40-council set, ${READ_NOTE})`);
    L.push('');
    L.push('| route | connections | req/s | p50 ms | p99 ms | vs /health | errors |');
    L.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const x of r.reads) L.push(loadRow(x, health));
    L.push('');
  }
  if (r.readNotes.length) {
    for (const n of r.readNotes) L.push(`- ${n}`);
    L.push('');
  }

  if (r.scale.length) {
    L.push('#### Scale');
    L.push('');
    const names = [...new Set(r.scale.flatMap((s) => Object.keys(s.reads)))];
    L.push(`| | ${r.scale.map((s) => s.label).join(' | ')} |`);
    L.push(`|---|${r.scale.map(() => '---:').join('|')}|`);
    L.push(`| readings | ${r.scale.map((s) => n0(s.readings)).join(' | ')} |`);
    L.push(`| database size | ${r.scale.map((s) => s.dbSize).join(' | ')} |`);
    for (const name of names) {
      L.push(`| ${name}: req/s, p99 ms | ${r.scale.map((s) => { if (!(name in s.reads)) return '-'; const x = s.reads[name]; return x ? `${n0(x.rps)}, ${ms(x.p99)}` : '404'; }).join(' | ')} |`);
    }
    const wkeys = [...new Set(r.scale.flatMap((s) => s.writes.map((w) => w.batch)))];
    for (const b of wkeys) {
      L.push(`| write, 1 client, ${b}-row batches: readings/s, p50/p99 ms | ${r.scale.map((s) => { const w = s.writes.find((x) => x.batch === b); return w ? `${n0(w.rowsPerSec)}, ${ms(w.p50)}/${ms(w.p99)}${w.storedOk ? '' : ' (MISMATCH)'}` : '-'; }).join(' | ')} |`);
    }
    L.push('');
    L.push('Rollup rows: the service routes with ?working=false (10 connections) and, as "floor", the same counting query as plain SQL behind a bare Fastify route in the service process. Measure read: 32 connections.');
    L.push('The 40-council write figures are in the write table (same set).');
    L.push('');
  }

  if (Object.keys(r.generation).length) {
    L.push('#### Data generation (generate_series, derived columns in SQL)');
    L.push('');
    L.push('| set | priorities x measures x quarters | readings | targets | seconds | steps |');
    L.push('|---|---|---:|---:|---:|---|');
    for (const [name, g] of Object.entries(r.generation)) {
      L.push(`| ${name} | ${g.spec} | ${n0(g.readings)} | ${n0(g.targets)} | ${g.seconds} | ${Object.entries(g.steps).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
    }
    L.push('');
    if (r.derivationCheck) {
      const d = r.derivationCheck;
      L.push(`Generated ratings agree with the service's own rules (deriveReading) on ${(d.ragAgree * 100).toFixed(1)}% and trends on ${(d.trendAgree * 100).toFixed(1)}% of ${n0(d.readings)} sampled readings.`);
      L.push('');
    }
  }

  L.push('#### Service RSS (peak per phase, MB)');
  L.push('');
  L.push(`| ${Object.keys(r.rss).join(' | ')} | peak |`);
  L.push(`|${Object.keys(r.rss).map(() => '---:').join('|')}|---:|`);
  L.push(`| ${Object.values(r.rss).join(' | ')} | ${r.rssPeak} |`);
  L.push('');

  for (const p of r.profiles) {
    L.push(`#### CPU profile: ${p.label} (${p.seconds} s, busy ${p.busyShare}% of samples; ${p.file})`);
    L.push('');
    L.push('| self time, by place | ms | % of busy |');
    L.push('|---|---:|---:|');
    for (const x of p.byPlace.slice(0, 12)) L.push(`| ${x.place} | ${n0(x.ms)} | ${x.share} |`);
    L.push('');
    L.push('| self time, by function | where | ms | % |');
    L.push('|---|---|---:|---:|');
    for (const x of p.topSelf) L.push(`| ${x.fn} | ${x.where} | ${n0(x.ms)} | ${x.share} |`);
    L.push('');
    L.push('| service function, inclusive | where | ms | % |');
    L.push('|---|---|---:|---:|');
    for (const x of p.srcInclusive) L.push(`| ${x.fn} | ${x.where} | ${n0(x.ms)} | ${x.share} |`);
    L.push('');
  }
  for (const n of r.notes) L.push(`- ${n}`);
  return L.join('\n');
}

const READ_NOTE = 'measure codes and priorities rotated per request';

/** Replaces the figures between the markers in `file` (docs/BENCHMARKS.md; the prose around them stays). */
export async function writeDocs(file: string, md: string): Promise<void> {
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const text = existsSync(file) ? await readFile(file, 'utf8') : `# Benchmarks\n\n${start}\n${end}\n`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} lacks the bench:results markers`);
  await writeFile(file, `${text.slice(0, a + start.length)}\n${md}\n${text.slice(b)}`);
}
