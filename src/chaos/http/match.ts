/**
 * Which requests a message-level toxic applies to: HTTP method, path glob, header values and
 * the JSON-RPC `method` in the body. Every given filter must match; an empty filter matches all.
 *
 * Attribute shape (`attributes.match`):
 * `{ "method": "POST" | [..], "path": "/a2a/**" | [..], "header": {"x-tenant": "acme-*"},
 *    "jsonrpc_method": "tools/call" | [..] }`
 * Path globs are picomatch globs on the path without its query string; header values match
 * exactly, or as a wildcard where `*` stands for any run of characters; names are case-insensitive.
 */
import picomatch from 'picomatch';
import { AttributeError, asObject, stringListAttr, stringMapAttr, type Attrs } from './attributes.js';
import { headerValue, type HeaderList } from './parser.js';

/** The `match` attribute of a message-level toxic, as it reads back through the API. */
export interface MatchSpec {
  method?: string[];
  path?: string[];
  header?: Record<string, string>;
  jsonrpc_method?: string[];
}

/** What the proxy knows about a request when deciding. */
export interface RequestFacts {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: HeaderList;
  /** JSON-RPC methods in the body; null when the body was not inspected (too large, `Expect: 100-continue`). */
  jsonrpcMethods: string[] | null;
}

/** A compiled {@link MatchSpec}. */
export interface RequestMatcher {
  (facts: RequestFacts): boolean;
  /** True when this matcher needs the request body (a `jsonrpc_method` filter). */
  readonly needsBody: boolean;
}

/** Validates and normalises `attributes.match` (missing → `{}`: match everything). */
export function parseMatch(value: unknown): MatchSpec {
  const attrs: Attrs = asObject(value, "attribute 'match'");
  const spec: MatchSpec = {};
  const method = stringListAttr(attrs, 'method', "attribute 'match.method'");
  if (method.length) spec.method = method.map((m) => m.toUpperCase());
  const path = stringListAttr(attrs, 'path', "attribute 'match.path'");
  if (path.length) {
    for (const p of path) {
      try {
        picomatch.makeRe(p);
      } catch {
        throw new AttributeError(`attribute 'match.path' has an invalid glob '${p}'`);
      }
    }
    spec.path = path;
  }
  const header = stringMapAttr(attrs, 'header', "attribute 'match.header'");
  if (Object.keys(header).length) spec.header = header;
  const rpc = stringListAttr(attrs, 'jsonrpc_method', "attribute 'match.jsonrpc_method'");
  if (rpc.length) spec.jsonrpc_method = rpc;
  return spec;
}

function wildcard(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (v) => v === pattern;
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
  return (v) => re.test(v);
}

/** Compiles a {@link MatchSpec} into a fast predicate. */
export function compileMatch(spec: MatchSpec): RequestMatcher {
  const tests: Array<(f: RequestFacts) => boolean> = [];
  if (spec.method) {
    const set = new Set(spec.method);
    tests.push((f) => set.has(f.method.toUpperCase()));
  }
  if (spec.path) {
    const isMatch = picomatch(spec.path, { dot: true });
    tests.push((f) => isMatch(f.path));
  }
  if (spec.header) {
    for (const [name, pattern] of Object.entries(spec.header)) {
      const test = wildcard(pattern);
      tests.push((f) => {
        const v = headerValue(f.headers, name);
        return v !== undefined && test(v);
      });
    }
  }
  if (spec.jsonrpc_method) {
    const set = new Set(spec.jsonrpc_method);
    tests.push((f) => f.jsonrpcMethods !== null && f.jsonrpcMethods.some((m) => set.has(m)));
  }
  const matcher = ((facts: RequestFacts) => {
    for (const t of tests) if (!t(facts)) return false;
    return true;
  }) as RequestMatcher;
  Object.defineProperty(matcher, 'needsBody', { value: spec.jsonrpc_method !== undefined });
  return matcher;
}

/** The path of a request target without its query string (absolute-form targets are reduced to their path). */
export function targetPath(target: string): string {
  let t = target;
  if (!t.startsWith('/')) {
    const scheme = t.indexOf('://');
    if (scheme > 0) {
      const slash = t.indexOf('/', scheme + 3);
      t = slash < 0 ? '/' : t.slice(slash);
    }
  }
  const q = t.search(/[?#]/);
  return q < 0 ? t : t.slice(0, q);
}
