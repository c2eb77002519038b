import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { typeCheckFiles } from './support/type-check-files';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/**
 * The "Event catalog" section registers a catalog, which applies to every file of a program: its blocks are
 * checked as an app of their own, the other blocks as an app without a catalog.
 */
const catalogSection = /^## Event catalog\n[\s\S]*?(?=^## )/m.exec(readme)?.[0] ?? '';
const rest = readme.replace(catalogSection, '');

const tsBlocks = (markdown: string): string[] =>
  [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);

/**
 * Every TypeScript block as a file, type-checked against lib/ as the package `nestjs-loops`. A block opening
 * with a `// src/name.ts` comment is that file, so that the blocks of one app can import one another.
 */
function asFiles(blocks: string[], prefix: string): Map<string, string> {
  return new Map(
    blocks.map((code, index) => {
      const path = /^\/\/ (src\/[\w.-]+\.ts)\n/.exec(code)?.[1] ?? `readme-block-${index + 1}.ts`;
      return [join(root, prefix, path), code];
    }),
  );
}

describe('README code blocks', () => {
  it('finds every ```ts block of the README, so that "every block compiles" cannot pass on none', () => {
    const fences = readme.split('\n').filter((line) => line === '```ts').length;
    expect(fences).toBeGreaterThan(0);
    expect(tsBlocks(rest).length + tsBlocks(catalogSection).length).toBe(fences);
  });

  it('the check reports a block that does not compile', () => {
    const broken = new Map([
      [
        join(root, 'readme', 'broken.ts'),
        "import { LoopsModule } from 'nestjs-loops';\nLoopsModule.forRoot({ apiKey: 42 });\n",
      ],
    ]);
    expect(typeCheckFiles(broken)).toEqual([expect.stringContaining('broken.ts')]);
  }, 60_000);

  it('every ```ts block compiles', () => {
    expect(typeCheckFiles(asFiles(tsBlocks(rest), 'readme'))).toEqual([]);
  }, 60_000);

  it('every ```ts block of the event catalog compiles, as one app with the catalog registered', () => {
    expect(typeCheckFiles(asFiles(tsBlocks(catalogSection), 'readme-catalog'))).toEqual([]);
  }, 60_000);

  it('shows the errors tsc gives where the catalog section has @ts-expect-error', () => {
    const stripped = tsBlocks(catalogSection).map((code) => code.replace(/\/\/ @ts-expect-error.*$/gm, '//'));
    const reported = typeCheckFiles(asFiles(stripped, 'readme-catalog')).map((line) =>
      line.replace(/^readme-catalog\//, ''),
    );
    const shown = [...catalogSection.matchAll(/^```text\n([\s\S]*?)^```$/gm)]
      .flatMap((match) => match[1].split('\n'))
      .filter((line) => / - error TS\d+: /.test(line));

    expect(shown.length).toBeGreaterThanOrEqual(3);
    expect(reported).toEqual(shown);
  }, 60_000);
});
