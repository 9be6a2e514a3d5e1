// Turns request items (readings or targets) into normalised changes, collecting every
// problem with its index, so a batch can answer 422 listing all failing items at once.
import { parsePeriod, periodKey } from '../domain/periods.js';
import type { Rag, ReadingStatus, TargetSpec } from '../domain/types.js';
import type { FieldError } from '../errors.js';
import type { BatchItem } from '../schemas/readings.js';
import { decimalFromJson } from './decimal-input.js';

export interface ReadingChange {
  index: number;
  measure: string;
  key: number;
  value: string | null;
  numerator: string | null;
  denominator: string | null;
  status: ReadingStatus | null;
  /** undefined = keep what is stored */
  commentary?: string | null;
  override?: { rag: Rag; reason: string } | null;
  target?: TargetSpec | null;
}

export interface TargetChange {
  index: number;
  measure: string;
  key: number;
  spec: TargetSpec | null;
  /** undefined: set with a reading, which says nothing about why (a same target is then no change). */
  reason: string | null | undefined;
}


export function decimalField(v: number, field: string, errors: FieldError[]): string {
  const d = decimalFromJson(v);
  if (typeof d === 'string') return d;
  errors.push({ field, message: d.error });
  return '0';
}

export function targetSpecFrom(t: unknown, field: string, errors: FieldError[]): TargetSpec | null {
  if (t === null) return null;
  if (typeof t === 'number') return { kind: 'value', value: decimalField(t, field, errors) };
  const o = t as Record<string, unknown>;
  if (typeof o.value === 'number') return { kind: 'value', value: decimalField(o.value, `${field}/value`, errors) };
  if (typeof o.rule === 'string') return { kind: 'rule', rule: o.rule as 'baseline' };
  const min = decimalField(o.min as number, `${field}/min`, errors);
  const max = decimalField(o.max as number, `${field}/max`, errors);
  if ((o.min as number) > (o.max as number)) errors.push({ field, message: `min ${o.min} is above max ${o.max}` });
  return { kind: 'band', min, max };
}

export function periodKeyOf(period: string, field: string, errors: FieldError[]): number {
  const p = parsePeriod(period);
  if (!p) {
    errors.push({ field, message: `'${period}' is not a period: use '2019-20' or '2019-20-Q2' (years must be consecutive)` });
    return -1;
  }
  return periodKey(p);
}

// Field pointers are built only for an error: a 1,000-item batch has 1,000 items to read, not 4,000 strings to make.
function decimalAt(v: number | null | undefined, base: string, f: string, errors: FieldError[]): string | null {
  if (v === undefined || v === null) return null;
  const d = decimalFromJson(v);
  if (typeof d === 'string') return d;
  errors.push({ field: `${base}/${f}`, message: d.error });
  return '0';
}

// Period keys by label: a batch's items share a handful of periods.
const keys = new Map<string, number>();
function periodKeyAt(period: string, base: string, errors: FieldError[]): number {
  const k = keys.get(period);
  if (k !== undefined) return k;
  const key = periodKeyOf(period, `${base}/period`, errors);
  if (key >= 0 && keys.size < 10_000) keys.set(period, key);
  return key;
}

/** `base` is the JSON pointer of the item, e.g. `/body/readings/3` or `/body`. */
export function toReadingChange(item: BatchItem, index: number, base: string, errors: FieldError[]): ReadingChange {
  const hasValue = item.value !== undefined;
  if (hasValue === (item.status !== undefined)) {
    errors.push({ field: base, message: 'send exactly one of value or status' });
  }
  if (!hasValue && (item.numerator != null || item.denominator != null)) {
    errors.push({ field: `${base}/numerator`, message: 'numerator and denominator go with a value' });
  }
  if (item.ragOverride && item.ragOverride.reason.trim() === '') {
    errors.push({ field: `${base}/ragOverride/reason`, message: 'must not be blank' });
  }
  return {
    index,
    measure: item.measure,
    key: periodKeyAt(item.period, base, errors),
    value: decimalAt(item.value, base, 'value', errors),
    numerator: decimalAt(item.numerator, base, 'numerator', errors),
    denominator: decimalAt(item.denominator, base, 'denominator', errors),
    status: item.status ?? null,
    commentary: item.commentary,
    override: item.ragOverride,
    target: item.target === undefined ? undefined : targetSpecFrom(item.target, `${base}/target`, errors),
  };
}
