// The README is the front door: every tool and every setting must be in its tables.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { allTools } from '../../tools/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('has a row for every tool', () => {
    for (const tool of allTools) expect(readme).toMatch(new RegExp(`^\\| \`${tool.name}\` \\|`, 'm'));
  });

  it('has a row for every setting, with its flag', () => {
    for (const s of SETTINGS) expect(readme).toMatch(new RegExp(`^\\| \`${s.env}\` \\| \`${s.flag}\` \\|`, 'm'));
  });

  it('shows the two commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
