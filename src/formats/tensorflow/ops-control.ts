import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue, Graph, ValueType } from '../../graph/ir.js';
import { DTYPES } from '../../tensor/dtype.js';
import { dependencyOrder, producerOf, type GraphBuilder, NodeLowering, type TfNode } from './builder.js';
import { IF_OP, WHILE_OP, type CondRegion, type WhileRegion } from './control-flow.js';
import type { FunctionInstance, FunctionalRegion } from './functions.js';
import { TF_DATA_TYPES } from './schema.js';
import { dtypeOfTf } from './tensor-proto.js';

type Lowering = (n: NodeLowering) => void;

/** The nodes of a region that `roots` need, dependencies first; tensors from outside the region are outer values. */
function regionOrder(nodes: TfNode[], roots: string[]): TfNode[] {
  return dependencyOrder(new Map(nodes.map((n) => [n.name, n])), roots.map(producerOf), {
    cycle: (name) => new NeuropodError('MODEL_INVALID', `a loop or cond region has a cycle through node '${name}'`),
  });
}

/** Lowers a region's nodes into `builder` and returns the IR values of `roots`. */
function lowerRegion(builder: GraphBuilder, nodes: TfNode[], roots: string[]): string[] {
  for (const node of regionOrder(nodes, roots)) builder.lowerer(node)(new NodeLowering(builder, node));
  return roots.map((r) => builder.valueOf(r));
}

/**
 * A subgraph's outputs must be values it computes under names of its own: an outer value, an input or a value
 * returned twice goes out through an Identity.
 */
function subgraphOutputs(sub: GraphBuilder, values: string[], hint: string): string[] {
  const produced = new Set(sub.nodes.flatMap((n) => n.outputs));
  const used = new Set<string>();
  return values.map((v, k) => {
    if (produced.has(v) && !used.has(v)) {
      used.add(v);
      return v;
    }
    const out = sub.fresh(`${sub.scope}${hint}${k}`);
    sub.addNode('Identity', [v], [out], {}, `${hint}${k}`);
    used.add(out);
    return out;
  });
}

const graphAttr = (value: Graph): AttributeValue => ({ type: 'graph', value });

/** A loop as its parts: the outer values it starts from, their types, and how to lower its cond and body on given values. */
interface LoopParts {
  inits: string[];
  types: ValueType[];
  cond: (b: GraphBuilder, vars: string[]) => string;
  body: (b: GraphBuilder, vars: string[]) => string[];
}

/**
 * A TF loop -> ONNX Loop with no trip count: the condition is lowered once on the initial values (the Loop's cond
 * input) and once in the body on the new values (the body's cond output).
 */
function emitLoop(n: NodeLowering, parts: LoopParts): void {
  const outer = n.builder;
  const cond0 = parts.cond(outer.child(`${n.node.name}/cond_init/`, true), parts.inits);
  const body = outer.child(`${n.node.name}/body/`);
  body.addInput(`${body.scope}iteration`, 'int64', []);
  body.addInput(`${body.scope}cond_in`, 'bool', []);
  const carried = parts.inits.map((init, k) => {
    const name = `${body.scope}carried_${k}`;
    body.inputs.push({ name, type: parts.types[k] });
    const elem = outer.sequenceTypes.get(init);
    if (elem) body.sequenceTypes.set(name, elem);
    return name;
  });
  const next = parts.body(body, carried);
  const condOut = parts.cond(body.child(`${n.node.name}/body/cond/`, true), next);
  const outputs = subgraphOutputs(body, [condOut, ...next], 'out_');
  const graph = body.graph(`${n.node.name}/body`, outputs.map((name) => ({ name })));
  const results = n.emit('Loop', ['', cond0, ...parts.inits], { body: graphAttr(graph) }, parts.inits.map((_, k) => n.output(k)));
  parts.inits.forEach((init, k) => {
    const elem = outer.sequenceTypes.get(init);
    if (elem) outer.sequenceTypes.set(results[k]!, elem);
  });
}

/**
 * tf.while_loop (TF1 frames) -> Loop: carried values are the Merges (the condition reads them, the body reads the
 * Switches' true outputs); is_constant Enters read their outer tensor directly (an outer-scope capture).
 */
function whileLoop(n: NodeLowering): void {
  const r = n.node.region as WhileRegion;
  const outer = n.builder;
  const bindInvariants = (b: GraphBuilder) => {
    for (const inv of r.invariants) b.alias(`${inv.enter}:0`, outer.valueOf(inv.value));
  };
  const inits = r.vars.map((v) => outer.valueOf(v.init));
  emitLoop(n, {
    inits,
    types: r.vars.map((v, k) => carriedType(outer, v.dtype, inits[k]!, `Enter node '${v.enter}'`)),
    cond: (b, vars) => {
      bindInvariants(b);
      r.vars.forEach((v, k) => b.alias(`${v.merge}:0`, vars[k]!));
      return lowerRegion(b, r.condNodes, [r.cond])[0]!;
    },
    body: (b, vars) => {
      bindInvariants(b);
      r.vars.forEach((v, k) => b.alias(`${v.switch}:1`, vars[k]!));
      return lowerRegion(b, r.bodyNodes, r.vars.map((v) => v.next));
    },
  });
}

