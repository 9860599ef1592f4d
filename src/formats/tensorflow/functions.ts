import { NeuropodError } from '../../api/errors.js';
import { tensorName, type TfNode } from './builder.js';
import type { FunctionDefMsg, NodeDefMsg } from './schema.js';

/** Ops that call a library function named by their `f` attribute (TF2 graphs wrap every tf.function in one). */
const CALL_OPS = new Set(['PartitionedCall', 'StatefulPartitionedCall']);

/**
 * Output args of ops with more than one: a function body names an output "node:arg:index", and the flat index a
 * graph uses is the arg's position plus index (these args are single tensors, except where a list comes last).
 */
const OUTPUT_ARGS: Record<string, string[]> = {
  FusedBatchNorm: ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'],
  FusedBatchNormV2: ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'],
  FusedBatchNormV3: ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2', 'reserve_space_3'],
  TopKV2: ['values', 'indices'],
  Unique: ['y', 'idx'],
  NonMaxSuppressionV4: ['selected_indices', 'valid_outputs'],
  NonMaxSuppressionV5: ['selected_indices', 'selected_scores', 'valid_outputs'],
  Switch: ['output_false', 'output_true'],
  Merge: ['output', 'value_index'],
};

/** Replaces every call of a library function by the function's body, renamed under the call's name. */
export function inlineFunctions(nodes: TfNode[], library: FunctionDefMsg[]): TfNode[] {
  const functions = new Map(library.map((f) => [f.signature?.name ?? '', f]));
  let current = nodes;
  for (let depth = 0; current.some((n) => isCall(n, functions)); depth++) {
    if (depth > 64) throw new NeuropodError('MODEL_INVALID', 'library functions call each other more than 64 deep (recursion?)');
    current = current.flatMap((n) => (isCall(n, functions) ? expandCall(n, functions) : [n]));
  }
  return current;
}

function calleeOf(node: TfNode, functions: Map<string, FunctionDefMsg>): FunctionDefMsg | undefined {
  const name = CALL_OPS.has(node.op) ? node.attr.f?.func?.name : node.op;
  return name ? functions.get(name) : undefined;
}

function isCall(node: TfNode, functions: Map<string, FunctionDefMsg>): boolean {
  return calleeOf(node, functions) !== undefined;
}

/** The body under "<call>/", args bound to the call's inputs, and an IdentityN named like the call for its outputs. */
function expandCall(call: TfNode, functions: Map<string, FunctionDefMsg>): TfNode[] {
  const fn = calleeOf(call, functions)!;
  const signature = fn.signature!;
  const prefix = `${call.name}/`;
  const args = new Map(signature.inputArg.map((a, i) => [a.name, call.inputs[i]!]));
  const opOf = new Map(fn.nodeDef.map((d) => [d.name, d.op]));
  const ref = (r: string): string => {
    const arg = args.get(r);
    if (arg !== undefined) return arg;
    const [node, outArg, index] = r.split(':') as [string, string | undefined, string | undefined];
    if (outArg === undefined) return tensorName(prefix + node);
    return `${prefix}${node}:${outputIndex(opOf.get(node) ?? '', outArg, Number(index ?? 0))}`;
  };
  const body = fn.nodeDef.map((d) => bodyNode(d, prefix, ref, call.controls, opOf));
  const results = signature.outputArg.map((a) => ref(fn.ret[a.name] ?? ''));
  const stateful = body.filter((n) => n.op.startsWith('Assign')).map((n) => n.name);
  return [...body, { name: call.name, op: 'IdentityN', inputs: results, controls: stateful, attr: {} }];
}

function bodyNode(def: NodeDefMsg, prefix: string, ref: (r: string) => string, callControls: string[], local: Map<string, string>): TfNode {
  const inputs: string[] = [];
  const controls = [...callControls];
  for (const r of def.input) {
    if (r.startsWith('^')) {
      if (local.has(r.slice(1))) controls.push(prefix + r.slice(1));
    }
    else inputs.push(ref(r));
  }
  return { name: prefix + def.name, op: def.op, inputs, controls, attr: def.attr ?? {} };
}

function outputIndex(op: string, arg: string, index: number): number {
  const args = OUTPUT_ARGS[op];
  const at = args ? args.indexOf(arg) : -1;
  return at > 0 ? at + index : index;
}
