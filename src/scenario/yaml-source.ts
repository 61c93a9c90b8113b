/**
 * Reading a scenario's YAML (or JSON) text in linear time and in agentcheck's own words.
 *
 * The `yaml` library's duplicate-key check (`uniqueKeys`) compares every key with every earlier
 * key of its map, which is quadratic in the size of one map (20,000 keys took 29 s). It is
 * turned off here; one iterative walk over the parsed document instead finds duplicate keys
 * with a `Map` per YAML map, complex keys, aliases with no anchor before them (at the alias,
 * not at 1:1), aliases into the node that holds them, and nesting deeper than
 * {@link MAX_NESTING}. The same walk builds the key index that {@link locate} uses to point
 * an issue at its line and column without scanning maps again.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { type FieldPath, type ValidationIssue } from './validate-issue.js';

/**
 * How deep lists and maps may nest. A scenario needs about ten levels (a request body a few
 * more); the limit keeps every later pass (recursive by nature) far from the stack's end.
 */
export const MAX_NESTING = 64;

/** One problem found while reading the text: where (character offset) and what. */
export interface SourceProblem {
  offset: number;
  message: string;
  /** The field path, for problems of a node (a duplicate key, an alias); absent for syntax errors. */
  path?: FieldPath;
}

/** A parsed scenario text: the document, its line table, problems, and the key index. */
export interface ParsedSource {
  doc: Document;
  lines: LineTable;
  problems: SourceProblem[];
  /** The pairs of every map by key (the first pair of a duplicated key). */
  keys: Map<YAMLMap, Map<string, Pair>>;
}

/**
 * 1-based line and column of a character offset, from the text's own newlines: the parser's
 * line counter misses newlines inside tokens it could not parse, so errors after them drifted.
 */
export class LineTable {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  linePos(offset: number): { line: number; col: number } {
    const at = Math.min(Math.max(0, offset), this.text.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - (this.starts[lo] as number) + 1 };
  }
}

const keyName = (pair: Pair): string => (pair.key === null ? '' : isScalar(pair.key) ? String(pair.key.value) : String(pair.key));
const startOf = (n: unknown): number | undefined => (n as { range?: [number, number, number] } | undefined)?.range?.[0];

const TOO_DEEP = `got lists or maps nested too deeply, expected at most ${MAX_NESTING} levels`;

/** yaml's words that name its own API or a JavaScript engine limit, in ours. */
function ownWords(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'got a second YAML document (after a "---" or "..." line), expected one scenario per file';
  if (code === 'RESOURCE_EXHAUSTION' || /Maximum call stack/.test(message)) return TOO_DEEP;
  const first = (message.split('\n')[0] ?? message).replace(/^Unexpected \S+ token in YAML stream: /, 'Unexpected ');
  return `${first.replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '')}, expected valid YAML`;
}

interface Frame {
  node: unknown;
  parent: Frame | undefined;
  /** This node's key or index in its parent. */
  part: string | number | undefined;
  depth: number;
}

function pathOf(frame: Frame | undefined): FieldPath {
  const parts: Array<string | number> = [];
  for (let f = frame; f !== undefined && f.part !== undefined; f = f.parent) parts.push(f.part);
  return parts.reverse();
}

