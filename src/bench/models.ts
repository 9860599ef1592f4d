import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A bench input or reference output, as plain data that crosses into the page as JSON. */
export interface BenchTensor {
  dtype: string;
  shape: number[];
  data: number[];
}

/** Which file each engine family is given for one model, and the data it runs on. */
export interface BenchModel {
  /** Short name for tables: the folder or file name. */
  name: string;
  /** Folder served to the page as /model/. */
  dir: string;
  /** Paths under `dir`: what our engine loads, and what the ONNX and TF.js peers load (absent when they cannot). */
  ours: string;
  onnx?: string;
  tfjs?: string;
  inputs: Record<string, BenchTensor>;
  reference?: Record<string, BenchTensor>;
}

export type NpyReader = (bytes: Uint8Array) => { dtype: string; shape: readonly number[]; data: ArrayLike<unknown> };

function plain(t: ReturnType<NpyReader>): BenchTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data, Number) };
}

/** TF.js reference folders (../shared/models/tfjs/x/reference): inputs.json with data or a ramp generator. */
function tfjsInputs(file: string): Record<string, BenchTensor> {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { dtype: string; shape: number[]; data?: number[]; generator?: string }>;
  const out: Record<string, BenchTensor> = {};
  for (const [name, t] of Object.entries(spec)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data) out[name] = { dtype: t.dtype, shape: t.shape, data: t.data };
    else if (t.generator?.startsWith('ramp')) out[name] = { dtype: t.dtype, shape: t.shape, data: Array.from({ length: n }, (_, i) => i / n) };
    else throw new Error(`${file}: input ${name} has neither data nor a ramp generator`);
  }
  return out;
}

function tfjsOutputs(file: string): Record<string, BenchTensor> {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { dtype: string; shape: number[]; file: string }>;
  const out: Record<string, BenchTensor> = {};
  for (const [name, t] of Object.entries(spec)) {
    const bytes = readFileSync(join(dirname(file), t.file));
    const view = t.dtype === 'int32' ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    out[name] = { dtype: t.dtype, shape: t.shape, data: Array.from(view) };
  }
  return out;
}

/**
 * Works out what to run from a path: a bench folder (model.onnx + input.npy + output.npy, as in ../shared/bench),
 * a bare .onnx (`<input>.npy` or input.npy, and output.npy, beside it), or a TF.js model.json (reference/ beside it).
 * `inputNames` names the model inputs in order for .npy inputs, which carry no name.
 */
export function resolveBenchModel(target: string, readNpy: NpyReader, inputNames: (onnxPath: string) => Promise<string[]>): Promise<BenchModel> {
  const path = resolve(target);
  if (!existsSync(path)) throw new Error(`bench: ${target} does not exist`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'model.onnx'))) return fromOnnx(join(path, 'model.onnx'), readNpy, inputNames);
    if (existsSync(join(path, 'model.json'))) return Promise.resolve(fromTfjs(join(path, 'model.json')));
    throw new Error(`bench: ${target} holds neither model.onnx nor model.json`);
  }
  if (path.endsWith('.onnx')) return fromOnnx(path, readNpy, inputNames);
  if (path.endsWith('.json')) return Promise.resolve(fromTfjs(path));
  throw new Error(`bench: ${target} is not a bench folder, a .onnx file or a TF.js model.json`);
}

async function fromOnnx(file: string, readNpy: NpyReader, inputNames: (onnxPath: string) => Promise<string[]>): Promise<BenchModel> {
  const dir = dirname(file);
  const name = basename(file) === 'model.onnx' ? basename(dir) : basename(file, '.onnx');
  const names = await inputNames(file);
  const inputs: Record<string, BenchTensor> = {};
  for (const input of names) {
    // `<input>.npy` beside the model; a single-input model may use input.npy (../shared/bench's layout).
    const own = join(dir, `${input}.npy`);
    const npy = existsSync(own) ? own : names.length === 1 ? join(dir, 'input.npy') : own;
    if (!existsSync(npy)) throw new Error(`bench: ${file} needs ${basename(npy)} beside it for input '${input}'`);
    inputs[input] = plain(readNpy(readFileSync(npy)));
  }
  const outNpy = join(dir, 'output.npy');
  const reference = existsSync(outNpy) ? { '0': plain(readNpy(readFileSync(outNpy))) } : undefined;
  return { name, dir, ours: basename(file), onnx: basename(file), inputs, reference };
}

function fromTfjs(file: string): BenchModel {
  const dir = dirname(file);
  const ref = join(dir, 'reference');
  if (!existsSync(join(ref, 'inputs.json'))) throw new Error(`bench: ${file} needs reference/inputs.json beside it`);
  return {
    name: basename(dir),
    dir,
    ours: basename(file),
    tfjs: basename(file),
    inputs: tfjsInputs(join(ref, 'inputs.json')),
    reference: existsSync(join(ref, 'outputs.json')) ? tfjsOutputs(join(ref, 'outputs.json')) : undefined,
  };
}
