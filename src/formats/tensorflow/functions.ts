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

const TABLE_INITIALIZERS = new Set(['InitializeTableV2', 'InitializeTable', 'LookupTableImportV2']);

/** TF2 functional control flow: ops whose attributes name the functions of a loop's cond/body or a cond's branches. */
const FUNCTIONAL: Record<string, { kind: 'while' | 'if'; attrs: [string, string] }> = {
  While: { kind: 'while', attrs: ['cond', 'body'] },
  StatelessWhile: { kind: 'while', attrs: ['cond', 'body'] },
  If: { kind: 'if', attrs: ['then_branch', 'else_branch'] },
  StatelessIf: { kind: 'if', attrs: ['then_branch', 'else_branch'] },
};

/** A library function's body made nodes of the graph: `args` are the tensors its inputs read, `results` its outputs. */
export interface FunctionInstance {
  name: string;
  args: string[];
  nodes: TfNode[];
  results: string[];
}

/** The region of a While/If node: its functions, instantiated under the node's name (ops-control.ts lowers it). */
export interface FunctionalRegion {
  kind: 'functional-while' | 'functional-if';
  functions: [FunctionInstance, FunctionInstance];
}

/**
 * Replaces every call of a library function by the function's body, renamed under the call's name; While and
 * If nodes get their functions instantiated as their region, with calls in them inlined the same way.
 */
export function inlineFunctions(nodes: TfNode[], library: FunctionDefMsg[], depth = 0): TfNode[] {
  const functions = new Map(library.map((f) => [f.signature?.name ?? '', f]));
  let current = nodes;
  for (let d = depth; current.some((n) => isCall(n, functions)); d++) {
    if (d > 64) throw new NeuropodError('MODEL_INVALID', 'library functions call each other more than 64 deep (recursion?)');
    current = current.flatMap((n) => (isCall(n, functions) ? expandCall(n, functions) : [n]));
  }
  return current.map((n) => (FUNCTIONAL[n.op] && !n.region ? withFunctions(n, functions, library, depth) : n));
}

function withFunctions(node: TfNode, functions: Map<string, FunctionDefMsg>, library: FunctionDefMsg[], depth: number): TfNode {
  if (depth > 64) throw new NeuropodError('MODEL_INVALID', `${node.op} node '${node.name}': its functions nest more than 64 deep (recursion?)`);
  const { kind, attrs } = FUNCTIONAL[node.op]!;
  const instance = (attr: string): FunctionInstance => {
    const name = node.attr[attr]?.func?.name;
    const fn = name ? functions.get(name) : undefined;
    if (!fn) throw new NeuropodError('MODEL_INVALID', `${node.op} node '${node.name}': its ${attr} function '${name ?? ''}' is not in the graph's library`);
    const prefix = `${node.name}/${attr}/`;
    const args = fn.signature!.inputArg.map((a) => `${prefix}${a.name}:arg`);
    const { body, results } = instantiate(fn, prefix, args, []);
    return { name: fn.signature!.name, args, nodes: inlineFunctions(body, library, depth + 1), results };
  };
  const region: FunctionalRegion = { kind: kind === 'while' ? 'functional-while' : 'functional-if', functions: [instance(attrs[0]), instance(attrs[1])] };
  return { ...node, region };
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
  const { body, results } = instantiate(fn, `${call.name}/`, call.inputs, call.controls);
  // What the call does besides its results (assignments, table initializers: a TF2 init op calls a function that
  // fills the tables) happens before anything that waits on the call.
  const stateful = body.filter((n) => n.op.startsWith('Assign') || TABLE_INITIALIZERS.has(n.op)).map((n) => n.name);
  return [...body, { name: call.name, op: 'IdentityN', inputs: results, controls: stateful, attr: {} }];
}

/** A function's nodes renamed under `prefix`, its input args reading `argTensors`; `results` are its output args' tensors. */
function instantiate(fn: FunctionDefMsg, prefix: string, argTensors: string[], controls: string[]): { body: TfNode[]; results: string[] } {
  const signature = fn.signature!;
  const args = new Map(signature.inputArg.map((a, i) => [a.name, argTensors[i]!]));
  const opOf = new Map(fn.nodeDef.map((d) => [d.name, d.op]));
  const ref = (r: string): string => {
    const arg = args.get(r);
    if (arg !== undefined) return arg;
    const [node, outArg, index] = r.split(':') as [string, string | undefined, string | undefined];
    if (outArg === undefined) return tensorName(prefix + node);
    return `${prefix}${node}:${outputIndex(opOf.get(node) ?? '', outArg, Number(index ?? 0))}`;
  };
  const body = fn.nodeDef.map((d) => bodyNode(d, prefix, ref, controls, opOf));
  const results = signature.outputArg.map((a) => ref(fn.ret[a.name] ?? ''));
  return { body, results };
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
  return { name: prefix + def.name, op: def.op, inputs, controls, attr: def.attr ?? {}, source: def.name };
}

function outputIndex(op: string, arg: string, index: number): number {
  const args = OUTPUT_ARGS[op];
  const at = args ? args.indexOf(arg) : -1;
  return at > 0 ? at + index : index;
}
