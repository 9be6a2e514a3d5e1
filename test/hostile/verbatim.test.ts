// Text is stored and returned exactly as sent: SQL-looking strings, HTML, emoji, combining
// marks, right-to-left text. What PostgreSQL text cannot hold as sent (NUL, lone surrogates)
// is a 400 naming the field, never a 500 and never a silent substitution.
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp } from '../helpers/app.js';
import { assertProblem, fingerprint } from '../helpers/hostile.js';

const NASTY: Record<string, string> = {
  'sql: drop table': "'); DROP TABLE readings; --",
  'sql: or 1=1': "' OR '1'='1' /*",
  'sql: placeholders': '$1 $2 ? :name %s %(x)s ${x} `x`',
  'sql: backslashes and quotes': 'C:\\temp\\"x" \\\' \\\\ \\0 \\n',
  'html: script': '<script>alert("x")</script><img src=x onerror=alert(1)>',
  'html: entities': '&amp; &lt; &#x27; &#0; ]]> <!-- -->',
  'combining marks (NFD, not normalised)': 'Cafe\u0301 n\u0303 Z\u0337\u0322\u0353a\u0338l\u0334g\u0335o\u0336',
  'NFC and NFD of the same word': '\u00e9 e\u0301',
  'right-to-left with overrides': 'مرحبا بالعالم \u202eevil\u202c \u200f\u200e שלום',
  'astral emoji and ZWJ sequences': '😀 👩🏽‍💻 🏳️‍🌈 🇬🇧 𝕳𝖆𝖗𝖗𝖔𝖜 𠜎',
  'zero-width and odd spaces': 'a\u200bb\u200dc\u2060d\u00a0e\u3000f\ufeffg',
  'line and paragraph separators': 'one\u2028two\u2029three\r\nfour\rfive\tsix',
  'noncharacters and private use': '\uffff \ufffe \ue000 \u{10fffd}',
  'control characters (not NUL)': '\u0001\u0007\u001b[31mred\u001b[0m\u007f\u0085',
  'replacement character itself': '\ufffd',
  'json-looking text': '{"rag":"HG","__proto__":{"x":1}}',
  'leading and trailing whitespace': '  \n padded \t ',
  'long mixed': 'Ω≈ç√∫˜µ≤≥÷ 田中さんにあげて下さい 😀'.repeat(50),
};

t.test('readings: commentary and override reasons round-trip byte for byte', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  let q = 0;
  for (const [name, text] of Object.entries(NASTY)) {
    const period = `20${30 + Math.floor(q / 4)}-${31 + Math.floor(q / 4)}-Q${(q % 4) + 1}`;
    q++;
    const url = `/v1/measures/BBH-02/readings/${period}`;
    const put = await ta.as('write', { method: 'PUT', url, payload: { value: 1, commentary: text, ragOverride: { rag: 'A', reason: `r ${text}` } } });
    t.equal(put.statusCode, 201, `${name}: stored`);
    t.equal(put.json().commentary, text, `${name}: PUT answer`);
    const got = await ta.app.inject({ method: 'GET', url });
    t.equal(got.json().commentary, text, `${name}: GET commentary`);
    t.equal(got.json().ragOverride.reason, `r ${text}`, `${name}: GET override reason`);
    const { rows } = await sql<{ c: string; n: number }>`
      select r.commentary as c, octet_length(r.commentary) as n from readings r join measures m on m.id = r.measure_id
      where m.code = 'BBH-02' and r.period_key = ${(2030 + Math.floor((q - 1) / 4)) * 10 + ((q - 1) % 4) + 1}`.execute(ta.db);
    t.equal(rows[0].c, text, `${name}: the stored column`);
    t.equal(rows[0].n, Buffer.byteLength(text, 'utf8'), `${name}: same number of UTF-8 bytes in the database`);
    const again = await ta.as('write', { method: 'PUT', url, payload: { value: 1, commentary: text, ragOverride: { rag: 'A', reason: `r ${text}` } } });
    t.equal(again.json().revision, 1, `${name}: resending the same text is not a change`);
  }
});

