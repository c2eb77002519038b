import { dirname, join } from 'node:path';
import * as ts from 'typescript';

const root = join(__dirname, '../..');

/**
 * Type-checks files, given by name and content, as an app's would be, with `nestjs-loops` being lib/. Returns the
 * diagnostics of these files only, as tsc prints them (`path:line:column - error TS1234: message`): lib's own
 * sources are checked by the build, and a catalog registered in these files would apply to them too, which never
 * happens in an app (it gets the declarations).
 */
export function typeCheckFiles(files: ReadonlyMap<string, string>): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node', 'jest'],
    baseUrl: root,
    paths: { 'nestjs-loops': ['lib/index.ts'], 'nestjs-loops/testing': ['lib/testing/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  const directories = [...files.keys()].map((name) => dirname(name));
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.directoryExists = (name) =>
    directories.some((directory) => `${directory}/`.startsWith(`${name}/`)) || (directoryExists?.(name) ?? true);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  host.getSourceFile = (name, version, ...rest) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, version, ...rest) : ts.createSourceFile(name, text, version);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || files.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const message = `error TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      if (!diagnostic.file) return message;
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      return `${diagnostic.file.fileName.slice(root.length + 1)}:${line + 1}:${character + 1} - ${message}`;
    });
}
