import { NeuropodError } from '../../api/errors.js';
import type { TensorSpec } from '../../spec/types.js';
import { TfAttrs } from '../tensorflow/attr.js';
import { graphNodes } from '../tensorflow/graph-def.js';
import { lowerTfGraph, type LoweredTfGraph, type TensorBinding } from '../tensorflow/lower.js';
import { GraphDefType, type GraphDefMsg, type TensorInfoMsg } from '../tensorflow/schema.js';
import { dtypeOfTf, shapeOf } from '../tensorflow/tensor-proto.js';
import { producerOf, tensorName, type TfNode } from '../tensorflow/builder.js';
import { readWeights, type WeightsManifestGroup } from './weights.js';

/** model.json of a TF.js graph model (tfjs-converter): a GraphDef in protobuf JSON and its weights manifest. */
export interface TfjsGraphModelJson {
  format?: string;
  modelTopology: object;
  weightsManifest: WeightsManifestGroup[];
  signature?: { inputs?: Record<string, TensorInfoMsg>; outputs?: Record<string, TensorInfoMsg> };
  userDefinedMetadata?: { signature?: TfjsGraphModelJson['signature'] };
}

export interface ImportedTfjsModel extends LoweredTfGraph {
  spec: { inputs: TensorSpec[]; outputs: TensorSpec[] };
}

/** TF.js writes signature keys and tensor names with or without the output index; spec names drop it. */
const specName = (key: string) => key.replace(/:0$/, '');

export async function importTfjsGraphModel(json: TfjsGraphModelJson, readShard: (path: string) => Promise<Uint8Array>, source: string): Promise<ImportedTfjsModel> {
  let graph: GraphDefMsg;
  try {
    graph = GraphDefType.fromObject(json.modelTopology) as unknown as GraphDefMsg;
  } catch (e) {
    throw new NeuropodError('MODEL_INVALID', `${source}: modelTopology is not a GraphDef: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const nodes = graphNodes(graph);
  const weights = await readWeights(json.weightsManifest ?? [], readShard, source);
  const signature = json.signature ?? json.userDefinedMetadata?.signature;
  const inputs = signature?.inputs ? specsFromSignature(signature.inputs) : placeholderSpecs(nodes);
  const outputs = signature?.outputs ? specsFromSignature(signature.outputs) : leafSpecs(nodes);
  const lowered = lowerTfGraph({
    nodes,
    inputs: inputs.map((s) => s.binding),
    outputs: outputs.map((s) => s.binding),
    weights,
    source,
    producer: 'tfjs-graph-model',
  });
  return { ...lowered, spec: { inputs: inputs.map((s) => s.spec), outputs: outputs.map((s) => s.spec) } };
}

interface BoundSpec {
  spec: TensorSpec;
  binding: TensorBinding;
}

function specsFromSignature(infos: Record<string, TensorInfoMsg>): BoundSpec[] {
  return Object.entries(infos).map(([key, info]) => {
    const name = specName(key);
    const where = `signature tensor '${key}'`;
    const dtype = info.dtype ? dtypeOfTf(info.dtype, where) : 'float32';
    const shape = shapeOf(info.tensorShape as never)?.map((d) => (d < 0 ? null : d)) ?? [];
    return { spec: { name, dtype, shape }, binding: { name, tensor: tensorName(info.name || key) } };
  });
}

function nodeSpec(node: TfNode, dtypeAttr: string): BoundSpec {
  const name = node.name;
  const attrs = new TfAttrs(node.attr, `${node.op} node '${name}'`);
  const dtype = attrs.dtype(dtypeAttr, 'float32');
  const shape = attrs.shape('shape')?.map((d) => (d < 0 ? null : d)) ?? [];
  return { spec: { name, dtype, shape }, binding: { name, tensor: `${name}:0` } };
}

/** Without a signature TF.js feeds the Placeholders and fetches the nodes nothing reads. */
function placeholderSpecs(nodes: TfNode[]): BoundSpec[] {
  return nodes.filter((n) => n.op === 'Placeholder').map((n) => nodeSpec(n, 'dtype'));
}

function leafSpecs(nodes: TfNode[]): BoundSpec[] {
  const read = new Set(nodes.flatMap((n) => [...n.inputs.map(producerOf), ...n.controls]));
  return nodes.filter((n) => !read.has(n.name) && !['Const', 'Placeholder', 'NoOp'].includes(n.op)).map((n) => nodeSpec(n, 'T'));
}