t.test('definitions and batches keep text verbatim; raw UTF-8 and \\u escapes mean the same', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const texts = Object.values(NASTY).map((s) => s.slice(0, 500));
  const title = texts.find((s) => s.includes('DROP'))!;
  const p = await ta.as('admin', { method: 'PUT', url: '/v1/priorities/ODD', payload: { title, objectives: texts.filter((s) => s.trim()) } });
  t.equal(p.statusCode, 201);
  const pg = (await ta.app.inject({ method: 'GET', url: '/v1/priorities/ODD' })).json();
  t.equal(pg.title, title, 'priority title');
  t.same(pg.objectives, texts.filter((s) => s.trim()), 'every objective');

  const emoji = NASTY['astral emoji and ZWJ sequences'];
  const html = NASTY['html: script'];
  const m = await ta.as('admin', {
    method: 'PUT', url: '/v1/measures/ODD-1',
    payload: { priority: 'ODD', title: `${emoji} ${html}`, polarity: 'higher', description: NASTY['right-to-left with overrides'], leadOfficer: NASTY['combining marks (NFD, not normalised)'] },
  });
  t.equal(m.statusCode, 201);
  const mg = (await ta.app.inject({ method: 'GET', url: '/v1/measures/ODD-1' })).json();
  t.equal(mg.title, `${emoji} ${html}`, 'measure title');
  t.equal(mg.description, NASTY['right-to-left with overrides'], 'measure description');
  t.equal(mg.leadOfficer, NASTY['combining marks (NFD, not normalised)'], 'lead officer, not normalised to NFC');
  t.not(mg.leadOfficer, mg.leadOfficer.normalize('NFC'), 'really still NFD');

  const tgt = await ta.as('admin', { method: 'PUT', url: '/v1/measures/ODD-1/targets/2019-20-Q2', payload: { value: 5, reason: html } });
  t.equal(tgt.json().reason, html, 'target reason');

  // The same text sent as \u escapes (ASCII-only JSON) and as raw UTF-8 bytes.
  const all = texts.join(' | ');
  const ascii = JSON.stringify({ readings: [{ measure: 'ODD-1', period: '2019-20-Q1', value: 1, commentary: all }] }).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  t.notMatch(ascii, /[^\x00-\x7e]/, 'the escaped body is pure ASCII');
  const b1 = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', headers: { 'content-type': 'application/json' }, payload: ascii });
  t.equal(b1.statusCode, 200);
  const raw = Buffer.from(JSON.stringify({ readings: [{ measure: 'ODD-1', period: '2019-20-Q2', value: 1, commentary: all }] }), 'utf8');
  const b2 = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', headers: { 'content-type': 'application/json' }, payload: raw });
  t.equal(b2.statusCode, 200);
  const list = (await ta.app.inject({ method: 'GET', url: '/v1/measures/ODD-1/readings' })).json().items;
  t.same(list.map((r: { commentary: string }) => r.commentary), [all, all], 'both forms stored as the same text');

  // Text that looks like SQL or a LIKE pattern is only ever data.
  const search = await ta.app.inject({ method: 'GET', url: `/v1/measures?q=${encodeURIComponent("' OR 1=1 --")}` });
  t.equal(search.statusCode, 200);
  t.same(search.json().items, [], 'an injection in a search matches nothing');
  const pct = (await ta.app.inject({ method: 'GET', url: '/v1/measures?q=%25' })).json().items as { title: string; code: string }[];
  t.ok(pct.length > 0 && pct.every((x) => x.title.includes('%') || x.code.includes('%')), '% is a literal in a search, not a wildcard');
  const us = (await ta.app.inject({ method: 'GET', url: '/v1/measures?q=_' })).json().items as { title: string; code: string }[];
  t.ok(us.every((x) => x.title.includes('_') || x.code.includes('_')), '_ is a literal in a search');
  t.equal((await ta.app.inject({ method: 'GET', url: '/v1/measures?limit=500' })).json().items.length >= 100, true, 'the measures table is intact');
});

t.test('NUL and lone surrogates are a 400 naming the field, and nothing is stored', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const before = await fingerprint(ta.db);
  const url = '/v1/measures/BBH-02/readings/2019-20-Q3';
  const raw = (body: string, u = url, method: 'PUT' | 'POST' = 'PUT') => ta.as('admin', { method, url: u, headers: { 'content-type': 'application/json' }, payload: body });
  const cases: [string, Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>, string][] = [
    ['NUL in commentary', raw('{"value":1,"commentary":"a\\u0000b"}'), '/body/commentary'],
    ['NUL alone', raw('{"value":1,"commentary":"\\u0000"}'), '/body/commentary'],
    ['NUL in an override reason', raw('{"value":1,"ragOverride":{"rag":"A","reason":"x\\u0000"}}'), '/body/ragOverride/reason'],
    ['NUL in a key', raw('{"value":1,"comm\\u0000entary":"x"}'), '/body/comm?entary'],
    ['NUL in a batch item', raw('{"readings":[{"measure":"BBH-02","period":"2019-20-Q3","value":1},{"measure":"BBH-03","period":"2019-20-Q3","value":1,"commentary":"\\u0000"}]}', '/v1/readings/batch', 'POST'), '/body/readings/1/commentary'],
    ['NUL in a priority objective', raw('{"title":"t","objectives":["ok","x\\u0000"]}', '/v1/priorities/NEW'), '/body/objectives/1'],
    ['NUL in a measure title', raw('{"priority":"BBH","title":"\\u0000","polarity":"higher"}', '/v1/measures/NEW-1'), '/body/title'],
    ['lone high surrogate', raw('{"value":1,"commentary":"a\\ud800b"}'), '/body/commentary'],
    ['lone low surrogate', raw('{"value":1,"commentary":"\\udc00"}'), '/body/commentary'],
    ['reversed pair', raw('{"value":1,"commentary":"\\ude00\\ud83d"}'), '/body/commentary'],
    ['high surrogate at the end', raw('{"value":1,"commentary":"emoji \\ud83d"}'), '/body/commentary'],
    ['lone surrogate in a target reason', raw('{"value":1,"reason":"\\udfff"}', '/v1/measures/BBH-02/targets/2019-20-Q3'), '/body/reason'],
    ['lone surrogate in a batch item', raw('{"readings":[{"measure":"BBH-02","period":"2019-20-Q3","value":1,"commentary":"\\udbff"}]}', '/v1/readings/batch', 'POST'), '/body/readings/0/commentary'],
  ];
  for (const [name, p, field] of cases) {
    const res = await p;
    assertProblem(t, res, 400, name, { type: 'validation-error', field });
  }
  t.same(await fingerprint(ta.db), before, 'nothing was stored');
  // An escaped surrogate pair is a real character and is accepted.
  const pair = await raw('{"value":1,"commentary":"\\ud83d\\ude00"}');
  t.equal(pair.statusCode, 201);
  t.equal(pair.json().commentary, '😀', 'an escaped pair is the emoji');
  // "\\u0000" (an escaped backslash, then u0000) is six ordinary characters.
  const notNul = await raw('{"value":2,"commentary":"\\\\u0000"}');
  t.equal(notNul.statusCode, 200);
  t.equal(notNul.json().commentary, '\\u0000', 'an escaped backslash before u0000 is text');
});
