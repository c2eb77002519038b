import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { runInThisContext } from 'node:vm';
import { defineLoopsEvents } from '../catalog/define-loops-events';
import type { LoopsCatalog } from '../catalog/loops-catalog';
import { validateLoopsCatalog } from '../catalog/validate-loops-catalog';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { CliUsageError } from './cli-usage-error';

type TypeScript = typeof import('typescript');

const TYPESCRIPT_EXTENSIONS = ['.ts', '.mts', '.cts'];
/** `./x.js` in an ES module written in TypeScript names `./x.ts`. */
const SOURCE_OF: Record<string, string> = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts' };

export interface LoadedCatalog {
  catalog: LoopsCatalog;
  /** The file as the user named it relative to the working directory, for messages. */
  displayPath: string;
}

/** The fields of a catalog: a module whose exports are only these is a catalog itself. */
const CATALOG_EXPORTS = ['events', 'contactProperties', 'mailingLists'];

/**
 * Loads the catalog a file exports (`catalog`, else the default export, else the module itself when it is one, else
 * its only catalog-like export).
 * A TypeScript file is compiled with the project's own `typescript` package, so no build is needed first; its
 * relative imports of other TypeScript files are followed. `nestjs-loops` is served from this CLI, which is
 * all a catalog needs of it (`defineLoopsEvents` and types).
 * @throws CliUsageError when the file is missing, can't be read or exports no valid catalog.
 */
export function loadCatalogFile(file: string, cwd: string): LoadedCatalog {
  const path = resolve(cwd, file);
  const displayPath = relative(cwd, path) || file;
  if (!existsSync(path)) {
    throw new CliUsageError(
      `${displayPath}: no such file (give its path with --catalog, or write it with \`nestjs-loops pull\`)`,
    );
  }
  let exports: Record<string, unknown>;
  try {
    exports = TYPESCRIPT_EXTENSIONS.includes(extname(path))
      ? new TypeScriptCatalogLoader(loadTypeScript(cwd, path)).load(path)
      : (createRequire(path)(path) as Record<string, unknown>);
  } catch (error) {
    if (error instanceof CliUsageError) throw error;
    throw new CliUsageError(
      `${displayPath} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return { catalog: validateLoopsCatalog(pickCatalog(exports, displayPath), displayPath), displayPath };
  } catch (error) {
    if (error instanceof LoopsConfigurationError) throw new CliUsageError(`${error.option} ${error.rule}`);
    throw error;
  }
}

function pickCatalog(exports: Record<string, unknown>, displayPath: string): unknown {
  if (exports.catalog !== undefined) return exports.catalog;
  if (exports.default !== undefined) return exports.default;
  // `module.exports = defineLoopsEvents(...)` or TypeScript's `export =`: the module is the catalog. Not a module
  // that only exports its events beside a catalog under another name.
  if (Object.hasOwn(exports, 'events') && Object.keys(exports).every((key) => CATALOG_EXPORTS.includes(key))) {
    return exports;
  }
  const candidates = Object.values(exports).filter(
    (value) => typeof value === 'object' && value !== null && 'events' in value,
  );
  if (candidates.length === 1) return candidates[0];
  throw new CliUsageError(
    `${displayPath} exports no catalog: export it as \`catalog\` (export const catalog = defineLoopsEvents({ ... }))`,
  );
}

function loadTypeScript(cwd: string, path: string): TypeScript {
  for (const from of [join(cwd, 'package.json'), path]) {
    try {
      return createRequire(from)('typescript') as TypeScript;
    } catch {
      // Not installed there; try the next place.
    }
  }
  throw new CliUsageError(
    'reading a TypeScript catalog needs the typescript package in the project (npm install -D typescript); ' +
      'or give the compiled .js file with --catalog',
  );
}

/** What `import { ... } from 'nestjs-loops'` gives a catalog file: the helper, and a clear error for anything else. */
const NESTJS_LOOPS_FOR_CATALOGS = new Proxy(
  { __esModule: true, defineLoopsEvents },
  {
    get(target, name) {
      if (typeof name === 'symbol' || name in target || name === 'then') return Reflect.get(target, name);
      throw new CliUsageError(
        `a catalog file can import only defineLoopsEvents (and types) from nestjs-loops at run time, not ${name}`,
      );
    },
  },
);

/** A small CommonJS loader for TypeScript files: compile each with `transpileModule`, run it, follow relative imports. */
class TypeScriptCatalogLoader {
  private readonly modules = new Map<string, { exports: Record<string, unknown> }>();

  constructor(private readonly ts: TypeScript) {}

  load(path: string): Record<string, unknown> {
    const loaded = this.modules.get(path);
    if (loaded) return loaded.exports;
    const module = { exports: {} as Record<string, unknown> };
    // Registered before running, as Node does, so that an import cycle gets the partial exports.
    this.modules.set(path, module);
    const { outputText, diagnostics = [] } = this.ts.transpileModule(readFileSync(path, 'utf8'), {
      fileName: path,
      reportDiagnostics: true,
      compilerOptions: {
        module: this.ts.ModuleKind.CommonJS,
        target: this.ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    // transpileModule compiles broken syntax into something anyway: it must not pass for a catalog.
    const [error] = diagnostics.filter((diagnostic) => diagnostic.category === this.ts.DiagnosticCategory.Error);
    if (error) {
      const line =
        error.file && error.start !== undefined ? error.file.getLineAndCharacterOfPosition(error.start).line + 1 : 0;
      throw new Error(`line ${line}: ${this.ts.flattenDiagnosticMessageText(error.messageText, ' ')}`);
    }
    const nodeRequire = createRequire(path);
    const requireFromFile = (specifier: string): unknown => {
      if (specifier === 'nestjs-loops') return NESTJS_LOOPS_FOR_CATALOGS;
      const source = specifier.startsWith('.') ? findTypeScriptSource(resolve(dirname(path), specifier)) : undefined;
      return source ? this.load(source) : nodeRequire(specifier);
    };
    const wrapper = runInThisContext(`(function (exports, require, module, __filename, __dirname) {${outputText}\n})`, {
      filename: path,
    }) as (...args: unknown[]) => void;
    wrapper(module.exports, requireFromFile, module, path, dirname(path));
    return module.exports;
  }
}

function findTypeScriptSource(base: string): string | undefined {
  const extension = extname(base);
  const candidates = [
    ...(TYPESCRIPT_EXTENSIONS.includes(extension) ? [base] : []),
    ...(SOURCE_OF[extension] ? [base.slice(0, -extension.length) + SOURCE_OF[extension]] : []),
    ...TYPESCRIPT_EXTENSIONS.map((candidate) => base + candidate),
    join(base, 'index.ts'),
  ];
  return candidates.find((candidate) => existsSync(candidate));
}
