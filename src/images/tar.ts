/**
 * A streaming tar (ustar + PAX long names) writer: the build context we send to the Docker
 * engine. Written here rather than taken from a dependency because agentcheck only needs
 * regular files, directories and symlinks, and a build context must never be held in memory
 * (the base image carries a ~100 MB `node` binary).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** One entry of a tar archive. */
export type TarEntry =
  | { type: 'file'; path: string; mode?: number; source: string; size: number }
  | { type: 'file'; path: string; mode?: number; content: Buffer | string }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width includes the trailing NUL.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function writeString(buf: Buffer, text: string, offset: number, width: number): void {
  buf.write(text, offset, Math.min(Buffer.byteLength(text), width), 'utf8');
}

/** Splits a path into ustar's `prefix` (≤155 bytes) and `name` (≤100 bytes), or undefined. */
function splitUstar(p: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(p) <= 100) return { prefix: '', name: p };
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { prefix, name };
  }
  return undefined;
}

function header(fields: { name: string; prefix?: string; mode: number; size: number; typeflag: string; linkname?: string }): Buffer {
  const buf = Buffer.alloc(BLOCK);
  writeString(buf, fields.name, 0, 100);
  buf.write(octal(fields.mode & 0o7777, 8), 100, 'ascii');
  buf.write(octal(0, 8), 108, 'ascii'); // uid
  buf.write(octal(0, 8), 116, 'ascii'); // gid
  buf.write(octal(fields.size, 12), 124, 'ascii');
  // A fixed mtime keeps contexts byte-identical between builds, so Docker's layer cache hits.
  buf.write(octal(0, 12), 136, 'ascii');
  buf.write('        ', 148, 'ascii'); // checksum placeholder
  buf.write(fields.typeflag, 156, 'ascii');
  if (fields.linkname) writeString(buf, fields.linkname, 157, 100);
  buf.write('ustar\0', 257, 'ascii');
  buf.write('00', 263, 'ascii');
  if (fields.prefix) writeString(buf, fields.prefix, 345, 155);
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(octal(sum, 7) + ' ', 148, 'ascii');
  return buf;
}

/** PAX extended header records for values ustar cannot hold. */
function paxRecords(values: Record<string, string>): Buffer {
  let body = '';
  for (const [key, value] of Object.entries(values)) {
    const rest = ` ${key}=${value}\n`;
    // The length prefix counts itself, so grow it until it is stable.
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
    body += `${len}${rest}`;
  }
  return Buffer.from(body, 'utf8');
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

function headersFor(entry: TarEntry, size: number): Buffer[] {
  const isDir = entry.type === 'dir';
  const entryPath = isDir && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const typeflag = entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0';
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? (isDir ? 0o755 : 0o644));
  const linkname = entry.type === 'symlink' ? entry.target : undefined;
  const out: Buffer[] = [];
  const split = splitUstar(entryPath);
  const pax: Record<string, string> = {};
  if (!split) pax.path = entryPath;
  if (linkname && Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  if (Object.keys(pax).length > 0) {
    const records = paxRecords(pax);
    out.push(header({ name: 'PaxHeader', mode: 0o644, size: records.length, typeflag: 'x' }), records, padding(records.length));
  }
  out.push(
    header({
      name: split ? split.name : entryPath.slice(-100),
      ...(split?.prefix ? { prefix: split.prefix } : {}),
      mode,
      size,
      typeflag,
      ...(linkname ? { linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 100) : linkname } : {}),
    }),
  );
  return out;
}

/**
 * A tar archive of `entries`, streamed: file sources are read only when their turn comes.
 * A file given by `source` must still have `size` bytes when it is read, or the stream errors.
 */
export function tarStream(entries: Iterable<TarEntry>): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      if (entry.type === 'file' && 'source' in entry) {
        yield* headersFor(entry, entry.size);
        let read = 0;
        for await (const chunk of createReadStream(entry.source)) {
          read += (chunk as Buffer).length;
          if (read > entry.size) break;
          yield chunk as Buffer;
        }
        if (read !== entry.size) throw new Error(`${entry.source} changed size while it was archived (${entry.size} → ${read} bytes)`);
        yield padding(entry.size);
      } else if (entry.type === 'file') {
        const content = typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : entry.content;
        yield* headersFor(entry, content.length);
        yield content;
        yield padding(content.length);
      } else {
        yield* headersFor(entry, 0);
      }
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(generate(), { objectMode: false });
}
