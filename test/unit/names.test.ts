import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../src/names';

// The shell scripts cannot import src/names.ts, so their copies of the list are checked here.
const expected = Object.values(SEARCH_ATTRIBUTES)
  .map(({ name, type }) => `${name}=${type === 'INT' ? 'Int' : 'Keyword'}`)
  .sort();
const root = path.join(__dirname, '../..');
const listed = (text: string) => [...text.matchAll(/\bDatamigrato[A-Za-z]+=(?:Keyword|Int)\b/g)].map((m) => m[0]).sort();

describe('search attributes are registered under the names the code uses', () => {
  test.each(['scripts/stack.sh', 'docker-compose.yml'])('%s', (file) => {
    expect(listed(readFileSync(path.join(root, file), 'utf8'))).toEqual(expected);
  });
});
