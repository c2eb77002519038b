/**
 * The compatibility suite: the package as users get it from npm, in the apps that install it.
 *
 * Builds and packs the repo once, installs the tarball into a temporary copy of each scenario app
 * (test/compat/<scenario>/, its own package.json, its own test runner; the app module itself is test/compat/app/,
 * the same for all) and runs that app's test. Beside the
 * scenarios: the tarball's file list, the imports of its .d.ts files, require() and import() of the installed
 * package, and a type-check of a consumer under each TypeScript module/moduleResolution setting.
 *
 * Scenarios install with `npm install` from the registry, without lockfiles: each run meets the versions that a
 * new user of Nest 11 or Nest 12 gets today. The resolved versions are printed with the timings.
 * COMPAT_KEEP_TMP=1 keeps the temporary directory for inspection.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { expectCliChecks, runCliChecks } from './cli-checks';

const repoRoot = resolve(__dirname, '../..');
const compatDir = __dirname;

/**
 * The one switch for the testing entry point: true demands dist/testing/index.js in the tarball. Whenever the
 * tarball has it, `nestjs-loops/testing` is also loaded and type-checked; false would only tolerate its absence.
 */
const REQUIRE_TESTING_SUBPATH = true;

/** Peers whose identity matters: a nested second copy under nestjs-loops would mean a second DI token or metadata store. */
const SINGLETON_PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  'class-validator',
  'class-transformer',
  'reflect-metadata',
  'rxjs',
];

/** Versions printed for each scenario, so that a failure can be traced to what the registry served that day. */
const REPORTED_PACKAGES = ['@nestjs/common', '@nestjs/axios', '@nestjs/config', 'class-validator', 'rxjs'];

interface Scenario {
  name: string;
  nest: 11 | 12;
  runner: string;
  /** The scenario whose app and tests this one runs too; its own folder adds files and replaces package.json. */
  base?: string;
}

const scenarios: Scenario[] = [
  { name: 'nest11-cjs-jest', nest: 11, runner: 'jest' },
  { name: 'nest12-esm-vitest', nest: 12, runner: 'vitest' },
  { name: 'nest12-cjs-jest', nest: 12, runner: 'jest' },
  // The same apps with neither @nestjs/axios nor axios, which only run `npm install nestjs-loops`.
  { name: 'nest11-cjs-jest-bare', nest: 11, runner: 'jest', base: 'nest11-cjs-jest' },
  { name: 'nest12-esm-vitest-bare', nest: 12, runner: 'vitest', base: 'nest12-esm-vitest' },
];

interface RunResult {
  command: string;
  code: number | null;
  /** stdout alone, for commands whose output is parsed. */
  stdout: string;
  /** stdout and stderr as they came. */
  output: string;
  ms: number;
}

interface Installed {
  scenario: Scenario;
  dir: string;
  install: RunResult;
  /** `npm ls --all`: non-zero on a missing or invalid peer. */
  ls?: RunResult;
  versions: Record<string, string>;
}

interface ScenarioOutcome extends Installed {
  test?: RunResult;
}

/** The environment of the commands run here: none of the npm script or jest worker context of this run leaks in. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if (
      /^(npm_(package|lifecycle)_.*|npm_command|npm_config_local_prefix|INIT_CWD|JEST_WORKER_ID|NODE_ENV)$/i.test(key)
    ) {
      delete env[key];
    }
  }
  return env;
}

/** Runs a command to its end (or kills its process group after `timeoutMs`); never rejects. */
function run(command: string, args: string[], cwd: string, timeoutMs = 240_000): Promise<RunResult> {
  const started = Date.now();
  const text = [command, ...args].join(' ');
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env: childEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[compat] killed after ${timeoutMs} ms`;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => (output += `\n[compat] ${error.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ command: text, code, stdout, output, ms: Date.now() - started });
    });
  });
}

