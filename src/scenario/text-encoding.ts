/**
 * Scenario files are UTF-8. A file saved as UTF-16 or UTF-32 (some Windows editors and
 * PowerShell's `>` do that) would otherwise reach the YAML parser as text full of NUL
 * characters and fail with a message about tokens; this names the encoding instead.
 * A UTF-8 byte-order mark is valid YAML and accepted.
 */

/** A file that is not UTF-8: where (1-based) and what, with the fix. */
export interface EncodingProblem {
  line: number;
  col: number;
  message: string;
}

const RESAVE = 'expected UTF-8 (re-save the file as UTF-8, without a byte-order mark)';

/** Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one). */
const BOMS: ReadonlyArray<{ bytes: number[]; name: string }> = [
  { bytes: [0xff, 0xfe, 0x00, 0x00], name: 'UTF-32 LE' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], name: 'UTF-32 BE' },
  { bytes: [0xff, 0xfe], name: 'UTF-16 LE' },
  { bytes: [0xfe, 0xff], name: 'UTF-16 BE' },
];

function bomOf(bytes: Uint8Array): string | undefined {
  return BOMS.find((b) => b.bytes.length <= bytes.length && b.bytes.every((v, i) => bytes[i] === v))?.name;
}

/** Without a mark, text that is mostly ASCII shows its encoding in where the zero bytes are. */
function guessWide(bytes: Uint8Array): string | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] !== 0) return 'UTF-32 BE';
  if (bytes.length >= 4 && bytes[0] !== 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 0) return 'UTF-32 LE';
  if (bytes[0] === 0 && bytes[1] !== 0) return 'UTF-16 BE';
  if (bytes[0] !== 0 && bytes[1] === 0) return 'UTF-16 LE';
  return undefined;
}

/** 1-based line and column of character `index` of `text`. */
function lineColAt(text: string, index: number): { line: number; col: number } {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return { line, col: index - text.lastIndexOf('\n', index - 1) };
}

/** The first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return bytes.length;
}

/** The text of a scenario file, or why it is not UTF-8 text. */
export function decodeScenarioBytes(bytes: Uint8Array): { text: string } | { problem: EncodingProblem } {
  const bom = bomOf(bytes);
  if (bom !== undefined) return { problem: { line: 1, col: 1, message: `got a ${bom} file (byte-order mark), ${RESAVE}` } };
  const wide = guessWide(bytes);
  if (wide !== undefined) return { problem: { line: 1, col: 1, message: `got what looks like a ${wide} file (zero bytes between the characters), ${RESAVE}` } };
  let text: string;
  try {
    // ignoreBOM: false (the default) drops a UTF-8 byte-order mark.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, at));
    const what = at < bytes.length ? `byte 0x${(bytes[at] as number).toString(16).padStart(2, '0')}` : 'a byte sequence';
    return { problem: { ...lineColAt(before, before.length), message: `got ${what} that is not UTF-8 (a Latin-1 or Windows-1252 file?), ${RESAVE}` } };
  }
  // Valid UTF-8, but a NUL is never meant in a scenario: a binary file or a wide encoding.
  const nul = text.indexOf('\u0000');
  if (nul !== -1) return { problem: { ...lineColAt(text, nul), message: `got a NUL character, ${RESAVE}` } };
  return { text };
}
