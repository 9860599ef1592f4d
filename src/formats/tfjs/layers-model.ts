import { NeuropodError } from '../../api/errors.js';
import type { TensorSpec } from '../../spec/types.js';
import { isDType, type DType } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import type { TfNode } from '../tensorflow/builder.js';
import { lowerTfGraph } from '../tensorflow/lower.js';
import type { AttrValueMsg } from '../tensorflow/schema.js';
import { tfTypeOf } from '../tensorflow/tensor-proto.js';
import type { ImportedTfjsModel } from './graph-model.js';
import { KERAS_OPS } from './keras-ops.js';
import { readWeights, type WeightsManifestGroup } from './weights.js';

/** A Keras layer as TF.js layers models serialize it (tfjs-layers keras_format). */
interface LayerJson {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name: string };
  /** Functional models: per call, the [layer, node index, tensor index, kwargs] it reads. */
  inbound_nodes?: [string, number, number, unknown?][][];
}

interface LayersTopology {
  class_name: string;
  config: LayerJson[] | { layers: LayerJson[]; input_layers?: [string, number, number][]; output_layers?: [string, number, number][] };
}

/** Keras topology JSON: a Sequential/Model class_name at the top or under model_config. */
export function isLayersModel(json: object): boolean {
  const topology = (json as { modelTopology?: Record<string, unknown> }).modelTopology ?? {};
  return (json as { format?: string }).format === 'layers-model' || 'model_config' in topology || 'class_name' in topology;
}

const enc = new TextEncoder();
const emptyList = { s: [], i: [], f: [], b: [], type: [], shape: [], tensor: [], func: [] };
/** NodeDef attribute values for synthesized nodes. */
export const attr = {
  int: (i: number): AttrValueMsg => ({ i }),
  float: (f: number): AttrValueMsg => ({ f }),
  bool: (b: boolean): AttrValueMsg => ({ b }),
  string: (s: string): AttrValueMsg => ({ s: enc.encode(s) }),
  ints: (i: number[]): AttrValueMsg => ({ list: { ...emptyList, i } }),
  type: (dtype: DType): AttrValueMsg => ({ type: tfTypeOf(dtype) }),
};

/** Builds TF nodes for Keras layers, so layers models lower through the same op table as graph models. */
export class LayerGraph {
  readonly nodes: TfNode[] = [];
  readonly constants = new Map<string, Tensor>();

  constructor(
    private readonly weights: Map<string, Tensor>,
    readonly source: string,
  ) {}

  add(name: string, op: string, inputs: string[], attrs: Record<string, AttrValueMsg> = {}): string {
    this.nodes.push({ name, op, inputs, controls: [], attr: attrs });
    return `${name}:0`;
  }

  constant(name: string, value: Tensor): string {
    this.constants.set(name, value);
    return this.add(name, 'Const', [], { dtype: attr.type(value.dtype) });
  }

  /** A layer's weight: "<layer>/<param>", possibly under a model-name prefix. */
  weight(layer: string, param: string): string {
    return this.constant(`${layer}/${param}`, this.findWeight(layer, param, true)!);
  }

  hasWeight(layer: string, param: string): boolean {
    return this.findWeight(layer, param, false) !== undefined;
  }

  private findWeight(layer: string, param: string, required: boolean): Tensor | undefined {
    const key = `${layer}/${param}`;
    const found = this.weights.get(key) ?? [...this.weights].find(([k]) => k.endsWith(`/${key}`))?.[1];
    if (!found && required) throw new NeuropodError('MODEL_INVALID', `${this.source}: layer '${layer}' has no weight '${param}' in the weights manifest`);
    return found;
  }
}

