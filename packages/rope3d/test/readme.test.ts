import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

// The README's attention-block example is examples/attention-block.mjs (which is run by hand
// after a build): keep the two the same.
test('the README example is examples/attention-block.mjs', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const example = readFileSync(new URL('../examples/attention-block.mjs', import.meta.url), 'utf8');
  const block = readme.split('```js\n')[1]?.split('```')[0];
  const body = example
    .split('\n')
    .filter((line) => !line.startsWith('// A video') && !line.startsWith('// Run from'))
    .join('\n');
  expect(block).toBe(body);
});

test('the README positions example is examples/positions-and-presets.mjs', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const example = readFileSync(new URL('../examples/positions-and-presets.mjs', import.meta.url), 'utf8');
  const block = readme.split('## Positions, segments and axes')[1]?.split('```js\n')[1]?.split('```')[0];
  const body = example
    .split('\n')
    .filter((line) => !line.startsWith('// Tables beyond') && !line.startsWith('// Run from'))
    .join('\n');
  expect(block).toBe(body);
});