function describeRun(result: RunResult | undefined): string {
  if (!result) return '(not run)';
  return `$ ${result.command}\n(exit ${result.code} after ${(result.ms / 1000).toFixed(1)} s)\n${result.output}`;
}

/** Fails with the command's output, so that a red run says why. */
function expectSuccess(result: RunResult | undefined, what: string): void {
  if (result?.code !== 0) throw new Error(`${what} failed:\n${describeRun(result)}`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe('compatibility of the packed nestjs-loops', () => {
  const suiteStarted = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'nestjs-loops-compat-'));
  const timings: string[] = [];
  let tarball = '';
  /** The tarball's contents, as npm unpacks it into node_modules/nestjs-loops. */
  let unpacked = '';
  let hasTestingSubpath = false;
  const installs = new Map<string, Promise<Installed>>();
  const outcomes = new Map<string, Promise<ScenarioOutcome>>();

  /** Copies the scenario out of the repo and installs it with the tarball; never rejects. */
  async function installScenario(scenario: Scenario): Promise<Installed> {
    const dir = join(work, scenario.name);
    const started = Date.now();
    try {
      for (const folder of [scenario.base, scenario.name]) {
        if (!folder) continue;
        cpSync(join(compatDir, folder), dir, {
          recursive: true,
          filter: (source) => !/[\\/](node_modules|package-lock\.json)$/.test(source),
        });
      }
      // The app under test is the same in every scenario; only its Nest version, module system and runner differ.
      mkdirSync(join(dir, 'src'), { recursive: true });
      cpSync(join(compatDir, 'app', 'app.module.ts'), join(dir, 'src', 'app.module.ts'));
      // Each app tests against the project's own Loops-compatible server, which has no dependencies.
      cpSync(join(compatDir, '..', 'support', 'loops-server'), join(dir, 'test', 'loops-server'), {
        recursive: true,
        filter: (source) => !source.endsWith('main.ts'),
      });
      const install = await run('npm', ['install', '--no-audit', '--no-fund', tarball], dir);
      if (install.code !== 0) return { scenario, dir, install, versions: {} };
      const ls = await run('npm', ['ls', '--all'], dir, 60_000);
      const listed = await run('npm', ['ls', '--json', '--depth=0'], dir, 60_000);
      const dependencies = (
        JSON.parse(listed.stdout || '{}') as { dependencies?: Record<string, { version?: string }> }
      ).dependencies;
      const versions: Record<string, string> = {};
      for (const name of [...REPORTED_PACKAGES, scenario.runner, 'typescript']) {
        versions[name] = dependencies?.[name]?.version ?? 'missing';
      }
      return { scenario, dir, install, ls, versions };
    } catch (error) {
      const output = error instanceof Error ? (error.stack ?? error.message) : String(error);
      const install = { command: `install ${scenario.name}`, code: null, stdout: '', output, ms: Date.now() - started };
      return { scenario, dir, install, versions: {} };
    }
  }

  async function runScenario(installing: Promise<Installed>): Promise<ScenarioOutcome> {
    const installed = await installing;
    if (installed.install.code !== 0) return installed;
    return { ...installed, test: await run('npm', ['test'], installed.dir) };
  }

  async function installedDir(name: string): Promise<string> {
    const installed = await installs.get(name)!;
    expectSuccess(installed.install, `npm install in ${name}`);
    return installed.dir;
  }

  beforeAll(async () => {
    expectSuccess(await run('npm', ['run', 'build'], repoRoot), 'npm run build');
    // The build just ran; --ignore-scripts keeps prepack from building a second time.
    const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repoRoot);
    expectSuccess(pack, 'npm pack');
    tarball = join(work, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
    unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    expectSuccess(await run('tar', ['-xzf', tarball, '-C', unpacked], work), 'tar');
    unpacked = join(unpacked, 'package');
    hasTestingSubpath = existsSync(join(unpacked, 'dist/testing/index.js'));
    timings.push(`build + pack: ${seconds(Date.now() - suiteStarted)}`);
    // All scenarios install at once: npm mostly waits on the network and the disk.
    for (const scenario of scenarios) {
      const installing = installScenario(scenario);
      installs.set(scenario.name, installing);
      outcomes.set(scenario.name, runScenario(installing));
    }
  }, 180_000);

  afterAll(async () => {
    try {
      await Promise.allSettled(outcomes.values());
      timings.push(`whole compat suite: ${seconds(Date.now() - suiteStarted)}`);
      console.log(`nestjs-loops compat timings (${work}):\n  ${timings.join('\n  ')}`);
    } finally {
      if (process.env.COMPAT_KEEP_TMP !== '1') rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);

  describe('the tarball', () => {
    it('holds only dist/, README.md, LICENSE and package.json', async () => {
      const dryRun = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], repoRoot);
      expectSuccess(dryRun, 'npm pack --dry-run');
      const [{ files }] = JSON.parse(dryRun.stdout) as { files: { path: string }[] }[];
      const paths = files.map((file) => file.path).sort();
      expect(paths.filter((path) => !/^(dist\/.+|README\.md|LICENSE|package\.json)$/.test(path))).toEqual([]);
      const required = ['package.json', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];
      // npm adds README.md whenever the repo has one: demanded as soon as it exists.
      if (existsSync(join(repoRoot, 'README.md'))) required.push('README.md');
      expect(paths).toEqual(expect.arrayContaining(required));
      // npm itself, which a busy machine can keep past jest's default 5 s.
    }, 60_000);

    it('has a file for every target of the exports map', () => {
      const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
        exports: Record<string, string | Record<string, string>>;
      };
      const targets = Object.entries(manifest.exports).flatMap(([subpath, target]) =>
        (typeof target === 'string' ? [target] : Object.values(target)).map((file) => ({ subpath, file })),
      );
      const missing = targets.filter(({ subpath, file }) => {
        if (subpath === './testing' && !REQUIRE_TESTING_SUBPATH && !hasTestingSubpath) return false;
        return !existsSync(join(unpacked, file));
      });
      expect(missing).toEqual([]);
    });

    it(`ships nestjs-loops/testing${REQUIRE_TESTING_SUBPATH ? '' : ' (not yet required: REQUIRE_TESTING_SUBPATH)'}`, () => {
      if (!hasTestingSubpath) console.log('nestjs-loops compat: the tarball has no dist/testing/index.js');
      if (REQUIRE_TESTING_SUBPATH) expect(hasTestingSubpath).toBe(true);
    });

    it('has .d.ts files that import other packages by their root only, and only packages users have', () => {
      const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      };
      // An optional peer is absent for most users: a .d.ts importing it leaves them an unresolved module.
      // `/// <reference types="node" />`: every Nest app has @types/node.
      const available = new Set([
        'node',
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}).filter(
          (name) => !manifest.peerDependenciesMeta?.[name]?.optional,
        ),
      ]);
      const specifierPattern =
        /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+|<reference\s+(?:types|path)\s*=\s*)['"]([^'"]+)['"]/gm;
      const problems: string[] = [];
      const declarations = filesUnder(join(unpacked, 'dist')).filter((file) => file.endsWith('.d.ts'));
      expect(declarations.length).toBeGreaterThan(0);
      for (const file of declarations) {
        const where = relative(unpacked, file);
        for (const [, specifier] of readFileSync(file, 'utf8').matchAll(specifierPattern)) {
          if (specifier.startsWith('.')) {
            if (!resolve(file, '..', specifier).startsWith(join(unpacked, 'dist')))
              problems.push(`${where}: ${specifier}`);
            continue;
          }
          if (specifier.startsWith('node:')) continue;
          const root = specifier.match(/^(@[^/]+\/[^/]+|[^@/][^/]*)/)?.[1];
          if (root !== specifier) problems.push(`${where}: deep import ${specifier}`);
          else if (!available.has(root)) problems.push(`${where}: ${specifier} is not a dependency or a required peer`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  describe.each(scenarios)('scenario $name', (scenario) => {
    it(`installs without peer-dependency errors and passes its ${scenario.runner} test`, async () => {
      const outcome = await outcomes.get(scenario.name)!;
      const wall = outcome.install.ms + (outcome.test?.ms ?? 0);
      timings.push(
        `${scenario.name}: ${seconds(wall)} (install ${seconds(outcome.install.ms)}, ` +
          `test ${outcome.test ? seconds(outcome.test.ms) : '-'}) ${JSON.stringify(outcome.versions)}`,
      );
      console.log(`nestjs-loops compat ${timings[timings.length - 1]}`);

      expectSuccess(outcome.install, `npm install in ${scenario.name}`);
      expect(outcome.install.output).not.toMatch(/ERESOLVE|peer dep(endency)? (missing|conflict)/i);
      expectSuccess(outcome.ls, `npm ls --all in ${scenario.name}`);
      expect(outcome.versions['@nestjs/common']).toMatch(new RegExp(`^${scenario.nest}\\.`));
      const nested = SINGLETON_PEERS.filter((name) =>
        existsSync(join(outcome.dir, 'node_modules/nestjs-loops/node_modules', name)),
      );
      expect(nested).toEqual([]);
      expectSuccess(outcome.test, `${scenario.runner} in ${scenario.name}`);
    }, 300_000);
  });

  describe('require() and import() of the installed package give the same module', () => {
    const cases = scenarios.flatMap((scenario) =>
      ['load-check.mjs', 'load-check.cjs'].map((check) => ({ check, scenario: scenario.name })),
    );

    it.each(cases)(
      '$check in $scenario',
      async ({ check, scenario }) => {
        const dir = await installedDir(scenario);
        cpSync(join(compatDir, 'checks', check), join(dir, check));
        const specifiers = ['nestjs-loops', ...(hasTestingSubpath ? ['nestjs-loops/testing'] : [])];
        const result = await run('node', [check, JSON.stringify(specifiers)], dir, 60_000);
        expectSuccess(result, `node ${check} in ${scenario}`);
        const report = JSON.parse(result.stdout) as {
          exports: Record<string, number>;
        };
        expect(Object.keys(report.exports)).toEqual(specifiers);
      },
      300_000,
    );
  });

  describe('types resolve under each TypeScript module setting', () => {
    interface TypeCase {
      nest: 11 | 12;
      scenario: string;
      module: string;
      moduleResolution: string;
      /** 'ts': a file whose format the setting decides; 'cts'/'mts': a CommonJS / an ES module consumer. */
      kinds: ('ts' | 'cts' | 'mts')[];
      skipLibCheck: boolean;
      /** The scenario's package holding the compiler: its own `typescript`, or `typescript-oldest` (5.0). */
      compiler: 'typescript' | 'typescript-oldest';
      /** Errors that the case is known to give: the check then demands exactly those, so that a fix is noticed. */
      knownErrors?: RegExp;
    }

    const settings: Pick<TypeCase, 'module' | 'moduleResolution' | 'kinds'>[] = [
      { module: 'commonjs', moduleResolution: 'node10', kinds: ['ts'] },
      { module: 'node16', moduleResolution: 'node16', kinds: ['cts', 'mts'] },
      { module: 'nodenext', moduleResolution: 'nodenext', kinds: ['cts', 'mts'] },
      { module: 'esnext', moduleResolution: 'bundler', kinds: ['ts'] },
    ];
    const cases: TypeCase[] = [];
    for (const { nest, scenario } of [
      { nest: 11, scenario: 'nest11-cjs-jest' },
      { nest: 12, scenario: 'nest12-esm-vitest' },
    ] as const) {
      for (const setting of settings) {
        if (nest === 12 && setting.module === 'node16') {
          // node16 has no require(esm): a CommonJS file cannot import Nest 12 at all, so only ES module consumers
          // exist. Our .d.ts files are CommonJS and import @nestjs/common, which TypeScript reports (TS1479, or
          // TS1541 for a type-only import) when it checks library files; with skipLibCheck (Nest's own default)
          // the types resolve in full.
          cases.push({ nest, scenario, ...setting, kinds: ['mts'], skipLibCheck: true, compiler: 'typescript' });
          cases.push({
            nest,
            scenario,
            ...setting,
            kinds: ['mts'],
            skipLibCheck: false,
            compiler: 'typescript',
            knownErrors: /node_modules\/nestjs-loops\/dist\/\S+\.d\.ts\(\d+,\d+\): error TS(1479|1541):/,
          });
        } else {
          cases.push({ nest, scenario, ...setting, skipLibCheck: false, compiler: 'typescript' });
        }
      }
    }
    // The oldest TypeScript supported, on Nest 11 (Nest 12 apps are newer): a .d.ts written with syntax it can't
    // parse (an import() with attributes, from 5.3) fails every app on it, whatever skipLibCheck says.
    for (const setting of settings) {
      cases.push({
        nest: 11,
        scenario: 'nest11-cjs-jest',
        ...setting,
        skipLibCheck: false,
        compiler: 'typescript-oldest',
      });
    }

    it.each(cases)(
      'Nest $nest, $module/$moduleResolution, $kinds, skipLibCheck $skipLibCheck, $compiler',
      async ({ scenario, module, moduleResolution, kinds, skipLibCheck, compiler, knownErrors }) => {
        const dir = join(await installedDir(scenario), 'types-check');
        mkdirSync(dir, { recursive: true });
        const files: string[] = [];
        for (const source of ['consumer', ...(hasTestingSubpath ? ['consumer-testing'] : [])]) {
          for (const kind of kinds) {
            files.push(`${source}.${kind}`);
            cpSync(join(compatDir, 'types', `${source}.ts`), join(dir, `${source}.${kind}`));
          }
        }
        const result = await run(
          'node',
          [
            join(dir, '../node_modules', compiler, 'bin/tsc'),
            '--noEmit',
            '--strict',
            '--target',
            'es2022',
            '--types',
            'node',
            '--experimentalDecorators',
            '--emitDecoratorMetadata',
            '--module',
            module,
            '--moduleResolution',
            moduleResolution,
            '--skipLibCheck',
            String(skipLibCheck),
            ...files,
          ],
          dir,
          120_000,
        );
        if (!knownErrors) return expectSuccess(result, `tsc --module ${module} --moduleResolution ${moduleResolution}`);
        const errors = result.output.split('\n').filter((line) => /error TS\d+/.test(line));
        if (result.code === 0 || errors.length === 0) {
          throw new Error('This case now type-checks: the known errors are gone, make it an ordinary case.');
        }
        expect(errors.filter((line) => !knownErrors.test(line))).toEqual([]);
      },
      300_000,
    );
  });

  describe('the nestjs-loops bin, run with npx in an app', () => {
    const apps = [
      { scenario: 'nest11-cjs-jest', tscFlags: ['--module', 'commonjs', '--moduleResolution', 'node10'] },
      { scenario: 'nest12-esm-vitest', tscFlags: ['--module', 'nodenext', '--moduleResolution', 'nodenext'] },
    ];

    it.each(apps)(
      'pulls a catalog that compiles and checks it, in $scenario',
      async ({ scenario, tscFlags }) => {
        const dir = await installedDir(scenario);
        // The app's own test first: the CLI writes into its src/.
        await outcomes.get(scenario);
        expectCliChecks(await runCliChecks(dir, (command, args) => run(command, args, dir), tscFlags));
      },
      300_000,
    );
  });
});