export async function importTfjsLayersModel(json: object, readShard: (path: string) => Promise<Uint8Array>, source: string): Promise<ImportedTfjsModel> {
  const { modelTopology, weightsManifest } = json as { modelTopology: Record<string, unknown>; weightsManifest?: WeightsManifestGroup[] };
  const topology = (modelTopology.model_config ?? modelTopology) as LayersTopology;
  const graph = new LayerGraph(await readWeights(weightsManifest ?? [], readShard, source), source);
  const { inputs, outputs } = Array.isArray(topology.config) || topology.class_name === 'Sequential' ? sequential(graph, topology) : functional(graph, topology);
  const lowered = lowerTfGraph({
    nodes: graph.nodes,
    inputs: inputs.map((s) => ({ name: s.name, tensor: `${s.name}:0` })),
    outputs: outputs.map((o) => ({ name: o.name, tensor: o.tensor })),
    weights: graph.constants,
    source,
    producer: 'tfjs-layers-model',
    extraOps: KERAS_OPS,
  });
  return { ...lowered, spec: { inputs, outputs: outputs.map((o) => ({ name: o.name, dtype: 'float32', shape: [] })) } };
}

function layersOf(topology: LayersTopology): LayerJson[] {
  return Array.isArray(topology.config) ? topology.config : topology.config.layers;
}

function inputSpec(graph: LayerGraph, name: string, config: Record<string, unknown>): TensorSpec {
  const shape = ((config.batch_input_shape ?? config.batchInputShape ?? []) as (number | null)[]).map((d) => d ?? null);
  const dtype = isDType(config.dtype) ? config.dtype : 'float32';
  graph.add(name, 'Placeholder', [], { dtype: attr.type(dtype) });
  return { name, dtype, shape };
}

/** Sequential: one chain; TF.js names its implicit input "<first layer>_input". */
function sequential(graph: LayerGraph, topology: LayersTopology) {
  const layers = layersOf(topology);
  let inputs: TensorSpec[];
  let x: string;
  let rest = layers;
  if (layers[0]?.class_name === 'InputLayer') {
    inputs = [inputSpec(graph, layers[0].config.name, layers[0].config)];
    rest = layers.slice(1);
  } else {
    inputs = [inputSpec(graph, `${layers[0]?.config.name}_input`, layers[0]?.config ?? {})];
  }
  x = `${inputs[0]!.name}:0`;
  for (const layer of rest) x = lowerLayer(graph, layer, [x]);
  const last = rest[rest.length - 1]?.config.name ?? inputs[0]!.name;
  return { inputs, outputs: [{ name: last, tensor: x }] };
}

/** Functional: layers read the outputs named in their inbound nodes (each layer called once). */
function functional(graph: LayerGraph, topology: LayersTopology) {
  const config = topology.config as Exclude<LayersTopology['config'], LayerJson[]>;
  const produced = new Map<string, string>();
  const inputs: TensorSpec[] = [];
  for (const layer of config.layers) {
    const name = layer.config.name ?? layer.name;
    if (layer.class_name === 'InputLayer') {
      inputs.push(inputSpec(graph, name, layer.config));
      produced.set(name, `${name}:0`);
      continue;
    }
    const calls = layer.inbound_nodes ?? [];
    if (calls.length !== 1) throw new NeuropodError('OP_UNSUPPORTED', `${graph.source}: layer '${name}' is called ${calls.length} times; shared layers are not lowered`);
    const args = calls[0]!.map(([from]) => {
      const v = produced.get(from);
      if (!v) throw new NeuropodError('MODEL_INVALID', `${graph.source}: layer '${name}' reads '${from}', which comes later or not at all`);
      return v;
    });
    produced.set(name, lowerLayer(graph, { ...layer, config: { ...layer.config, name } }, args));
  }
  const outputs = (config.output_layers ?? []).map(([name]) => ({ name, tensor: produced.get(name)! }));
  return { inputs, outputs };
}

function lowerLayer(graph: LayerGraph, layer: LayerJson, inputs: string[]): string {
  const lowering = LAYERS[layer.class_name];
  if (!lowering) throw new NeuropodError('OP_UNSUPPORTED', `Keras layer '${layer.class_name}' (layer '${layer.config.name}') has no lowering to this engine's graph IR`);
  return lowering(graph, layer.config, inputs);
}

type LayerLowering = (g: LayerGraph, config: LayerJson['config'], inputs: string[]) => string;

const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [num(v, 1), num(v, 1)]);
const nhwc = (v: unknown) => {
  const [a, b] = pair(v);
  return [1, a, b, 1];
};
const padding = (v: unknown) => attr.string(String(v ?? 'valid').toUpperCase());

