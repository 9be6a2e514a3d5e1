import t from 'tap';
import { jsonArrayBytes } from '../../src/json-bytes.js';

t.test('sliced encoding equals encoding at once, for every slice size and wrapper', async (t) => {
  const items = Array.from({ length: 7 }, (_, i) => ({ i, s: `é${'"\\'.repeat(i)}`, n: i % 2 ? null : 1.5 }));
  for (let n = 0; n <= items.length; n++) {
    const some = items.slice(0, n);
    for (const slice of [1, 2, 3, 7, 200]) {
      t.equal(jsonArrayBytes(some, JSON.stringify, {}, slice).toString('utf8'), JSON.stringify(some), `${n} items, slices of ${slice}`);
      const wrapped = jsonArrayBytes(some, JSON.stringify, { before: '{"a":1,"xs":', after: '}' }, slice);
      t.same(JSON.parse(wrapped.toString('utf8')), { a: 1, xs: some }, `${n} items, slices of ${slice}, wrapped`);
    }
  }
});
