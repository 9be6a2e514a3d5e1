import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parsePeriod, periodKey } from '../../domain/periods.js';
import { AppError } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../repositories/cursor.js';
import { exportRows, type ExportRecord } from '../../repositories/readings-export.js';
import { problemResponses } from '../../schemas/common.js';
import { CSV_PAGE_ROWS, ExportPage, ExportQuery, type ExportRow } from '../../schemas/export.js';
import { negotiate, toCsv } from '../../services/csv-export.js';
import type { RouteOptions } from './index.js';

const n = (s: string | null) => (s === null ? null : Number(s));
const asJson = ({ cursorKey: _k, ...r }: ExportRecord): ExportRow => ({
  ...r, value: n(r.value), numerator: n(r.numerator), denominator: n(r.denominator),
  targetValue: n(r.targetValue), targetMin: n(r.targetMin), targetMax: n(r.targetMax), variance: n(r.variance),
});

const DESCRIPTION = 'One flat row per measure and period, the measure\'s fields beside the reading\'s (target flattened to ' +
  'targetValue / targetMin / targetMax / targetRule), in (period, measure) order. Filters combine with AND.\n\n' +
  '**JSON** (default, `Accept: application/json`): pages of `limit` rows (1-500, default 100) with `nextCursor`.\n\n' +
  `**CSV** (\`Accept: text/csv\` or \`?format=csv\`): UTF-8 with a byte-order mark (Excel opens it right), a header row, RFC 4180 quoting, decimals exactly as stored. ` +
  `One response holds every matching row up to ${CSV_PAGE_ROWS.toLocaleString('en-GB')}; \`limit\` applies to JSON only. ` +
  'When more rows match, the `X-Next-Cursor` header and a `Link: <...>; rel="next"` header give the next CSV page (pass it as `cursor`). ' +
  'Free-text cells that a spreadsheet would run as a formula (starting =, +, -, @) are prefixed with an apostrophe.\n\n' +
  'An Accept header naming neither JSON nor CSV is 406. Both formats carry an ETag: send If-None-Match to get 304 when nothing changed.';

const readingsExport: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db } }) => {
  app.get('/readings', {
    config: { scope: 'read' },
    schema: {
      tags: ['readings'], summary: 'All readings, flat, for BI tools and spreadsheets (JSON or CSV)', security: [{ bearerAuth: [] }, {}],
      description: DESCRIPTION, querystring: ExportQuery,
      response: {
        200: {
          description: 'A page of flat rows (JSON) or a CSV file',
          content: {
            'application/json': { schema: ExportPage },
            'text/csv': { schema: { type: 'string', description: 'CSV with a header row; columns as the JSON row fields, in that order', examples: ['\uFEFFmeasure,measureTitle,...\r\nBBH-01,...'] } },
          },
        },
        ...problemResponses(400, 401, 406),
      },
    },
  }, async (req, reply) => {
    const format = req.query.format ?? negotiate(req.headers.accept);
    if (format === null) {
      throw new AppError('not-acceptable', `Cannot answer with '${req.headers.accept}': this resource is available as application/json or text/csv`);
    }
    let key: number | undefined;
    if (req.query.period !== undefined) {
      const p = parsePeriod(req.query.period);
      if (!p) throw new AppError('validation-error', `'${req.query.period}' is not a period (years must be consecutive)`, { errors: [{ field: '/querystring/period', message: 'is not a valid financial-year period' }] });
      key = periodKey(p);
    }
    const after = decodeCursor(req.query.cursor, ['number', 'number']) as [number, number] | null;
    const filter = { key, priority: req.query.priority, rag: req.query.rag, headline: req.query.headline, measure: req.query.measure };
    const limit = format === 'csv' ? CSV_PAGE_ROWS : req.query.limit ?? 100;
    const rows = await exportRows(db, filter, after, limit + 1);
    const items = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeCursor(items[items.length - 1].cursorKey) : null;

    if (format === 'json') return reply.send({ items: items.map(asJson), nextCursor });

    if (nextCursor) {
      const next = new URLSearchParams(req.query as Record<string, string>);
      next.set('cursor', nextCursor);
      reply.header('x-next-cursor', nextCursor).header('link', `</v1/readings?${next.toString()}>; rel="next"`);
    }
    const name = `readings${req.query.period ? `-${req.query.period}` : ''}.csv`;
    return reply
      .type('text/csv; charset=utf-8; header=present')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(toCsv(items));
  });
};

export default readingsExport;