/** Keras activation names to TF ops (KerasHardSigmoid: TF.js's clip(0.2x + 0.5, 0, 1)). */
const ACTIVATIONS: Record<string, string | null> = {
  linear: null, relu: 'Relu', relu6: 'Relu6', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax', elu: 'Elu',
  selu: 'Selu', softplus: 'Softplus', softsign: 'Softsign', exponential: 'Exp', hard_sigmoid: 'KerasHardSigmoid',
};

function activate(g: LayerGraph, name: string, activation: unknown, x: string): string {
  const key = String(activation ?? 'linear');
  if (key === 'swish') return g.add(`${name}/swish`, 'Mul', [x, g.add(`${name}/swish_sigmoid`, 'Sigmoid', [x])]);
  const op = ACTIVATIONS[key];
  if (op === undefined) throw new NeuropodError('OP_UNSUPPORTED', `${g.source}: activation '${key}' of layer '${name}' is not lowered`);
  return op ? g.add(`${name}/${key}`, op, [x]) : x;
}

function withBias(g: LayerGraph, c: LayerJson['config'], x: string): string {
  const biased = c.use_bias === false || !g.hasWeight(c.name, 'bias') ? x : g.add(`${c.name}/BiasAdd`, 'BiasAdd', [x, g.weight(c.name, 'bias')]);
  return activate(g, c.name, c.activation, biased);
}

function conv(op: 'Conv2D' | 'DepthwiseConv2dNative', param: string): LayerLowering {
  return (g, c, [x]) => {
    const attrs = { strides: attr.ints(nhwc(c.strides)), dilations: attr.ints(nhwc(c.dilation_rate)), padding: padding(c.padding) };
    return withBias(g, c, g.add(`${c.name}/${op}`, op, [x!, g.weight(c.name, param)], attrs));
  };
}

function pool(op: 'MaxPool' | 'AvgPool'): LayerLowering {
  return (g, c, [x]) => g.add(c.name, op, [x!], { ksize: attr.ints(nhwc(c.pool_size)), strides: attr.ints(nhwc(c.strides ?? c.pool_size)), padding: padding(c.padding) });
}

function globalPool(op: 'Mean' | 'Max'): LayerLowering {
  return (g, c, [x]) => g.add(c.name, op, [x!, g.constant(`${c.name}/axes`, new Tensor('int32', [2], new Int32Array([1, 2])))], { keep_dims: attr.bool(c.keepdims === true) });
}

function merge(op: string): LayerLowering {
  return (g, c, inputs) => inputs.slice(1).reduce((acc, v, i) => g.add(i === inputs.length - 2 ? c.name : `${c.name}/${i}`, op, [acc, v]), inputs[0]!);
}

function batchNorm(g: LayerGraph, c: LayerJson['config'], [x]: string[]): string {
  const mean = g.weight(c.name, 'moving_mean');
  const channels = g.constants.get(`${c.name}/moving_mean`)!.size;
  const filled = (param: string, value: number) =>
    g.hasWeight(c.name, param) ? g.weight(c.name, param) : g.constant(`${c.name}/${param}`, new Tensor('float32', [channels], new Float32Array(channels).fill(value)));
  const args = [x!, filled('gamma', 1), filled('beta', 0), mean, g.weight(c.name, 'moving_variance')];
  return g.add(c.name, 'FusedBatchNormV3', args, { epsilon: attr.float(num(c.epsilon, 1e-3)) });
}

function relu(g: LayerGraph, c: LayerJson['config'], [x]: string[]): string {
  const slope = num(c.negative_slope, 0);
  if (slope) return g.add(c.name, 'LeakyRelu', [x!], { alpha: attr.float(slope) });
  if (c.max_value === 6) return g.add(c.name, 'Relu6', [x!]);
  const y = g.add(`${c.name}/relu`, 'Relu', [x!]);
  if (typeof c.max_value !== 'number') return y;
  return g.add(c.name, 'Minimum', [y, g.constant(`${c.name}/max`, new Tensor('float32', [], new Float32Array([c.max_value])))]);
}

