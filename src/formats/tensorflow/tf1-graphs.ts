/**
 * For tests: TF1 GraphDef nodes (protobuf JSON, as `GraphDefType.fromObject` reads them) built the way TF 1.x's
 * control_flow_ops emits tf.while_loop and tf.cond into a frozen graph: Enter/Merge/Switch/Identity/NextIteration/
 * Exit per loop variable with a frame_name, constants in a loop held there by a control input on the pivot (the
 * Merge in the condition, the Identity in the body), a cond's Switch(pred, pred) -> switch_t/switch_f pivots,
 * pred_id = Identity(pred), one Switch(x, pred_id) per value a branch reads, and Merge(false value, true value).
 */
import { zipSync } from 'fflate';
import { GraphDefType } from './schema.js';

export type NodeJson = { name: string; op: string; input?: string[]; attr?: Record<string, unknown> };

export const DT = { float: 'DT_FLOAT', int32: 'DT_INT32', int64: 'DT_INT64', bool: 'DT_BOOL', string: 'DT_STRING' } as const;
type Dt = (typeof DT)[keyof typeof DT];

const type = (t: Dt) => ({ type: t });

export function placeholder(name: string, t: Dt, shape?: number[]): NodeJson {
  const attr: Record<string, unknown> = { dtype: type(t) };
  if (shape) attr.shape = { shape: { dim: shape.map((size) => ({ size })) } };
  return { name, op: 'Placeholder', attr };
}

export function constant(name: string, t: Dt, values: number[] | string[], shape: number[] = [], controls: string[] = []): NodeJson {
  const tensor: Record<string, unknown> = { dtype: t, tensorShape: { dim: shape.map((size) => ({ size })) } };
  if (t === DT.float) tensor.floatVal = values;
  else if (t === DT.int64) tensor.int64Val = values;
  else if (t === DT.bool) tensor.boolVal = values;
  else if (t === DT.string) tensor.stringVal = (values as string[]).map((s) => btoa(s));
  else tensor.intVal = values;
  return { name, op: 'Const', input: controls.map((c) => `^${c}`), attr: { dtype: type(t), value: { tensor } } };
}

export function op(name: string, opType: string, inputs: string[], t?: Dt, attr: Record<string, unknown> = {}): NodeJson {
  return { name, op: opType, input: inputs, attr: t ? { T: type(t), ...attr } : attr };
}

/** What a loop body or condition function gets: the loop variables and invariants inside the frame, and where to put nodes. */
export interface LoopScope {
  /** The loop variables' tensors inside the function (Merges in the condition, Identities in the body). */
  vars: string[];
  /** The invariant Enters' outputs. */
  invariants: string[];
  /** The node constants hang on by a control input. */
  pivot: string;
  prefix: string;
  nodes: NodeJson[];
}

export interface WhileSpec {
  /** The name scope: "while", "outer/while", ... */
  prefix: string;
  vars: { init: string; t: Dt }[];
  /** Outer tensors the loop reads unchanged (is_constant Enters). */
  invariants?: { value: string; t: Dt }[];
  /** Adds the condition's nodes; returns the bool tensor. */
  cond: (s: LoopScope) => string;
  /** Adds the body's nodes; returns the next value of each variable. */
  body: (s: LoopScope) => string[];
}

/** tf.while_loop as TF 1.x writes it; returns its nodes and the Exit tensor of each variable. */
export function whileLoop(spec: WhileSpec): { nodes: NodeJson[]; exits: string[] } {
  const p = spec.prefix;
  const frame = btoa(`${p}/while_context`);
  const suffix = (k: number) => (k === 0 ? '' : `_${k}`);
  const nodes: NodeJson[] = [];
  const enterAttr = (t: Dt, constant: boolean) => ({ T: type(t), frame_name: { s: frame }, is_constant: { b: constant }, parallel_iterations: { i: 10 } });
  spec.vars.forEach((v, k) => nodes.push({ name: `${p}/Enter${suffix(k)}`, op: 'Enter', input: [v.init], attr: enterAttr(v.t, false) }));
  const invariants = (spec.invariants ?? []).map((inv, j) => {
    const name = `${p}/Enter${suffix(spec.vars.length + j)}`;
    nodes.push({ name, op: 'Enter', input: [inv.value], attr: enterAttr(inv.t, true) });
    return name;
  });
  spec.vars.forEach((v, k) => nodes.push(op(`${p}/Merge${suffix(k)}`, 'Merge', [`${p}/Enter${suffix(k)}`, `${p}/NextIteration${suffix(k)}`], v.t, { N: { i: 2 } })));
  const merges = spec.vars.map((_, k) => `${p}/Merge${suffix(k)}`);
  const condScope: LoopScope = { vars: merges, invariants, pivot: merges[0]!, prefix: p, nodes };
  const pred = spec.cond(condScope);
  nodes.push(op(`${p}/LoopCond`, 'LoopCond', [pred]));
  spec.vars.forEach((v, k) => {
    nodes.push(op(`${p}/Switch${suffix(k)}`, 'Switch', [`${p}/Merge${suffix(k)}`, `${p}/LoopCond`], v.t, { _class: { list: { s: [btoa(`loc:@${p}/Merge${suffix(k)}`)] } } }));
    nodes.push(op(`${p}/Identity${suffix(k)}`, 'Identity', [`${p}/Switch${suffix(k)}:1`], v.t));
  });
  const identities = spec.vars.map((_, k) => `${p}/Identity${suffix(k)}`);
  const next = spec.body({ vars: identities, invariants, pivot: identities[0]!, prefix: p, nodes });
  spec.vars.forEach((v, k) => {
    nodes.push(op(`${p}/NextIteration${suffix(k)}`, 'NextIteration', [next[k]!], v.t));
    nodes.push(op(`${p}/Exit${suffix(k)}`, 'Exit', [`${p}/Switch${suffix(k)}`], v.t));
  });
  return { nodes, exits: spec.vars.map((_, k) => `${p}/Exit${suffix(k)}`) };
}

