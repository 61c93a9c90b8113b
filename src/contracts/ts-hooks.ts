/**
 * Node module hooks (registered with `module.register`) that let a plain `node` import a TypeScript
 * state-handler module: `.ts`/`.mts` files are transpiled with the `typescript` package (no type
 * check; types are the editor's and tsc's job), and a relative `./x.js` import from TypeScript
 * resolves to `./x.ts` when only that exists (the NodeNext convention).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

type ResolveContext = { parentURL?: string };
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string; format?: string | null; shortCircuit?: boolean }>;
type LoadContext = { format?: string | null };
type NextLoad = (url: string, context: LoadContext) => Promise<{ format: string; source?: string | Buffer | null; shortCircuit?: boolean }>;

interface TsApi {
  transpileModule(input: string, options: { compilerOptions: Record<string, unknown>; fileName?: string }): { outputText: string };
  ModuleKind: { ESNext: number };
  ScriptTarget: { ES2022: number };
}

let ts: TsApi | undefined;
function typescript(from: string): TsApi {
  if (!ts) {
    // Prefer the project's own typescript (next to the module), then agentcheck's.
    for (const base of [from, import.meta.url]) {
      try {
        ts = createRequire(base)('typescript') as TsApi;
        break;
      } catch {
        // try the next place
      }
    }
    if (!ts) throw new Error('loading a TypeScript module needs the `typescript` package; install it, or write the module in JavaScript');
  }
  return ts;
}

const TS_FILE = /\.(m?ts)$/;

/** Resolves `./x.js` from a TypeScript parent to `./x.ts` when only the TypeScript file exists. */
export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): ReturnType<NextResolve> {
  if (context.parentURL && TS_FILE.test(new URL(context.parentURL).pathname) && /^\.{1,2}\//.test(specifier) && /\.m?js$/.test(specifier)) {
    const asJs = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(asJs))) {
      const asTs = new URL(specifier.replace(/\.(m?)js$/, '.$1ts'), context.parentURL);
      if (existsSync(fileURLToPath(asTs))) return { url: asTs.href, shortCircuit: true };
    }
  }
  return next(specifier, context);
}

/** Transpiles TypeScript files to ES modules. */
export async function load(url: string, context: LoadContext, next: NextLoad): ReturnType<NextLoad> {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:' && TS_FILE.test(parsed.pathname)) {
    parsed.search = '';
    const file = fileURLToPath(parsed);
    const api = typescript(pathToFileURL(file).href);
    const source = await readFile(file, 'utf8');
    const out = api.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: api.ModuleKind.ESNext, target: api.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: true },
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, context);
}
