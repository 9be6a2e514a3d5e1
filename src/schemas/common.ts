import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

/** Letters, digits, `-`, `_`, `.`; 1..64. Shared by measures, priorities and actions. */
export const CODE_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
export const PERIOD_PATTERN = '^[0-9]{4}-[0-9]{2}(-Q[1-4])?$';

export const Code = (what: string, example: string) =>
  Type.String({ pattern: CODE_PATTERN, minLength: 1, maxLength: 64, description: `${what} code: 1-64 letters, digits, '-', '_' or '.'`, examples: [example] });

export const PeriodString = Type.String({
  pattern: PERIOD_PATTERN,
  description: "Financial-year period: a quarter '2019-20-Q2' (Q1 = April-June) or the year '2019-20'",
  examples: ['2019-20-Q2'],
});

/** A decimal as a JSON number. Bounds keep Infinity and 1e400 out; digits are checked on read. */
export const DecimalNumber = (description: string, example: number) =>
  Type.Number({ minimum: -1e15, maximum: 1e15, description: `${description} (at most 15 significant digits)`, examples: [example] });

/** The same schema with its own description (and example) for one use. */
export const describe = <T extends TSchema>(s: T, description: string, example?: unknown): T =>
  ({ ...s, description, ...(example !== undefined ? { examples: [example] } : {}) }) as T;

/**
 * `T | null`. A primitive becomes `type: [T, "null"]`, which Ajv and fast-json-stringify
 * handle directly (an `anyOf` makes the serializer test each branch per value, which costs
 * real time on a 1,000-reading batch response); objects use `anyOf`. The description and
 * example sit on the outer schema, where Swagger UI shows them.
 */
export const Nullable = <T extends TSchema>(s: T): TUnsafe<Static<T> | null> => {
  const inner = s as unknown as { type?: unknown; enum?: unknown[]; description?: string; examples?: unknown[] };
  if (typeof inner.type === 'string' && inner.type !== 'object' && inner.type !== 'array') {
    return Type.Unsafe<Static<T> | null>({
      ...inner,
      type: [inner.type, 'null'],
      ...(inner.enum ? { enum: [...inner.enum, null] } : {}),
    });
  }
  const { description, examples } = inner;
  return Type.Unsafe<Static<T> | null>(Type.Union([s, Type.Null()], {
    ...(description ? { description } : {}),
    ...(examples ? { examples } : {}),
  }));
};

/** Free text stored verbatim; NUL is refused by the JSON parser (PostgreSQL text cannot hold it). */
export const Text = (description: string, example: string, maxLength = 20_000) =>
  Type.String({ maxLength, description, examples: [example] });

export const enumOf = <T extends readonly string[]>(values: T, description: string, example: T[number]) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description, examples: [example] });

export const RagCode = enumOf(['HG', 'LG', 'A', 'LR', 'HR'] as const,
  "RAG status, the report's codes: HG High Green, LG Low Green, A Amber, LR Low Red, HR High Red", 'LG');

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Page size, 1-500', examples: [100] })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'Opaque cursor from the previous page\'s nextCursor', examples: ['eyJrIjpbIkJCSC0wMiJdfQ'] })),
};

export const ListOf = <T extends TSchema>(item: T, name: string) =>
  Type.Object(
    {
      items: Type.Array(item, { description: `This page of ${name}` }),
      nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page', examples: ['eyJrIjpbIkJCSC0wMiJdfQ'] })),
    },
    { additionalProperties: false },
  );

export const FieldErrorSchema = Type.Object({
  field: Type.String({ description: 'JSON pointer to the failing field', examples: ['/value'] }),
  message: Type.String({ description: 'What is wrong with it', examples: ['must be number'] }),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Problem type URI reference', examples: ['/problems/validation-error'] }),
    title: Type.String({ description: 'Short summary of the problem type', examples: ['Request is not valid'] }),
    status: Type.Integer({ description: 'HTTP status code', examples: [400] }),
    detail: Type.String({ description: 'What went wrong with this request', examples: ['body/value must be number'] }),
    instance: Type.Optional(Type.String({ description: 'The request path', examples: ['/v1/measures/BBH-02'] })),
    requestId: Type.Optional(Type.String({ description: 'Request id, also in the logs', examples: ['2b1f0c1e-9d7a-4c55-9a57-2f1a4f0c9e11'] })),
    errors: Type.Optional(Type.Array(FieldErrorSchema, { description: 'Failing fields (validation problems)' })),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { ...ProblemSchema, description: `Problem (${s})` }]));

export const CodeParams = (what: string, example: string) => Type.Object({ code: Code(what, example) });
export const CodePeriodParams = (what: string, example: string) =>
  Type.Object({ code: Code(what, example), period: PeriodString });