/** Parses `text` (one YAML document; JSON is YAML) and checks what the library does not, in one pass. */
export function parseScenarioSource(text: string): ParsedSource {
  const lines = new LineTable(text);
  // logLevel 'error': yaml would print warnings to stderr itself.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  const problems: SourceProblem[] = [];
  // A stack overflow inside the library is reported once (it repeats it for every open level).
  let deep: SourceProblem | undefined;
  for (const e of doc.errors) {
    const problem = { offset: e.pos[0], message: ownWords(e.code, e.message) };
    if (problem.message !== TOO_DEEP) problems.push(problem);
    else deep ??= problem;
  }
  let walkedTooDeep = false;
  const keys = new Map<YAMLMap, Map<string, Pair>>();
  const anchors = new Map<string, unknown>();
  // Pre-order, children in source order: an anchor is seen before any alias that follows it.
  const stack: Frame[] = [{ node: doc.contents, parent: undefined, part: undefined, depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { node } = frame;
    if (node === null || node === undefined) continue;
    if (isAlias(node)) {
      checkAlias(node, frame, anchors, problems);
      continue;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor !== undefined) anchors.set(anchor, node);
    if (!isMap(node) && !isSeq(node)) continue;
    if (frame.depth >= MAX_NESTING) {
      // The path of the outermost few levels says where; all 64 would fill the screen.
      const where = pathOf(frame).slice(0, 3);
      problems.push({ offset: startOf(node) ?? 0, path: where, message: `got lists or maps nested more than ${MAX_NESTING} levels deep in here, expected at most ${MAX_NESTING}` });
      walkedTooDeep = true;
      continue;
    }
    const children: Frame[] = [];
    const depth = frame.depth + 1;
    if (isMap(node)) {
      const index = new Map<string, Pair>();
      keys.set(node, index);
      for (const pair of node.items) {
        if (pair.key !== null && !isScalar(pair.key)) {
          problems.push({ offset: startOf(pair.key) ?? 0, message: 'got a list or map as a key, expected a plain name' });
          continue;
        }
        // An anchor on a key (`&k name: …`) may be the target of a later alias, like any node's.
        const keyAnchor = (pair.key as { anchor?: string } | null)?.anchor;
        if (keyAnchor !== undefined) anchors.set(keyAnchor, pair.key);
        const name = keyName(pair);
        const first = index.get(name);
        if (first !== undefined) {
          const { line, col } = lines.linePos(startOf(first.key) ?? 0);
          problems.push({ offset: startOf(pair.key) ?? 0, path: [...pathOf(frame), name], message: `duplicate key "${name}" (first at ${line}:${col}), expected each key once` });
        } else index.set(name, pair);
        children.push({ node: pair.value, parent: frame, part: name, depth });
      }
    } else {
      node.items.forEach((item, i) => {
        // A flow `[a: 1]` item may be a bare pair: walk its value like a one-key map's.
        children.push({ node: isPair(item) ? item.value : item, parent: frame, part: i, depth });
      });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Frame);
  }
  if (deep !== undefined && !walkedTooDeep) problems.push(deep);
  return { doc, lines, problems, keys };
}

function checkAlias(node: Node & { source: string }, frame: Frame, anchors: Map<string, unknown>, problems: SourceProblem[]): void {
  const target = anchors.get(node.source);
  const offset = startOf(node) ?? 0;
  if (target === undefined) {
    problems.push({ offset, path: pathOf(frame), message: `got alias *${node.source} with no anchor &${node.source} before it, expected an anchor defined earlier in the file` });
    return;
  }
  for (let f = frame.parent; f !== undefined; f = f.parent) {
    if (f.node === target) {
      problems.push({ offset, path: pathOf(frame), message: `got alias *${node.source} inside the node it names, expected an alias to a node that does not contain it` });
      return;
    }
  }
}

/** The source offset an issue points at: its value, its key, or the map holding a missing field. */
export function locate(source: ParsedSource, issue: ValidationIssue): number {
  const { doc, keys } = source;
  const target: FieldPath = issue.at === 'parent' ? issue.path.slice(0, -1) : issue.path;
  let node: unknown = doc.contents;
  let key: Node | undefined;
  for (const part of target) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = keys.get(node)?.get(String(part));
      if (pair === undefined) break;
      key = isScalar(pair.key) ? pair.key : undefined;
      if (pair.value === null || pair.value === undefined) {
        node = undefined;
        break;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && node.items[part] !== undefined) {
      key = undefined;
      node = node.items[part];
    } else break;
  }
  if (issue.at === 'key' && key !== undefined) return startOf(key) ?? 0;
  const start = startOf(node) ?? startOf(key) ?? 0;
  // Inside a one-line string the offset maps to a column (exact unless the string has escapes).
  if (issue.offset !== undefined && isScalar(node) && typeof node.value === 'string') {
    if (node.type === 'PLAIN') return start + issue.offset;
    if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return start + 1 + issue.offset;
  }
  return start;
}
