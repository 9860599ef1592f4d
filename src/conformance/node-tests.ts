import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NeuropodError } from '../api/errors.js';
import type { Graph, Model, ValueInfo } from '../graph/ir.js';
import type { Value } from '../graph/value.js';
import { decodeOnnxModel, readValueProto } from '../formats/onnx/decode.js';
import { allocate, DTYPES } from '../tensor/dtype.js';
import { floatToBfloat16, floatToHalf } from '../tensor/float16.js';
import { Tensor } from '../tensor/tensor.js';
import { ONNX_NODE_TOLERANCE } from './compare.js';
import type { DataSet, LoadedTest } from './cases.js';

/** The inputs a test feeds: graph inputs that are not initializers, in order (onnx backend test runner). */
export function fedInputs(graph: Graph): ValueInfo[] {
  return graph.inputs.filter((i) => !graph.initializers.has(i.name));
}

async function readModel(file: string): Promise<Model> {
  return decodeOnnxModel(await readFile(file), {
    source: file,
    externalData: (location) => readFile(join(dirname(file), location)),
  });
}

/** An ONNX backend node test: `model.onnx` and `{input,output}_N.pb` in each `test_data_set_N` folder. */
export async function loadNodeTest(dir: string): Promise<LoadedTest> {
  const model = await readModel(join(dir, 'model.onnx'));
  const inputs = fedInputs(model.graph);
  const sets = (await readdir(dir)).filter((n) => n.startsWith('test_data_set_')).sort();
  if (sets.length === 0) throw new NeuropodError('USAGE', `${dir} has no test_data_set_* folder`);
  const dataSets: DataSet[] = [];
  for (const set of sets) {
    const setDir = join(dir, set);
    dataSets.push({
      name: set,
      feeds: await readValues(setDir, 'input', inputs),
      expected: await readValues(setDir, 'output', model.graph.outputs),
    });
  }
  return { model, dataSets, tolerance: ONNX_NODE_TOLERANCE };
}

/** `prefix_N.pb` for each N that exists, read with the reader its value's declared type asks for. */
async function readValues(setDir: string, prefix: string, infos: readonly ValueInfo[]): Promise<Map<string, Value>> {
  const values = new Map<string, Value>();
  for (let i = 0; i < infos.length; i++) {
    const file = join(setDir, `${prefix}_${i}.pb`);
    if (!existsSync(file)) continue;
    values.set(infos[i]!.name, readValueProto(await readFile(file), infos[i]!.type, file));
  }
  return values;
}

/**
 * An ONNX backend 'light' model: `light_X.onnx` + `light_X_output_0.pb`. Its inputs are not stored: each is
 * arange(n)/n in the input's dtype, shaped as declared with symbolic dims set to 1 (onnx-other/light/README.md).
 */
export async function loadLightModel(file: string): Promise<LoadedTest> {
  const model = await readModel(file);
  const feeds = new Map<string, Value>(fedInputs(model.graph).map((info) => [info.name, rampInput(info)]));
  const stem = basename(file, '.onnx');
  const expected = await readValues(dirname(file), `${stem}_output`, model.graph.outputs);
  return { model, dataSets: [{ name: stem, feeds, expected }], tolerance: ONNX_NODE_TOLERANCE };
}

function rampInput(info: ValueInfo): Tensor {
  const type = info.type;
  if (type?.kind !== 'tensor' || !type.dtype || !type.shape) {
    throw new NeuropodError('MODEL_INVALID', `light model input '${info.name}' has no tensor type and shape to make its data from`);
  }
  const shape = type.shape.map((d) => (typeof d === 'number' ? d : 1));
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocate(type.dtype, n);
  const encode = type.dtype === 'float16' ? floatToHalf : type.dtype === 'bfloat16' ? floatToBfloat16 : (v: number) => v;
  for (let i = 0; i < n; i++) {
    if (DTYPES[type.dtype].big) (data as BigInt64Array)[i] = BigInt(Math.trunc(i / n));
    else (data as Float64Array)[i] = encode(i / n);
  }
  return new Tensor(type.dtype, shape, data);
}

export interface NodeTestClass {
  /** Domains of the nodes, subgraphs included ('' = ai.onnx). */
  domains: string[];
  /** The ai.onnx opset the model imports (0 when none). */
  opset: number;
  /** The highest version among the imports of the domains used. */
  maxOpset: number;
}

/** Domains and opsets of a node test: the "default domain, opset <= 21" subset is where most engines report. */
export async function classifyNodeTest(dir: string): Promise<NodeTestClass> {
  return classifyModel(await readModel(join(dir, 'model.onnx')));
}

export function classifyModel(model: Model): NodeTestClass {
  const domains = new Set<string>();
  const visit = (g: Graph): void => {
    for (const node of g.nodes) {
      domains.add(node.domain === 'ai.onnx' ? '' : node.domain);
      for (const a of node.attributes.values()) {
        if (a.type === 'graph') visit(a.value);
        if (a.type === 'graphs') a.value.forEach(visit);
      }
    }
  };
  visit(model.graph);
  const used = [...domains].sort();
  const versions = used.map((d) => model.opsets.get(d) ?? 0);
  return { domains: used, opset: model.opsets.get('') ?? 0, maxOpset: Math.max(0, ...versions) };
}

/** The subset the project reports separately: every node in ai.onnx, at opset 21 or below. */
export function inDefaultDomainSubset(c: NodeTestClass): boolean {
  return c.domains.every((d) => d === '') && c.opset <= 21;
}
