// Summarises a V8 .cpuprofile (node --cpu-prof): where the service's CPU time went, by
// function (self time), by place (src/ file, package, Node internals, GC, idle), and the
// service's own functions by inclusive time.
import { readFile } from 'node:fs/promises';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[] }

export interface ProfileSummary {
  label: string;
  file: string;
  seconds: number;
  busyShare: number;
  topSelf: { fn: string; where: string; ms: number; share: number }[];
  byPlace: { place: string; ms: number; share: number }[];
  srcInclusive: { fn: string; where: string; ms: number; share: number }[];
}

function placeOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node: internals';
  const src = /\/(src|bench)\/(.+)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : url;
}

const short = (url: string, line: number) => {
  const nm = /node_modules\/(.+)$/.exec(url);
  const src = /\/((?:src|bench)\/.+)$/.exec(url);
  return `${nm?.[1] ?? src?.[1] ?? url}:${line + 1}`;
};

export async function summariseProfile(file: string, label: string, top = 15): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const total = p.samples.length;
  const msPerSample = (p.endTime - p.startTime) / 1000 / Math.max(1, total);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { fn: string; where: string; hits: number }>();
  const places = new Map<string, number>();
  let idle = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || '(anonymous)';
    if (fn === '(idle)') idle += hits;
    const k = `${fn}@${url}:${lineNumber}`;
    const e = self.get(k) ?? { fn, where: url ? short(url, lineNumber) : '', hits: 0 };
    e.hits += hits;
    self.set(k, e);
    const place = placeOf(url, fn);
    places.set(place, (places.get(place) ?? 0) + hits);
  }
  // Inclusive time of the service's own functions (src/): each sample counted once per function.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, { fn: string; where: string; hits: number }>();
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const a = byId.get(id)!;
      const { functionName, url, lineNumber } = a.callFrame;
      if (!/\/src\//.test(url)) continue;
      const k = `${functionName}@${url}:${lineNumber}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const e = inclusive.get(k) ?? { fn: functionName || '(anonymous)', where: short(url, lineNumber), hits: 0 };
      e.hits += hits;
      inclusive.set(k, e);
    }
  }
  const busy = total - idle;
  const ms = (h: number) => Math.round(h * msPerSample);
  const share = (h: number) => Math.round((h / Math.max(1, busy)) * 1000) / 10;
  return {
    label,
    file: file.replace(/^.*\/bench\//, 'bench/'),
    seconds: Math.round(((p.endTime - p.startTime) / 1e6) * 10) / 10,
    busyShare: Math.round((busy / Math.max(1, total)) * 1000) / 10,
    topSelf: [...self.values()].filter((e) => e.fn !== '(idle)').sort((a, b) => b.hits - a.hits).slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, ms: ms(e.hits), share: share(e.hits) })),
    byPlace: [...places].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([place, h]) => ({ place, ms: ms(h), share: share(h) })),
    srcInclusive: [...inclusive.values()].sort((a, b) => b.hits - a.hits).slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, ms: ms(e.hits), share: share(e.hits) })),
  };
}

// `tsx bench/lib/profile.ts file.cpuprofile` prints a summary of any profile.
if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await summariseProfile(process.argv[2], process.argv[2]);
  console.log(JSON.stringify(s, null, 2));
}
