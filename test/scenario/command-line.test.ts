import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../../src/scenario/command-line.js';

describe('splitCommandLine', () => {
  it.each([
    ['node a.js', ['node', 'a.js']],
    ['  node   a.js  ', ['node', 'a.js']],
    ['node a.js --mode no-dedup', ['node', 'a.js', '--mode', 'no-dedup']],
    [`node -e "console.log('hi there')"`, ['node', '-e', "console.log('hi there')"]],
    [`echo 'a "b" c'`, ['echo', 'a "b" c']],
    ['echo "a \\"b\\" \\\\ c"', ['echo', 'a "b" \\ c']],
    ['echo a\\ b', ['echo', 'a b']],
    ['echo "" x', ['echo', '', 'x']],
    ['echo $HOME *', ['echo', '$HOME', '*']],
    ['', []],
  ] as const)('%j', (line, argv) => {
    expect(splitCommandLine(line)).toEqual(argv);
  });

  it.each(['node "a.js', "node 'a.js", 'node a.js\\'])('rejects %j', (line) => {
    expect(splitCommandLine(line)).toBeUndefined();
  });

  it('round-trips any argv quoted with single quotes (property)', () => {
    const quote = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), (argv) => {
        expect(splitCommandLine(argv.map(quote).join(' '))).toEqual(argv);
      }),
    );
  });
});
