// JSON arrays encoded as UTF-8 bytes, a slice of items at a time. A batch's JSON as one string
// (the rows it stores, ~150 kB per 1,000 readings; its answer, ~450 kB) is a V8 large object,
// which only a full mark-compact frees: under eight writing clients they piled up to ~50 MB
// between collections and set the service's peak RSS (docs/BENCHMARKS.md, "Service RSS").
// Slices stay small strings that die young, and the bytes are a Buffer, outside the JavaScript
// heap, freed with its wrapper.

/** Items per slice: ~30 kB of stored rows, ~90 kB of answer, under V8's 128 kB large-object size. */
export const SLICE = 200;

/**
 * The bytes of `before` + the JSON array of all `items` + `after`, equal to encoding them at
 * once: `encode(slice)` must return the JSON array of that slice (JSON.stringify, or a
 * schema's serializer).
 */
export function jsonArrayBytes<T>(items: readonly T[], encode: (slice: T[]) => string, wrap: { before?: string; after?: string } = {}, slice = SLICE): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < items.length; i += slice) {
    const s = encode(items.slice(i, i + slice));
    parts.push(Buffer.from(`${i ? ',' : `${wrap.before ?? ''}[`}${s.slice(1, -1)}`));
  }
  parts.push(Buffer.from(`${items.length ? '' : `${wrap.before ?? ''}[`}]${wrap.after ?? ''}`));
  return Buffer.concat(parts);
}
