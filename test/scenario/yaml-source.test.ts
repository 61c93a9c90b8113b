import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { loadScenarioFile, parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { base } from './malformed-cases.js';

/** The printed lines of an invalid scenario, or [] when it is valid. */
function errorsOf(text: string): string[] {
  try {
    parseScenarioText(text, { file: 'bad.yaml' });
    return [];
  } catch (err) {
    if (!(err instanceof ScenarioValidationError)) throw err;
    return err.issues.map((i) => i.text);
  }
}

const withEnv = (lines: string): string => base().replace('    command: node a.js\n', `    command: node a.js\n    env:\n${lines}`);

describe('scenario text: our own words, at the right line', () => {
  it('names a duplicate key and its field path, with where the first one is', () => {
    expect(errorsOf(withEnv('      X: 1\n      Y: 2\n      X: 3\n'))).toEqual([
      'bad.yaml:8:7: agents[0].env.X: duplicate key "X" (first at 6:7), expected each key once',
    ]);
    // A key written twice is not a duplicate of a different key that merely looks alike.
    expect(errorsOf(withEnv('      X: 1\n      x: 2\n'))).toEqual([]);
  });

  it('refuses a second document without naming the library', () => {
    const lines = errorsOf(`${base()}---\nname: u\n`);
    expect(lines).toEqual(['bad.yaml:12:1: got a second YAML document (after a "---" or "..." line), expected one scenario per file']);
    expect(lines.join('')).not.toMatch(/parseAllDocuments/);
  });

  it('refuses nesting deeper than 64 levels, also where the library itself runs out of stack', () => {
    const at = (depth: number): string[] => errorsOf(`${base()}description: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    // The root map is the first level, so 63 brackets are the most a file may nest.
    expect(at(63)).toEqual(['bad.yaml:12:14: description: got a list, expected a string']);
    expect(at(66)).toEqual(['bad.yaml:12:77: description[0][0]: got lists or maps nested more than 64 levels deep in here, expected at most 64']);
    for (const depth of [5_000, 50_000]) {
      const lines = at(depth);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^bad\.yaml:12:\d+: .*nested (more than 64 levels deep in here|too deeply), expected at most 64/);
      expect(lines[0]).not.toMatch(/call stack/i);
    }
  });

  it('reports an alias with no anchor at the alias, and one inside its own anchor', () => {
    expect(errorsOf(base().replace('command: node b.js', 'command: *cmd'))).toEqual([
      'bad.yaml:6:14: agents[1].command: got alias *cmd with no anchor &cmd before it, expected an anchor defined earlier in the file',
    ]);
    // An anchor on a key counts too.
    expect(errorsOf(base().replace('command: node a.js', 'command: node a.js\n    env: { &k K1: 1 }').replace('command: node b.js', 'command: *k'))).toEqual([]);
    // The anchor must come first: an anchor later in the file does not count.
    expect(errorsOf(`${base().replace('command: node b.js', 'command: *cmd')}description: &cmd x\n`)[0]).toMatch(/^bad\.yaml:6:14: /);
    expect(errorsOf(base().replace('  - name: b\n', '  - &me\n    name: b\n    x: *me\n'))).toEqual([
      'bad.yaml:7:8: agents[1].x: got alias *me inside the node it names, expected an alias to a node that does not contain it',
    ]);
  });

  it('refuses an alias bomb in words, and keeps ordinary aliases working', () => {
    const bomb = 'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
    expect(errorsOf(bomb)).toEqual(['bad.yaml:1:1: got aliases that expand to more than 1000 nodes, expected a plain document']);
    expect(errorsOf(base().replace('command: node a.js', 'command: &cmd node a.js').replace('command: node b.js', 'command: *cmd'))).toEqual([]);
  });
});

describe('scenario files: encodings', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentcheck-encoding-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const text = base();

  async function errorsOfFile(name: string, bytes: Uint8Array): Promise<string[]> {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    try {
      await loadScenarioFile(file);
      return [];
    } catch (err) {
      if (!(err instanceof ScenarioValidationError)) throw err;
      return err.issues.map((i) => i.text.slice(file.length));
    }
  }
  const utf16be = (s: string): Buffer => Buffer.from(Buffer.from(s, 'utf16le').swap16());
  const utf32le = (s: string): Buffer => Buffer.concat([...s].map((c) => { const b = Buffer.alloc(4); b.writeUInt32LE(c.codePointAt(0) as number); return b; }));
  const resave = 'expected UTF-8 (re-save the file as UTF-8, without a byte-order mark)';

  it('names UTF-16 and UTF-32, with or without a byte-order mark, and says to re-save as UTF-8', async () => {
    expect(await errorsOfFile('le-bom.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))).toEqual([
      `:1:1: got a UTF-16 LE file (byte-order mark), ${resave}`,
    ]);
    expect(await errorsOfFile('be-bom.yaml', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]))).toEqual([`:1:1: got a UTF-16 BE file (byte-order mark), ${resave}`]);
    expect(await errorsOfFile('le.yaml', Buffer.from(text, 'utf16le'))).toEqual([`:1:1: got what looks like a UTF-16 LE file (zero bytes between the characters), ${resave}`]);
    expect(await errorsOfFile('be.yaml', utf16be(text))).toEqual([`:1:1: got what looks like a UTF-16 BE file (zero bytes between the characters), ${resave}`]);
    expect(await errorsOfFile('32.yaml', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32le(text)]))).toEqual([`:1:1: got a UTF-32 LE file (byte-order mark), ${resave}`]);
    expect(await errorsOfFile('32nobom.yaml', utf32le(text))).toEqual([`:1:1: got what looks like a UTF-32 LE file (zero bytes between the characters), ${resave}`]);
  });

  it('points at the first byte that is not UTF-8, and at a NUL', async () => {
    const latin1 = Buffer.from(`${text}description: caf\u00e9\n`, 'latin1');
    expect(await errorsOfFile('latin1.yaml', latin1)).toEqual([`:12:17: got byte 0xe9 that is not UTF-8 (a Latin-1 or Windows-1252 file?), ${resave}`]);
    expect(await errorsOfFile('nul.yaml', Buffer.from(`${text}description: a\u0000b\n`))).toEqual([`:12:15: got a NUL character, ${resave}`]);
  });

  it('accepts UTF-8, with or without a byte-order mark', async () => {
    expect(await errorsOfFile('utf8.yaml', Buffer.from(`${text}description: café ✓\n`))).toEqual([]);
    expect(await errorsOfFile('utf8-bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toEqual([]);
  });
});

describe('validation time is linear in the size of one map', () => {
  // CPU time of this test process (pool: forks), not wall time: on a busy CI machine the wall
  // clock measures the other jobs too, while the quadratic check this replaces took 29 s of CPU.
  const cpuMs = (fn: () => void): number => {
    const before = process.cpuUsage();
    fn();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };

  it('validates 20,000 keys of one map in under 3 s', () => {
    const env = Array.from({ length: 20_000 }, (_, i) => `      KEY_${i}: value-${i}\n`).join('');
    let keys = 0;
    const ms = cpuMs(() => {
      keys = Object.keys(parseScenarioText(withEnv(env), { file: 'big.yaml', baseDir: '/x' }).agents[0]?.env ?? {}).length;
    });
    expect(keys).toBe(20_000);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(3_000);
  });

  it('reports 5,000 unknown fields of one map, each at its own line, in under 3 s', () => {
    const extra = Array.from({ length: 5_000 }, (_, i) => `x${i}: 1\n`).join('');
    let lines: string[] = [];
    expect(cpuMs(() => (lines = errorsOf(`${base()}${extra}`)))).toBeLessThan(3_000);
    expect(lines).toHaveLength(5_000);
    expect(lines[4_999]).toMatch(/^bad\.yaml:5011:1: x4999: unknown field/);
  });
});

describe('any scenario-like document validates or gets located errors (property)', () => {
  const key = fc.constantFrom('name', 'agents', 'edges', 'phases', 'load', 'env', 'command', 'from', 'to', 'duration', 'faults', 'type', 'attributes', 'a', 'b');
  const leaf = fc.oneof(fc.constantFrom('a', 'b', 'a->b', 'latency', '1s', 'node a.js', ''), fc.integer({ min: -5, max: 5000 }), fc.boolean(), fc.constant(null));
  const doc = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('map')),
    list: fc.array(tie('value'), { maxLength: 4 }),
    map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  })).value;
  // Edits that reach the new checks: duplicate keys, aliases, anchors, documents, deep nesting, odd bytes.
  const edit = fc.constantFrom('name: x\n', 'a: 1\na: 2\n', '*a', '&a ', 'x: *nope\n', '---\n', '...\n', `${'['.repeat(70)}${']'.repeat(70)}`, '\uFEFF', '\t', ': ', '- ', '{', '"', '\u0000', '\r\n');
  const mutated = fc.tuple(doc, fc.array(fc.tuple(fc.nat(), edit), { maxLength: 4 })).map(([d, edits]) => {
    let text = stringify(d);
    for (const [at, e] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + e + text.slice(i);
    }
    return text;
  });

  it('never throws anything but a ScenarioValidationError, whose line:col are inside the file', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        // Lines end at \n (a lone \r is inside a line, as the parser's line table counts).
        const lines = text.split('\n');
        try {
          parseScenarioText(text, { file: 'f.yaml', baseDir: '/x' });
        } catch (err) {
          expect(err).toBeInstanceOf(AgentcheckError);
          if (!(err instanceof ScenarioValidationError)) return; // a config error with no position
          for (const issue of err.issues) {
            const { line = 0, col = 0 } = issue;
            expect(line).toBeGreaterThanOrEqual(1);
            expect(line).toBeLessThanOrEqual(Math.max(1, lines.length));
            expect(col).toBeGreaterThanOrEqual(1);
            expect(col).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
            expect(issue.text).not.toMatch(/call stack|parseAllDocuments|YAML\.|Unresolved alias/);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