/** What a branch function gets: a way to read an outer tensor (through its own Switch) and the branch pivot. */
export interface BranchScope {
  read: (tensor: string, t: Dt) => string;
  pivot: string;
  prefix: string;
  nodes: NodeJson[];
}

export interface CondSpec {
  prefix: string;
  pred: string;
  /** The branches' results, one per output, with their types. */
  types: Dt[];
  whenTrue: (s: BranchScope) => string[];
  whenFalse: (s: BranchScope) => string[];
}

/** tf.cond as TF 1.x writes it; returns its nodes and the Merge of each output. */
export function cond(spec: CondSpec): { nodes: NodeJson[]; outputs: string[] } {
  const p = spec.prefix;
  const nodes: NodeJson[] = [
    op(`${p}/Switch`, 'Switch', [spec.pred, spec.pred], DT.bool),
    op(`${p}/switch_t`, 'Identity', [`${p}/Switch:1`], DT.bool),
    op(`${p}/switch_f`, 'Identity', [`${p}/Switch`], DT.bool),
    op(`${p}/pred_id`, 'Identity', [spec.pred], DT.bool),
  ];
  let switches = 0;
  const branch = (taken: boolean): BranchScope => ({
    read: (tensor, t) => {
      const name = `${p}/Switch_${++switches}`;
      nodes.push(op(name, 'Switch', [tensor, `${p}/pred_id`], t, { _class: { list: { s: [btoa(`loc:@${tensor}`)] } } }));
      return taken ? `${name}:1` : name;
    },
    pivot: `${p}/${taken ? 'switch_t' : 'switch_f'}`,
    prefix: p,
    nodes,
  });
  const t = spec.whenTrue(branch(true));
  const f = spec.whenFalse(branch(false));
  const outputs = spec.types.map((type, k) => {
    const name = `${p}/Merge${k === 0 ? '' : `_${k}`}`;
    nodes.push(op(name, 'Merge', [f[k]!, t[k]!], type, { N: { i: 2 } }));
    return name;
  });
  return { nodes, outputs };
}

export interface Spec {
  name: string;
  dtype: string;
  shape: (number | null)[];
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A frozen-graph Neuropod package of `nodes`: each spec name maps to the tensor given with it. */
export function tfPackage(nodes: NodeJson[], inputs: [Spec, string][], outputs: [Spec, string][], initOps: string[] = [], library: FunctionJson[] = []): Uint8Array {
  const config = { name: 'tf_graph', platform: 'tensorflow', input_spec: inputs.map(([s]) => s), output_spec: outputs.map(([s]) => s) };
  const mapping = Object.fromEntries([...inputs, ...outputs].map(([s, t]) => [s.name, t]));
  return zipSync({
    'config.json': utf8(JSON.stringify(config)),
    '0/config.json': utf8(JSON.stringify({ node_name_mapping: mapping, init_op_names: initOps })),
    '0/data/model.pb': GraphDefType.encode(GraphDefType.fromObject({ node: nodes, library: { function: library } })).finish(),
  });
}

export type FunctionJson = object;

/** A FunctionDef (TF2 tf.function body): typed args, nodes referring to "node:output_arg:index", ret by output arg. */
export function functionDef(name: string, inputs: [string, Dt | 'DT_VARIANT'][], outputs: [string, Dt | 'DT_VARIANT', string][], nodeDef: NodeJson[]): FunctionJson {
  return {
    signature: { name, inputArg: inputs.map(([n, t]) => ({ name: n, type: t })), outputArg: outputs.map(([n, t]) => ({ name: n, type: t })) },
    nodeDef,
    ret: Object.fromEntries(outputs.map(([n, , ref]) => [n, ref])),
  };
}
