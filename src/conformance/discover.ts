import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { TestRef } from './cases.js';
import { readOpTestFile } from './ort-web-ops.js';

/**
 * Every test under `root`: ONNX backend node test dirs (model.onnx beside test_data_set_*), 'light' models
 * (X.onnx beside X_output_0.pb) and each case of each onnxruntime-web op test (*.jsonc holding an array of tests;
 * other .jsonc files, such as the suite test list, are not op tests and are passed over). Sorted by path.
 */
export async function discoverTests(root: string): Promise<TestRef[]> {
  const top = resolve(root);
  const refs: TestRef[] = [];
  const suiteOf = (dir: string): string => relative(dirname(top), dir).split('\\').join('/');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (entries.some((e) => e.name === 'model.onnx') && entries.some((e) => e.isDirectory() && e.name.startsWith('test_data_set_'))) {
      refs.push({ id: `${suiteOf(dirname(dir))}/${basename(dir)}`, suite: suiteOf(dirname(dir)), kind: 'node', path: dir });
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.name.endsWith('.onnx') && existsSync(join(dir, `${basename(e.name, '.onnx')}_output_0.pb`))) {
        refs.push({ id: `${suiteOf(dir)}/${basename(e.name, '.onnx')}`, suite: suiteOf(dir), kind: 'light', path });
      } else if (e.name.endsWith('.jsonc')) refs.push(...(await opTestRefs(path, suiteOf(dir))));
    }
  };
  await walk(top);
  return refs;
}

async function opTestRefs(path: string, suite: string): Promise<TestRef[]> {
  const tests = await readOpTestFile(path);
  if (!Array.isArray(tests)) return [];
  const refs: TestRef[] = [];
  const seen = new Set<string>();
  tests.forEach((test, t) => {
    if (!test || typeof test.operator !== 'string' || !Array.isArray(test.cases)) return;
    test.cases.forEach((c, k) => {
      let id = `${suite}/${basename(path)} > ${test.name} > ${c.name}`;
      if (seen.has(id)) id += ` [#${t}.${k}]`;
      seen.add(id);
      refs.push({ id, suite, kind: 'op', path, test: t, case: k });
    });
  });
  return refs;
}
