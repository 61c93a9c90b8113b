/** schema/gameday.schema.json is generated from src/gameday/schema.ts: the committed file must match it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { gamedayJsonSchemaText } from '../../src/gameday/schema.js';

it('the committed game-day JSON Schema is the generated one (regenerate: agentcheck gameday schema > schema/gameday.schema.json)', () => {
  const committed = readFileSync(path.resolve(__dirname, '../../schema/gameday.schema.json'), 'utf8');
  expect(committed).toBe(gamedayJsonSchemaText());
  expect(committed).not.toContain('x-expected');
  expect(JSON.parse(committed).$defs.phase).toBeDefined();
});
