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

/** A module attribute for `archiveWithModule`: a tensor (parameter/buffer), a Python value, a list, or a submodule. */
export type Attribute = Tensor | number | bigint | boolean | string | null | Attribute[] | SubModule;

export interface SubModule {
  className: string;
  attributes: Record<string, Attribute>;
}

/**
 * A current-layout archive whose root `__torch__.M` holds `attributes` (pickled as torch.jit.save writes
 * data.pkl: protocol 2, tensors as `torch._utils._rebuild_tensor_v2` over persistent storages in data/<key>),
 * with `code` as `code/__torch__.py`.
 */
export function archiveWithModule(code: string, attributes: Record<string, Attribute>): Uint8Array {
  const enc = new TextEncoder();
  const out: number[] = [0x80, 2];
  const files: Record<string, Uint8Array> = {};
  const bytes = (...b: number[]) => out.push(...b);
  const text = (t: string) => out.push(...enc.encode(t));
  const u32 = (n: number) => bytes(n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255);
  const str = (t: string) => {
    const e = enc.encode(t);
    bytes(0x58);
    u32(e.length);
    out.push(...e);
  };
  const int = (n: number) => {
    bytes(0x4a);
    u32(n);
  };
  const storageNames: Record<string, string> = { float32: 'FloatStorage', int64: 'LongStorage', bool: 'BoolStorage' };
  const value = (v: Attribute): void => {
    if (v === null) bytes(0x4e);
    else if (typeof v === 'boolean') bytes(v ? 0x88 : 0x89);
    else if (typeof v === 'bigint') int(Number(v));
    else if (typeof v === 'number') {
      bytes(0x47);
      const f = new DataView(new ArrayBuffer(8));
      f.setFloat64(0, v);
      out.push(...new Uint8Array(f.buffer));
    } else if (typeof v === 'string') str(v);
    else if (Array.isArray(v)) {
      bytes(0x5d, 0x28);
      v.forEach(value);
      bytes(0x65);
    } else if ('className' in v) {
      text(`c__torch__\n${v.className}\n`);
      bytes(0x29, 0x81, 0x7d, 0x28);
      for (const [k, a] of Object.entries(v.attributes)) {
        str(k);
        value(a);
      }
      bytes(0x75, 0x62);
    } else {
      const key = String(Object.keys(files).length);
      const data = v.data as Float32Array;
      files[`m/data/${key}`] = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength).slice();
      text('ctorch._utils\n_rebuild_tensor_v2\n');
      bytes(0x28, 0x28);
      str('storage');
      text(`ctorch\n${storageNames[v.dtype]}\n`);
      str(key);
      str('cpu');
      int(v.size);
      bytes(0x74, 0x51);
      int(0);
      const strides = v.shape.map((_, i) => v.shape.slice(i + 1).reduce((a, b) => a * b, 1));
      bytes(0x28);
      v.shape.forEach(int);
      bytes(0x74, 0x28);
      strides.forEach(int);
      bytes(0x74, 0x89);
      text('ccollections\nOrderedDict\n');
      bytes(0x29, 0x52, 0x74, 0x52);
    }
  };
  value({ className: 'M', attributes });
  bytes(0x2e);
  return zipSync({ 'm/version': enc.encode('3\n'), 'm/data.pkl': Uint8Array.from(out), 'm/code/__torch__.py': enc.encode(code), ...files });
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
export function lowerCode(code: string, inputs: ForwardSpec[], outputs: ForwardSpec[], attributes?: Record<string, Attribute>): Model {
  const spec = ([name, dtype, rank]: ForwardSpec): TensorSpec => ({ name, dtype, shape: new Array<null>(rank).fill(null) });
  const archive = attributes ? archiveWithModule(code, attributes) : archiveWithCode(code);
  return lowerTorchScript(archive, 'm.pt', { name: 'm', inputSpec: inputs.map(spec), outputSpec: outputs.map(spec) });
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
