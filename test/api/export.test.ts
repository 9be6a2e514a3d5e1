import { readFileSync } from 'node:fs';
import t from 'tap';
import { EXPORT_COLUMNS } from '../../src/schemas/export.js';
import { buildTestApp, defineMeasure } from '../helpers/app.js';

const readings: { measure: string; period: string; printedRag?: string | null }[] =
  JSON.parse(readFileSync(new URL('../../seeds/readings.json', import.meta.url), 'utf8'));
const q2Codes = readings.filter((r) => r.period === '2019-20-Q2').map((r) => r.measure);

/** RFC 4180: quoted fields may hold commas, CRLF and doubled quotes. Strict, so a bad file fails. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        field += text.slice(i, q);
        i = q + 1;
        if (text[i] === '"') { field += '"'; i++; } else break;
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`bare quote at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') { i++; continue; }
    if (text.startsWith('\r\n', i)) i += 2;
    else if (i < text.length) throw new Error(`expected CRLF at ${i}`);
    rows.push(row);
    row = [];
    if (i >= text.length) return rows;
  }
}

t.test('JSON: one flat row per measure for a period, paged by keyset', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const all = (await app.inject({ method: 'GET', url: '/v1/readings?period=2019-20-Q2&limit=500' })).json();
  t.equal(q2Codes.length, 113, 'seeds: 113 of the 114 measures have a Q2 2019/20 reading (not SMN-30)');
  t.equal(all.items.length, 113);
  t.same(new Set(all.items.map((r: { measure: string }) => r.measure)), new Set(q2Codes));
  t.equal(all.nextCursor, null);
  const bbh01 = all.items.find((r: { measure: string }) => r.measure === 'BBH-01');
  t.same({ ...bbh01, commentary: bbh01.commentary.slice(0, 29), updatedAt: 'x' }, {
    measure: 'BBH-01', measureTitle: '% of residents who feel able to influence local decisions', reportNumber: '1', priority: 'BBH',
    polarity: 'higher', unit: 'percent', headline: false, frequency: 'annual', reportingQuarter: null, managementInfoOnly: false,
    portfolioHolder: 'Sue Anderson', leadOfficer: 'Charlie Stewart', directorate: null,
    period: '2019-20-Q2', value: 24, numerator: null, denominator: null, status: null,
    targetValue: 22, targetMin: null, targetMax: null, targetRule: null,
    rag: 'A', computedRag: 'HG', ragOverrideReason: 'survey result within the margin of error (rated Amber in the report)',
    ragReason: null, variance: 0.090909090909, trend: null, trendComparedWith: null,
    commentary: 'As part of the development of', revision: 1, updatedAt: 'x', source: 'seed:report-2019-20-q2',
  });
  t.same(Object.keys(bbh01), EXPORT_COLUMNS, 'fields in column order');

  const pages: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { measure: string; period: string }[]; nextCursor: string | null } =
      (await app.inject({ method: 'GET', url: `/v1/readings?period=2019-20-Q2&limit=50${cursor ? `&cursor=${cursor}` : ''}` })).json();
    pages.push(...page.items.map((r) => r.measure));
    cursor = page.nextCursor;
  } while (cursor);
  t.same(pages, all.items.map((r: { measure: string }) => r.measure), 'pages of 50 give the same rows in the same order');

  const every = (await app.inject({ method: 'GET', url: '/v1/readings?limit=500' })).json();
  t.equal(every.items.length, 342, 'no filter: every reading');
  const periods = every.items.map((r: { period: string }) => r.period);
  t.same(periods, [...periods].sort(), 'period order');
});

t.test('filters', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const get = async (q: string) => (await app.inject({ method: 'GET', url: `/v1/readings?limit=500&${q}` })).json().items;
  t.equal((await get('period=2019-20-Q2&priority=SLE')).length, 8);
  const hg = await get('period=2019-20-Q2&rag=HG');
  t.equal(hg.length, readings.filter((r) => r.period === '2019-20-Q2' && r.printedRag === 'HG').length);
  t.ok(hg.every((r: { rag: string }) => r.rag === 'HG'));
  const headline = await get('period=2019-20-Q2&headline=true');
  t.equal(headline.length, 37);
  t.ok(headline.every((r: { headline: boolean }) => r.headline));
  const one = await get('measure=PVPS-14');
  t.same(one.map((r: { period: string; targetRule: string | null; numerator: number | null }) => [r.period, r.targetRule, r.numerator]),
    [['2018-19-Q2', 'year_on_year_reduction', 10], ['2019-20-Q1', null, null], ['2019-20-Q2', null, null]]);
  t.equal((await app.inject({ method: 'GET', url: '/v1/readings?period=2019-21-Q2' })).statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: '/v1/readings?rag=G' })).statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: '/v1/readings?cursor=eyJ2IjoxLCJrIjpbMV19' })).statusCode, 400, 'a cursor of another shape');
});

t.test('CSV: opens in a spreadsheet, one row per measure for the period', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const res = await app.inject({ method: 'GET', url: '/v1/readings?period=2019-20-Q2', headers: { accept: 'text/csv' } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.match(res.headers['content-disposition'], /attachment; filename="readings-2019-20-Q2.csv"/);
  t.same([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark');
  const rows = parseCsv(res.rawPayload.subarray(3).toString('utf8'));
  t.same(rows[0], EXPORT_COLUMNS, 'header row');
  t.equal(rows.length - 1, 113, 'every measure with a Q2 reading, not only the first page of 100');
  t.ok(rows.every((r) => r.length === EXPORT_COLUMNS.length), 'every row has every column');
  const json = (await app.inject({ method: 'GET', url: '/v1/readings?period=2019-20-Q2&limit=500' })).json().items;
  const col = (name: string) => EXPORT_COLUMNS.indexOf(name as never);
  t.same(rows.slice(1).map((r) => r[col('measure')]), json.map((r: { measure: string }) => r.measure), 'same rows, same order as JSON');
  const pvps14 = rows.find((r) => r[col('measure')] === 'PVPS-14')!;
  t.same([pvps14[col('value')], pvps14[col('targetValue')], pvps14[col('rag')], pvps14[col('headline')]], ['44.7', '33.3', 'HR', 'false']);
  t.equal(pvps14[col('commentary')], json.find((r: { measure: string }) => r.measure === 'PVPS-14').commentary, 'commas survive quoting');
  t.equal(rows.find((r) => r[col('measure')] === 'BBH-02')![col('ragReason')], '', 'null is an empty cell');

  // CSV continues from a cursor like JSON does (its own pages are 100,000 rows; X-Next-Cursor / Link beyond that).
  const first50 = (await app.inject({ method: 'GET', url: '/v1/readings?period=2019-20-Q2&limit=50' })).json();
  const rest = await app.inject({ method: 'GET', url: `/v1/readings?period=2019-20-Q2&format=csv&cursor=${first50.nextCursor}` });
  const restRows = parseCsv(rest.rawPayload.subarray(3).toString('utf8'));
  t.same(restRows.slice(1).map((r) => r[col('measure')]), json.slice(50).map((r: { measure: string }) => r.measure), 'CSV honours cursor');
  t.equal(rest.headers['x-next-cursor'], undefined, 'last page: no next cursor');

  // The caching hook covers CSV too, and keeps JSON and CSV apart.
  t.equal(res.headers.vary, 'Accept, Authorization, Accept-Encoding');
  const again = await app.inject({ method: 'GET', url: '/v1/readings?period=2019-20-Q2', headers: { accept: 'text/csv', 'if-none-match': res.headers.etag as string } });
  t.equal(again.statusCode, 304);
  const viaParam = await app.inject({ method: 'GET', url: '/v1/readings?period=2019-20-Q2&format=csv' });
  t.equal(viaParam.headers.etag, res.headers.etag, '?format=csv gives the same file');
  const asJson = await app.inject({ method: 'GET', url: '/v1/readings?period=2019-20-Q2' });
  t.not(asJson.headers.etag, res.headers.etag);
});

t.test('CSV: awkward text round-trips; formulas are defused; negotiation', async (t) => {
  const ta = await buildTestApp(t);
  const { app, as } = ta;
  await defineMeasure(ta, 'M-1', { title: 'Rate, "adjusted"\nby ward' });
  const commentary = 'Line one, with "quotes"\r\nline two — £5 café\n  trailing space ';
  await as('write', { method: 'PUT', url: '/v1/measures/M-1/readings/2019-20-Q2', payload: { value: -0.5, target: 1.25, commentary } });
  await defineMeasure(ta, 'M-2');
  await as('write', { method: 'PUT', url: '/v1/measures/M-2/readings/2019-20-Q2', payload: { value: 3, commentary: '=HYPERLINK("http://x","y")' } });
  const res = await app.inject({ method: 'GET', url: '/v1/readings', headers: { accept: 'text/csv' } });
  const rows = parseCsv(res.rawPayload.subarray(3).toString('utf8'));
  const col = (name: string) => EXPORT_COLUMNS.indexOf(name as never);
  t.equal(rows.length, 3);
  t.equal(rows[1][col('measureTitle')], 'Rate, "adjusted"\nby ward');
  t.equal(rows[1][col('commentary')], commentary);
  t.equal(rows[1][col('value')], '-0.5', 'a negative number stays a number');
  t.equal(rows[1][col('targetValue')], '1.25');
  t.equal(rows[2][col('commentary')], '\'=HYPERLINK("http://x","y")', 'a formula is prefixed so Excel shows it as text');
  const json = (await app.inject({ method: 'GET', url: '/v1/readings?measure=M-2' })).json();
  t.equal(json.items[0].commentary, '=HYPERLINK("http://x","y")', 'JSON is verbatim');

  const accept = async (value: string) => app.inject({ method: 'GET', url: '/v1/readings', headers: { accept: value } });
  t.match((await accept('text/csv;q=0.5, application/json')).headers['content-type'], /application\/json/, 'highest q wins');
  t.match((await accept('application/xml, text/*;q=0.1')).headers['content-type'], /text\/csv/);
  t.match((await accept('*/*')).headers['content-type'], /application\/json/);
  const refused = await accept('application/xml');
  t.equal(refused.statusCode, 406);
  t.match(refused.headers['content-type'], /application\/problem\+json/);
  t.equal(refused.json().type, '/problems/not-acceptable');
  t.equal((await accept('text/csv;q=0')).statusCode, 406, 'q=0 means not acceptable');
});