function zeroPadding(g: LayerGraph, c: LayerJson['config'], [x]: string[]): string {
  const p = c.padding;
  const [[top, bottom], [left, right]] = Array.isArray(p) && Array.isArray(p[0]) ? (p as [number, number][]) : [pair(p), pair(p)].map(([a]) => [a, a]) as [number, number][];
  const pads = new Int32Array([0, 0, top!, bottom!, left!, right!, 0, 0]);
  return g.add(c.name, 'Pad', [x!, g.constant(`${c.name}/paddings`, new Tensor('int32', [4, 2], pads))]);
}

function dense(g: LayerGraph, c: LayerJson['config'], [x]: string[]): string {
  return withBias(g, c, g.add(`${c.name}/MatMul`, 'BatchMatMulV2', [x!, g.weight(c.name, 'kernel')]));
}

function embedding(g: LayerGraph, c: LayerJson['config'], [x]: string[]): string {
  const ids = g.add(`${c.name}/ids`, 'Cast', [x!], { DstT: attr.type('int32') });
  return g.add(c.name, 'GatherV2', [g.weight(c.name, 'embeddings'), ids, g.constant(`${c.name}/axis`, new Tensor('int32', [], new Int32Array([0])))]);
}

function recurrent(op: 'KerasGRU' | 'KerasLSTM'): LayerLowering {
  return (g, c, [x]) => {
    const inputs = [x!, g.weight(c.name, 'kernel'), g.weight(c.name, 'recurrent_kernel')];
    if (c.use_bias !== false) inputs.push(g.weight(c.name, 'bias'));
    return g.add(c.name, op, inputs, {
      units: attr.int(num(c.units, 0)),
      activation: attr.string(String(c.activation ?? 'tanh')),
      recurrent_activation: attr.string(String(c.recurrent_activation ?? 'hard_sigmoid')),
      go_backwards: attr.bool(c.go_backwards === true),
      return_sequences: attr.bool(c.return_sequences === true),
      reset_after: attr.bool(c.reset_after === true),
    });
  };
}

const identity: LayerLowering = (g, c, [x]) => g.add(c.name, 'Identity', [x!]);

const LAYERS: Record<string, LayerLowering> = {
  Dense: dense,
  Conv2D: conv('Conv2D', 'kernel'),
  DepthwiseConv2D: conv('DepthwiseConv2dNative', 'depthwise_kernel'),
  BatchNormalization: batchNorm,
  Activation: (g, c, [x]) => activate(g, c.name, c.activation, x!),
  ReLU: relu,
  LeakyReLU: (g, c, [x]) => g.add(c.name, 'LeakyRelu', [x!], { alpha: attr.float(num(c.alpha, 0.3)) }),
  PReLU: (g, c, [x]) => g.add(c.name, 'Prelu', [x!, g.weight(c.name, 'alpha')]),
  ELU: (g, c, [x]) => g.add(c.name, 'Elu', [x!]),
  Softmax: (g, c, [x]) => g.add(c.name, 'Softmax', [x!]),
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  ZeroPadding2D: zeroPadding,
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AvgPool'),
  GlobalAveragePooling2D: globalPool('Mean'),
  GlobalMaxPooling2D: globalPool('Max'),
  Flatten: (g, c, [x]) => g.add(c.name, 'KerasFlatten', [x!]),
  Reshape: (g, c, [x]) => g.add(c.name, 'Reshape', [x!, g.constant(`${c.name}/shape`, int32Vector([-1, ...(c.target_shape as number[])]))]),
  Permute: (g, c, [x]) => g.add(c.name, 'Transpose', [x!, g.constant(`${c.name}/perm`, int32Vector([0, ...(c.dims as number[])]))]),
  Add: merge('AddV2'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Maximum: merge('Maximum'),
  Minimum: merge('Minimum'),
  Concatenate: (g, c, inputs) => g.add(c.name, 'ConcatV2', [...inputs, g.constant(`${c.name}/axis`, new Tensor('int32', [], new Int32Array([num(c.axis, -1)])))]),
  Embedding: embedding,
  GRU: recurrent('KerasGRU'),
  LSTM: recurrent('KerasLSTM'),
};

function int32Vector(values: number[]): Tensor {
  return new Tensor('int32', [values.length], Int32Array.from(values));
}
