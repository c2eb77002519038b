import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import * as ts from 'typescript';

/**
 * The compile-time side of the catalog, checked against the declarations the package publishes: they are
 * emitted from lib/ first, and test/types/ imports `nestjs-loops` from them, as an app does from dist/.
 */
const root = join(__dirname, '..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const typedConfig = join(root, 'test/types/typed/tsconfig.json');
const looseConfig = join(root, 'test/types/loose/tsconfig.json');
const looseErrorsFile = join(root, 'test/types/loose/loose-errors.ts');
const errorsFile = join(root, 'test/types/typed/typed-errors.ts');
const invalidConfig = join(root, 'test/types/invalid/tsconfig.json');
const invalidFile = join(root, 'test/types/invalid/invalid-registration.ts');

const declarationsDir = join(root, 'node_modules/.cache/nestjs-loops-types');

const run = promisify(execFile);

async function runTsc(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('node', [tsc, ...args], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

beforeAll(async () => {
  const emitted = await runTsc(
    '-p',
    'tsconfig.build.json',
    '--emitDeclarationOnly',
    '--outDir',
    relative(root, declarationsDir),
  );
  expect(emitted).toEqual({ code: 0, output: '' });
}, 120_000);

describe('an app with a registered catalog', () => {
  it('compiles the calls that must compile, and none of those that must not (tsc)', async () => {
    // typed-errors.ts has a @ts-expect-error on each call: tsc fails on any that has no error.
    expect(await runTsc('-p', typedConfig)).toEqual({ code: 0, output: '' });
  }, 120_000);

  it('reports on each call that must not compile the error its @ts-expect-error names, and no other', () => {
    expect(annotatedErrorMismatches(typedConfig, errorsFile, 20)).toEqual([]);
  }, 120_000);
});

describe('an app that registered something else than a catalog', () => {
  it('fails to compile every send, saying what the registration must be', async () => {
    expect(await runTsc('-p', invalidConfig)).toEqual({ code: 0, output: '' });
    expect(annotatedErrorMismatches(invalidConfig, invalidFile, 2)).toEqual([]);
  }, 120_000);
});

describe('the published declarations', () => {
  it('say any only as the default of a type parameter the app may give', () => {
    const anys: string[] = [];
    const files = readdirSync(declarationsDir, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.d.ts'),
    );
    for (const file of files) {
      const source = ts.createSourceFile(
        file,
        readFileSync(join(declarationsDir, file), 'utf8'),
        ts.ScriptTarget.Latest,
        true,
      );
      const visit = (node: ts.Node): void => {
        if (
          node.kind === ts.SyntaxKind.AnyKeyword &&
          !(ts.isTypeParameterDeclaration(node.parent) && node.parent.default === node)
        ) {
          anys.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(files.length).toBeGreaterThan(50);
    expect(anys).toEqual([]);
  });
});

describe('an app without a catalog', () => {
  it('keeps the loose typing of events (any name, any properties); untyped mappers see unknown (tsc)', async () => {
    expect(await runTsc('-p', looseConfig)).toEqual({ code: 0, output: '' });
  }, 120_000);

  it('refuses a mapper reading an untyped result, a handler whose result is not the type given, and an error on a sent outcome', () => {
    expect(annotatedErrorMismatches(looseConfig, looseErrorsFile, 5)).toEqual([]);
  }, 120_000);
});

/**
 * Compiles `file` without its `// @ts-expect-error -- text` directives, line for line, and lists where the error
 * reported on the line after each directive doesn't contain its text, or an error was reported elsewhere.
 */
function annotatedErrorMismatches(configPath: string, file: string, atLeast: number): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const expected = new Map<number, string>();
  lines.forEach((line, index) => {
    const match = /^\s*\/\/ @ts-expect-error -- (.+)$/.exec(line);
    if (match) expected.set(index + 1, match[1]);
  });
  expect(expected.size).toBeGreaterThanOrEqual(atLeast);
  const stripped = lines.map((line) => line.replace(/\/\/ @ts-expect-error -- .*$/, '//')).join('\n');

  const reported = new Map<number, string[]>();
  for (const diagnostic of diagnosticsWith(configPath, file, stripped)) {
    const line = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start!).line + 1;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    reported.set(line, [...(reported.get(line) ?? []), message]);
  }

  const mismatches: string[] = [];
  for (const [line, text] of expected) {
    const messages = reported.get(line + 1) ?? [];
    if (!messages.some((message) => message.includes(text))) {
      mismatches.push(`line ${line + 1}: expected "${text}", got ${JSON.stringify(messages)}`);
    }
    reported.delete(line + 1);
  }
  for (const [line, messages] of reported) mismatches.push(`line ${line}: unexpected ${JSON.stringify(messages)}`);
  return mismatches;
}

/** The diagnostics of `file` with `text` as its content, in the program of `configPath`. */
function diagnosticsWith(configPath: string, file: string, text: string): readonly ts.Diagnostic[] {
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(configPath));
  const host = ts.createCompilerHost(parsed.options);
  const { getSourceFile } = host;
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, ...rest);
  const program = ts.createProgram(parsed.fileNames, parsed.options, host);
  return ts.getPreEmitDiagnostics(program).filter((diagnostic) => diagnostic.file?.fileName === file);
}
