import { zipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { referenceKernels } from '../../kernels/index.js';
import { encodeOnnxModel } from '../formats/onnx/encode.js';
import { lowerTorchScript } from '../formats/torchscript/importer.js';
import type { Model } from '../graph/ir.js';
import { planGraph } from '../graph/passes/plan-graph.js';
import { GraphExecutor } from '../runtime/executor.js';
import type { TensorSpec } from '../spec/types.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A current-layout TorchScript archive (`torch.jit.save` since 1.6): `__torch__.M()` with no attributes (its
 * data.pkl written by hand in pickle protocol 2) and the given code as `code/__torch__.py`.
 */
export function archiveWithCode(code: string): Uint8Array {
  const enc = new TextEncoder();
  const pickle = Uint8Array.from([0x80, 2, ...enc.encode('c__torch__\nM\n'), 0x29, 0x81, 0x7d, 0x62, 0x2e]);
  return zipSync({ 'm/version': enc.encode('3\n'), 'm/data.pkl': pickle, 'm/code/__torch__.py': enc.encode(code) });
}

/** A spec entry for `lowerForward`: name, dtype, rank (every dim unknown). */
export type ForwardSpec = [name: string, dtype: TensorSpec['dtype'], rank: number];

/** Lowers `def forward(self, <inputs>)` with the given body lines (printer style, 2-space indents inside). */
export function lowerForward(body: string[], inputs: ForwardSpec[], outputs: ForwardSpec[]): Model {
  const params = inputs.map(([n]) => `    ${n}: Tensor`).join(',\n');
  const code = `class M(Module):\n  def forward(self: __torch__.M,\n${params}) -> Dict[str, Tensor]:\n${body.map((l) => `    ${l}`).join('\n')}\n`;
  const spec = ([name, dtype, rank]: ForwardSpec): TensorSpec => ({ name, dtype, shape: new Array<null>(rank).fill(null) });
  return lowerTorchScript(archiveWithCode(code), 'm.pt', { name: 'm', inputSpec: inputs.map(spec), outputSpec: outputs.map(spec) });
}

/**
 * Lowers whole printer-style code (`class M(Module):` with its forward, plus any module-level `def`s the forward
 * calls as `__torch__.<name>`), with the given spec.
 */
export function lowerCode(code: string, inputs: ForwardSpec[], outputs: ForwardSpec[]): Model {
  const spec = ([name, dtype, rank]: ForwardSpec): TensorSpec => ({ name, dtype, shape: new Array<null>(rank).fill(null) });
  return lowerTorchScript(archiveWithCode(code), 'm.pt', { name: 'm', inputSpec: inputs.map(spec), outputSpec: outputs.map(spec) });
}

type Outputs = Record<string, number[]>;

/** Runs on the reference kernels; outputs as plain numbers, and their shapes. */
function runReference(model: Model, feeds: Record<string, Tensor>): { values: Outputs; shapes: Outputs } {
  const executor = new GraphExecutor(model, referenceKernels);
  executor.checkSupported();
  const out = executor.run(new Map(Object.entries(feeds)));
  const names = model.graph.outputs.map((o) => o.name);
  return {
    values: Object.fromEntries(names.map((n) => [n, [...(out.get(n) as Tensor).numeric].map(Number)])),
    shapes: Object.fromEntries(names.map((n) => [n, [...(out.get(n) as Tensor).shape]])),
  };
}

/**
 * Every output as plain numbers: from the reference kernels on the lowered graph and on it as a backend plans it
 * (dead nodes out, constants folded), and from onnxruntime-node (the independent reference).
 */
export async function runOnBoth(model: Model, feeds: Record<string, Tensor>): Promise<{ reference: Outputs; planned: Outputs; ort: Outputs; shapes: Outputs }> {
  const { values: reference, shapes } = runReference(model, feeds);
  const planned = runReference(planGraph(model, { kernels: referenceKernels }).model, feeds).values;
  const names = model.graph.outputs.map((o) => o.name);
  const session = await ort.InferenceSession.create(encodeOnnxModel(model));
  const ortFeeds = Object.fromEntries(model.graph.inputs.map((i) => {
    const t = feeds[i.name]!;
    const data = t.dtype === 'bool' ? Uint8Array.from(t.data as ArrayLike<number>) : t.data;
    return [i.name, new ort.Tensor(t.dtype as 'float32', data as Float32Array, [...t.shape])];
  }));
  const got = await session.run(ortFeeds);
  return { reference, planned, ort: Object.fromEntries(names.map((n) => [n, [...(got[n]!.data as Float32Array)].map(Number)])), shapes };
}