/** A function instance lowered into `b` on `values` (its args): its results' IR values. */
function lowerFunction(b: GraphBuilder, fn: FunctionInstance, values: string[]): string[] {
  fn.args.forEach((a, k) => b.alias(a, values[k]!));
  return lowerRegion(b, fn.nodes, fn.results);
}

/** While/StatelessWhile (TF2 functional) -> Loop over the cond and body functions; T lists the carried types. */
function functionalWhile(n: NodeLowering): void {
  const [condFn, bodyFn] = (n.node.region as FunctionalRegion).functions;
  const inits = n.inputs();
  const codes = n.node.attr.T?.list?.type ?? [];
  emitLoop(n, {
    inits,
    types: inits.map((init, k) => carriedType(n.builder, codes[k] ?? 0, init, `${n.where} input ${k}`)),
    cond: (b, vars) => toBool(b, lowerFunction(b, condFn, vars)[0]!, n.node.name),
    body: (b, vars) => lowerFunction(b, bodyFn, vars),
  });
}

/** TF's cond function may give any scalar (non-zero is true); ONNX Loop and If take a bool. */
function toBool(b: GraphBuilder, value: string, where: string): string {
  const out = b.fresh(`${b.scope}${where}/cond_bool`);
  b.addNode('Cast', [value], [out], { to: { type: 'int', value: DTYPES.bool.onnx } }, `${where}/cond_bool`);
  return out;
}

/** A TF variant carried by a loop is a TensorList: a sequence of the element dtype its maker gave. */
function carriedType(outer: GraphBuilder, code: number | string, init: string, where: string): ValueType {
  // A TensorArray's flow (a float in TF) carries the array's sequence here.
  const known = outer.sequenceTypes.get(init);
  if (known) return { kind: 'sequence', elem: { kind: 'tensor', dtype: known } };
  if (!code) throw new NeuropodError('MODEL_INVALID', `${where}: no type for the loop variable`);
  if (code === 'DT_VARIANT' || Number(code) % 100 === TF_DATA_TYPES.DT_VARIANT) {
    const elem = outer.sequenceTypes.get(init);
    if (!elem) throw new NeuropodError('OP_UNSUPPORTED', `${where} carries a variant that is not a TensorList this engine made (its loop cannot be lowered)`);
    return { kind: 'sequence', elem: { kind: 'tensor', dtype: elem } };
  }
  return { kind: 'tensor', dtype: dtypeOfTf(code, where) };
}

/** tf.cond -> ONNX If on the predicate; each branch reads a Switch's output as the Switch's data input. */
function cond(n: NodeLowering): void {
  const r = n.node.region as CondRegion;
  const outer = n.builder;
  const branch = (taken: boolean): Graph => {
    const sub = outer.child(`${n.node.name}/${taken ? 'then' : 'else'}/`);
    for (const s of r.switches) sub.alias(`${s.name}:${taken ? 1 : 0}`, outer.valueOf(s.data));
    const values = lowerRegion(sub, taken ? r.thenNodes : r.elseNodes, r.outputs.map((o) => (taken ? o.whenTrue : o.whenFalse)));
    const outputs = subgraphOutputs(sub, values, 'out_');
    return sub.graph(`${n.node.name}/${taken ? 'then' : 'else'}`, outputs.map((name) => ({ name })));
  };
  const attrs = { then_branch: graphAttr(branch(true)), else_branch: graphAttr(branch(false)) };
  n.emit('If', [outer.valueOf(r.pred)], attrs, r.outputs.map((_, k) => n.output(k)));
}

/** If/StatelessIf (TF2 functional) -> If: each branch function on the node's inputs after the condition. */
function functionalIf(n: NodeLowering): void {
  const [thenFn, elseFn] = (n.node.region as FunctionalRegion).functions;
  const outer = n.builder;
  const args = n.inputs(1);
  const branch = (fn: FunctionInstance, label: string): Graph => {
    const sub = outer.child(`${n.node.name}/${label}/`);
    const outputs = subgraphOutputs(sub, lowerFunction(sub, fn, args), 'out_');
    return sub.graph(`${n.node.name}/${label}`, outputs.map((name) => ({ name })));
  };
  const pred = n.attrs.dtype('Tcond', 'bool') === 'bool' ? n.input(0) : n.op('Cast', [n.input(0)], { to: { type: 'int', value: DTYPES.bool.onnx } });
  const count = thenFn.results.length;
  n.emit('If', [pred], { then_branch: graphAttr(branch(thenFn, 'then')), else_branch: graphAttr(branch(elseFn, 'else')) }, Array.from({ length: count }, (_, k) => n.output(k)));
}

export const CONTROL_OPS: Record<string, Lowering> = {
  [WHILE_OP]: whileLoop,
  [IF_OP]: cond,
  While: functionalWhile,
  StatelessWhile: functionalWhile,
  If: functionalIf,
  StatelessIf: functionalIf,
};
