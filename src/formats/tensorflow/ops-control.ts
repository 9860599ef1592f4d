import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue, Graph, ValueType } from '../../graph/ir.js';
import { producerOf, type GraphBuilder, NodeLowering, type TfNode } from './builder.js';
import { IF_OP, WHILE_OP, type CondRegion, type LoopVar, type WhileRegion } from './control-flow.js';
import { TF_DATA_TYPES } from './schema.js';
import { dtypeOfTf } from './tensor-proto.js';

type Lowering = (n: NodeLowering) => void;

/** The nodes of a region that `roots` need, dependencies first; tensors from outside the region are outer values. */
function regionOrder(nodes: TfNode[], roots: string[]): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const root of roots.map(producerOf)) {
    const start = byName.get(root);
    if (!start || state.has(root)) continue;
    const stack: [TfNode, number][] = [[start, 0]];
    state.set(root, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const deps = [...top[0].inputs.map(producerOf), ...top[0].controls];
      if (top[1] < deps.length) {
        const dep = byName.get(deps[top[1]++]!);
        if (!dep) continue;
        const s = state.get(dep.name);
        if (s === 'open') throw new NeuropodError('MODEL_INVALID', `a loop or cond region has a cycle through node '${dep.name}'`);
        if (!s) {
          state.set(dep.name, 'open');
          stack.push([dep, 0]);
        }
      } else {
        stack.pop();
        state.set(top[0].name, 'done');
        order.push(top[0]);
      }
    }
  }
  return order;
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

/**
 * tf.while_loop -> ONNX Loop with no trip count: the condition is lowered once on the initial values (the Loop's
 * cond input) and once in the body on the new values (the body's cond output). Carried values are the Merges;
 * is_constant Enters read their outer tensor directly (an outer-scope capture of the body).
 */
function whileLoop(n: NodeLowering): void {
  const r = n.node.region as WhileRegion;
  const outer = n.builder;
  const bindInvariants = (b: GraphBuilder) => {
    for (const inv of r.invariants) b.alias(`${inv.enter}:0`, outer.valueOf(inv.value));
  };
  const initCond = outer.child(`${n.node.name}/cond_init/`, true);
  bindInvariants(initCond);
  for (const v of r.vars) initCond.alias(`${v.merge}:0`, outer.valueOf(v.init));
  const [cond0] = lowerRegion(initCond, r.condNodes, [r.cond]);

  const body = outer.child(`${n.node.name}/body/`);
  bindInvariants(body);
  const iter = `${body.scope}iteration`;
  const condIn = `${body.scope}cond_in`;
  body.addInput(iter, 'int64', []);
  body.addInput(condIn, 'bool', []);
  r.vars.forEach((v, k) => {
    const name = `${body.scope}carried_${k}`;
    body.inputs.push({ name, type: carriedType(outer, v) });
    body.alias(`${v.switch}:1`, name);
    const elem = outer.sequenceTypes.get(outer.valueOf(v.init));
    if (elem) body.sequenceTypes.set(name, elem);
  });
  const next = lowerRegion(body, r.bodyNodes, r.vars.map((v) => v.next));
  const bodyCond = body.child(`${n.node.name}/body/cond/`, true);
  bindInvariants(bodyCond);
  r.vars.forEach((v, k) => bodyCond.alias(`${v.merge}:0`, next[k]!));
  const [condOut] = lowerRegion(bodyCond, r.condNodes, [r.cond]);
  const outputs = subgraphOutputs(body, [condOut!, ...next], 'out_');
  const graph = body.graph(`${n.node.name}/body`, outputs.map((name) => ({ name })));
  const results = n.emit('Loop', ['', cond0!, ...r.vars.map((v) => outer.valueOf(v.init))], { body: graphAttr(graph) }, r.vars.map((_, k) => n.output(k)));
  r.vars.forEach((v, k) => {
    const elem = outer.sequenceTypes.get(outer.valueOf(v.init));
    if (elem) outer.sequenceTypes.set(results[k]!, elem);
  });
}

/** A TF variant carried by a loop is a TensorList: a sequence of the element dtype its maker gave. */
function carriedType(outer: GraphBuilder, v: LoopVar): ValueType {
  if (!v.dtype) throw new NeuropodError('MODEL_INVALID', `Enter node '${v.enter}' has no type attribute T`);
  if (v.dtype % 100 === TF_DATA_TYPES.DT_VARIANT) {
    const elem = outer.sequenceTypes.get(outer.valueOf(v.init));
    if (!elem) throw new NeuropodError('OP_UNSUPPORTED', `Enter node '${v.enter}' carries a variant that is not a TensorList this engine made (its loop cannot be lowered)`);
    return { kind: 'sequence', elem: { kind: 'tensor', dtype: elem } };
  }
  return { kind: 'tensor', dtype: dtypeOfTf(v.dtype, `Enter node '${v.enter}'`) };
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

export const CONTROL_OPS: Record<string, Lowering> = {
  [WHILE_OP]: whileLoop,
  [IF_OP]: cond,
};
