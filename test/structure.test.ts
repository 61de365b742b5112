// The import graph of src/ as .dependency-cruiser.cjs rules it: no circle, and no arrow that runs
// back up (routes -> services -> planning / manifest -> domain, never the other way).
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the import graph of src', () => {
  let result: ICruiseResult;

  beforeAll(async () => {
    const options = await extractDepcruiseOptions(`${ROOT}.dependency-cruiser.cjs`);
    const output = await cruise(['src'], { ...options, baseDir: ROOT }, undefined, {
      tsConfig: extractTSConfig(`${ROOT}tsconfig.json`),
    });
    result = output.output as ICruiseResult;
  });

  it('resolves every import of src (else the rules would check nothing)', () => {
    const modules = result.modules.filter((module) => module.source.startsWith('src/'));
    expect(modules.map((module) => module.source)).toContain('src/app.ts');
    const unresolved = modules.flatMap((module) =>
      module.dependencies
        .filter((dependency) => dependency.couldNotResolve)
        .map((dependency) => `${module.source} -> ${dependency.module}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('breaks none of the rules of .dependency-cruiser.cjs', () => {
    const violations = result.summary.violations.map(
      (violation) =>
        `${violation.rule.name}: ${violation.from} -> ${violation.to}` +
        (violation.cycle ? ` (circle: ${violation.cycle.map((step) => step.name).join(' -> ')})` : ''),
    );
    expect(violations).toEqual([]);
  });
});
