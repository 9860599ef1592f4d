import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/shared-fixtures.js';
import { ERROR_CODES } from './errors.js';

describe('docs/api.md', () => {
  it('lists every error code with its meaning, in ERROR_CODES order', () => {
    const doc = readFileSync(join(repoRoot, 'docs/api.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(ERROR_CODES));
  });
});
