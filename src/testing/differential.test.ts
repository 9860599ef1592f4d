import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../kernels/index.js';
import { compareValues, type Tolerance } from '../conformance/compare.js';
import { encodeOnnxModel } from '../formats/onnx/encode.js';
import type { Value } from '../graph/value.js';
import { GraphExecutor } from '../runtime/executor.js';
import type { DType, TensorData } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { RANDOM_OP_CASES, REQUIRED_OPS, Rng, singleOpModel, type OpCase } from './random-op-cases.js';

/** Issue 4.4: the reference kernels agree with onnxruntime-node within rtol 1e-4, atol 1e-5. */
const TOLERANCE: Tolerance = { kind: 'allclose', rtol: 1e-4, atol: 1e-5 };
const CASES_PER_OP = 6;

async function runOnnxRuntime(c: OpCase): Promise<Tensor[]> {
  const session = await InferenceSession.create(encodeOnnxModel(singleOpModel(c)));
  const feeds: Record<string, OrtTensor> = {};
  c.inputs.forEach((t, i) => {
    if (t) feeds[`in_${i}`] = new OrtTensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape]);
  });
  const out = await session.run(feeds);
  await session.release();
  return c.outputs.map((_, i) => {
    const o = out[`out_${i}`]!;
    return new Tensor(o.type as DType, [...o.dims], o.data as TensorData);
  });
}

function runReference(c: OpCase): Value[] {
  const model = singleOpModel(c);
  const feeds = new Map<string, Value>();
  c.inputs.forEach((t, i) => t && feeds.set(`in_${i}`, t));
  const outputs = model.graph.outputs.map((o) => o.name);
  const result = new GraphExecutor(model, referenceKernels).run(feeds, outputs);
  return outputs.map((name) => result.get(name)!);
}

function describeCase(c: OpCase): string {
  const attrs = Object.entries(c.attributes ?? {}).map(([k, a]) => `${k}=${JSON.stringify(a.value)}`).join(' ');
  return `inputs ${c.inputs.map((t) => (t ? `${t.dtype}[${t.shape.join(',')}]` : '-')).join(' ')} ${attrs}`;
}

/** Seeds differ per op, so adding an op leaves the cases of the others as they were. */
function seedOf(op: string, k: number): number {
  let h = 2166136261;
  for (const ch of op) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h ^ k) >>> 0;
}

describe('reference kernels agree with onnxruntime-node on random single-op graphs', () => {
  it('covers every op issue 4.4 lists', () => {
    expect(REQUIRED_OPS.filter((op) => !(op in RANDOM_OP_CASES))).toEqual([]);
  });

  for (const [op, generate] of Object.entries(RANDOM_OP_CASES)) {
    it(op, async () => {
      const failures: string[] = [];
      for (let k = 0; k < CASES_PER_OP; k++) {
        const seed = seedOf(op, k);
        const c = generate(new Rng(seed));
        const expected = await runOnnxRuntime(c);
        let actual: Value[];
        try {
          actual = runReference(c);
        } catch (e) {
          failures.push(`seed ${seed} (${describeCase(c)}): ${(e as Error).message}`);
          continue;
        }
        expected.forEach((e, i) => {
          const why = compareValues(actual[i], e, TOLERANCE);
          if (why) failures.push(`seed ${seed} (${describeCase(c)}) output ${i}: ${why}`);
        });
      }
      expect(failures).toEqual([]);
    });
  }
});
