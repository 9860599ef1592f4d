import { NeuropodError } from '../../api/errors.js';
import { text } from './attr.js';
import { dependencyOrder, producerOf, type TfNode } from './builder.js';

/**
 * TF1 control flow as a frozen GraphDef holds it (tf.while_loop and tf.cond of TF 1.x): dataflow ops that route
 * values by frame (Enter/Exit/NextIteration/LoopCond) and by predicate (Switch/Merge). This analysis collapses
 * each loop and each cond into one node (`_NeuropodWhile`, `_NeuropodIf`) holding its regions' nodes, so the
 * graph left over is acyclic and its lowering emits ONNX Loop and If with the regions as subgraphs.
 */

export const WHILE_OP = '_NeuropodWhile';
export const IF_OP = '_NeuropodIf';

/** One loop-carried value: Enter -> Merge(Enter, NextIteration) -> Switch(Merge, LoopCond) -> Exit. */
export interface LoopVar {
  /** The outer tensor the loop starts from (the Enter's input). */
  init: string;
  enter: string;
  merge: string;
  switch: string;
  /** The tensor the NextIteration passes back (the body's result). */
  next: string;
  dtype: number;
}

export interface WhileRegion {
  kind: 'while';
  frame: string;
  vars: LoopVar[];
  /** is_constant Enters: the loop reads the outer tensor as it is. */
  invariants: { enter: string; value: string }[];
  /** The nodes computing the condition from the Merges, and the tensor LoopCond reads. */
  condNodes: TfNode[];
  cond: string;
  /** The nodes computing the NextIteration values from the Switches' true outputs. */
  bodyNodes: TfNode[];
}

export interface CondRegion {
  kind: 'cond';
  pred: string;
  /** Switches on the predicate: in a branch, output 0 (else) or 1 (then) is the Switch's data input. */
  switches: { name: string; data: string }[];
  /** One output per Merge: its inputs from the else and the then branch. */
  outputs: { merge: string; whenFalse: string; whenTrue: string }[];
  thenNodes: TfNode[];
  elseNodes: TfNode[];
}

const ENTER = new Set(['Enter', 'RefEnter']);
const EXIT = new Set(['Exit', 'RefExit']);
const MERGE = new Set(['Merge', 'RefMerge']);
const SWITCH = new Set(['Switch', 'RefSwitch']);
const NEXT = new Set(['NextIteration', 'RefNextIteration']);
const CONTROL_FLOW = new Set([...ENTER, ...EXIT, ...MERGE, ...SWITCH, ...NEXT, 'LoopCond']);

const cfError = (message: string) => new NeuropodError('OP_UNSUPPORTED', message);

/** The graph with every TF1 loop and cond collapsed; a graph without them comes back as it is. */
export function collapseControlFlow(nodes: TfNode[]): TfNode[] {
  if (!nodes.some((n) => CONTROL_FLOW.has(n.op))) return nodes;
  return collapseConds(collapseLoops(nodes));
}

/** A Merge input from a NextIteration is the loop's back edge; without them the graph is acyclic. */
function forwardDeps(node: TfNode, byName: Map<string, TfNode>): string[] {
  const data = node.inputs.map(producerOf);
  const deps = MERGE.has(node.op) ? data.filter((d) => !NEXT.has(byName.get(d)?.op ?? '')) : data;
  return [...deps, ...node.controls];
}

/** Each node's frame ('' = the root) and each frame's parent, from the frame_name of its Enters. */
function framesOf(nodes: TfNode[], byName: Map<string, TfNode>) {
  const frame = new Map<string, string>();
  const parent = new Map<string, string>();
  const depth = (f: string): number => (f === '' ? 0 : 1 + depth(parent.get(f) ?? ''));
  const within = (inner: string, outer: string): boolean => inner === outer || (inner !== '' && within(parent.get(inner) ?? '', outer));
  const decide = (node: TfNode): string => {
    const deps = forwardDeps(node, byName).filter((d) => byName.has(d));
    if (ENTER.has(node.op)) {
      const name = text(node.attr.frame_name?.s);
      if (!name) throw cfError(`Enter node '${node.name}' has no frame_name`);
      const outer = frame.get(producerOf(node.inputs[0] ?? '')) ?? '';
      const known = parent.get(name);
      // A root constant entered directly says nothing about nesting: the deepest frame an Enter comes from wins.
      if (known !== undefined && !within(outer, known) && !within(known, outer)) {
        throw cfError(`loop frame '${name}' is entered from two unrelated frames ('${known}' and '${outer}'), at Enter node '${node.name}'`);
      }
      if (known === undefined || within(outer, known)) parent.set(name, outer);
      return name;
    }
    if (EXIT.has(node.op)) {
      const inner = frame.get(deps[0] ?? '') ?? '';
      if (inner === '') throw cfError(`Exit node '${node.name}' is not inside a loop frame`);
      return parent.get(inner)!;
    }
    let deepest = '';
    for (const d of deps) {
      const f = frame.get(d)!;
      if (within(f, deepest)) deepest = f;
      else if (!within(deepest, f)) throw cfError(`node '${node.name}' reads values of two loops ('${deepest}' and '${f}') without an Enter`);
    }
    return deepest;
  };
  // Iterative depth-first walk over forward edges: each node is decided after its dependencies.
  const state = new Map<string, 'open' | 'done'>();
  for (const start of nodes) {
    if (state.has(start.name)) continue;
    const stack: [TfNode, number][] = [[start, 0]];
    state.set(start.name, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const deps = forwardDeps(top[0], byName);
      if (top[1] < deps.length) {
        const dep = byName.get(deps[top[1]++]!);
        if (!dep) continue;
        const s = state.get(dep.name);
        if (s === 'open') throw cfError(`the graph has a cycle through node '${dep.name}' that is not a TF1 while loop (no NextIteration closes it)`);
        if (!s) {
          state.set(dep.name, 'open');
          stack.push([dep, 0]);
        }
      } else {
        stack.pop();
        state.set(top[0].name, 'done');
        frame.set(top[0].name, decide(top[0]));
      }
    }
  }
  return { frame, parent, depth };
}

/** Innermost loops first: each becomes one node in its parent frame, its Exits Identities of that node's outputs. */
function collapseLoops(nodes: TfNode[]): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const { frame, parent, depth } = framesOf(nodes, byName);
  const frames = [...parent.keys()].sort((a, b) => depth(b) - depth(a));
  let current = nodes;
  for (const f of frames) {
    const members = current.filter((n) => frame.get(n.name) === f);
    const { node, exits } = whileNode(f, members, current);
    const memberNames = new Set(members.map((m) => m.name));
    frame.set(node.name, parent.get(f)!);
    current = [...current.filter((n) => !memberNames.has(n.name)).map((n) => exits.get(n.name) ?? n), node];
  }
  return current;
}

/** Nodes of `pool` that `roots` need, walking back until `stop` says a tensor comes from outside the region. */
function closure(roots: string[], pool: Map<string, TfNode>, stop: (node: TfNode) => boolean): TfNode[] {
  const seen = new Set<string>();
  const out: TfNode[] = [];
  const stack = roots.map(producerOf);
  while (stack.length) {
    const node = pool.get(stack.pop()!);
    if (!node || seen.has(node.name) || stop(node)) continue;
    seen.add(node.name);
    out.push(node);
    stack.push(...node.inputs.map(producerOf), ...node.controls);
  }
  return out;
}

/** The tensors and control inputs a region reads from outside it: the collapsed node's inputs, for ordering. */
function outerReads(region: TfNode[], extra: string[]): { inputs: string[]; controls: string[] } {
  const inside = new Set(region.map((n) => n.name));
  const inputs = new Set(extra);
  const controls = new Set<string>();
  for (const n of region) {
    for (const i of n.inputs) if (!inside.has(producerOf(i))) inputs.add(i);
    for (const c of n.controls) if (!inside.has(c)) controls.add(c);
  }
  return { inputs: [...inputs], controls: [...controls] };
}

function whileNode(f: string, members: TfNode[], all: TfNode[]) {
  const pool = new Map(members.map((n) => [n.name, n]));
  const loopConds = members.filter((n) => n.op === 'LoopCond');
  if (loopConds.length !== 1) throw cfError(`loop frame '${f}' has ${loopConds.length} LoopCond nodes; a tf.while_loop has one`);
  const loopCond = loopConds[0]!;
  const enters = members.filter((n) => ENTER.has(n.op) && text(n.attr.frame_name?.s) === f);
  const invariants = enters.filter((e) => e.attr.is_constant?.b).map((e) => ({ enter: e.name, value: e.inputs[0]! }));
  const vars: LoopVar[] = [];
  const exits = new Map<string, TfNode>();
  for (const enter of enters.filter((e) => !e.attr.is_constant?.b)) {
    const merge = members.find((n) => MERGE.has(n.op) && n.inputs.includes(`${enter.name}:0`));
    const next = merge && pool.get(producerOf(merge.inputs.find((i) => i !== `${enter.name}:0`) ?? ''));
    if (!merge || merge.inputs.length !== 2 || !next || !NEXT.has(next.op)) {
      throw cfError(`Enter node '${enter.name}' of loop frame '${f}' does not feed a Merge with a NextIteration, the shape tf.while_loop gives a loop variable`);
    }
    const sw = members.find((n) => SWITCH.has(n.op) && n.inputs[0] === `${merge.name}:0` && n.inputs[1] === `${loopCond.name}:0`);
    if (!sw) throw cfError(`Merge node '${merge.name}' of loop frame '${f}' feeds no Switch on LoopCond '${loopCond.name}'`);
    const k = vars.length;
    vars.push({ init: enter.inputs[0]!, enter: enter.name, merge: merge.name, switch: sw.name, next: next.inputs[0]!, dtype: enter.attr.T?.type ?? 0 });
    for (const exit of all.filter((n) => EXIT.has(n.op) && n.inputs[0] === `${sw.name}:0`)) {
      exits.set(exit.name, { name: exit.name, op: 'Identity', inputs: [`${whileName(loopCond)}:${k}`], controls: exit.controls, attr: {} });
    }
  }
  const structural = new Set([loopCond.name, ...enters.map((e) => e.name), ...vars.flatMap((v) => [v.merge, v.switch])]);
  const nexts = new Set(members.filter((n) => NEXT.has(n.op)).map((n) => n.name));
  const condNodes = closure([loopCond.inputs[0]!], pool, (n) => structural.has(n.name) || nexts.has(n.name));
  const bodyNodes = closure(vars.map((v) => v.next), pool, (n) => structural.has(n.name) && !MERGE.has(n.op));
  const merges = new Set(vars.map((v) => v.merge));
  const readsMerge = bodyNodes.find((n) => merges.has(n.name));
  if (readsMerge) throw cfError(`the body of loop frame '${f}' reads Merge node '${readsMerge.name}' directly rather than through its Switch, which is not the shape tf.while_loop gives`);
  const outer = outerReads([...condNodes, ...bodyNodes], [...vars.map((v) => v.init), ...invariants.map((i) => i.value)]);
  const insideNames = new Set(members.map((m) => m.name));
  const region: WhileRegion = { kind: 'while', frame: f, vars, invariants, condNodes: collapseConds(condNodes), cond: loopCond.inputs[0]!, bodyNodes: collapseConds(bodyNodes) };
  const node: TfNode = {
    name: whileName(loopCond),
    op: WHILE_OP,
    inputs: outer.inputs.filter((i) => !insideNames.has(producerOf(i))),
    controls: outer.controls.filter((c) => !insideNames.has(c)),
    attr: {},
    region,
  };
  return { node, exits };
}

function whileName(loopCond: TfNode): string {
  return `${loopCond.name}/while`;
}

/** A guard: the (predicate, branch) pairs a tensor is live under, outermost first. */
type Guard = readonly string[];
const literal = (pred: string, branch: boolean) => `${branch ? 'T' : 'F'}|${pred}`;
const isPrefix = (a: Guard, b: Guard) => a.length <= b.length && a.every((x, i) => b[i] === x);

/**
 * The conds of one acyclic region whose Merges are live unconditionally, each collapsed to one node; their
 * branches are collapsed the same way, recursively (an inner cond's Switches are outer values in the branch).
 */
function collapseConds(nodes: TfNode[]): TfNode[] {
  if (!nodes.some((n) => MERGE.has(n.op) || SWITCH.has(n.op))) return nodes;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const canonical = (tensor: string): string => {
    let t = tensor;
    for (let node = byName.get(producerOf(t)); node && (node.op === 'Identity' || node.op === 'Snapshot'); node = byName.get(producerOf(t))) t = node.inputs[0]!;
    return t;
  };
  const guards = guardsOf(nodes, byName, canonical);
  const top = nodes.filter((n) => MERGE.has(n.op) && (guards.get(`${n.name}:0`) ?? []).length === 0);
  if (!top.length) return nodes;
  // Merges on one predicate are one If unless one of them depends on another: those go to a later If.
  const byPred = new Map<string, TfNode[]>();
  for (const merge of top) {
    const g = guards.get(merge.inputs[0]!)!;
    const pred = g[0]!.slice(2);
    byPred.set(pred, [...(byPred.get(pred) ?? []), merge]);
  }
  let current = nodes;
  for (const [pred, merges] of byPred) {
    for (const layer of layers(merges, byName)) current = collapseCond(pred, layer, current, guards, byName);
  }
  return current;
}

function guardsOf(nodes: TfNode[], byName: Map<string, TfNode>, canonical: (t: string) => string): Map<string, Guard> {
  const guards = new Map<string, Guard>();
  const guardOf = (tensor: string): Guard => guards.get(tensor) ?? guards.get(`${producerOf(tensor)}:0`) ?? [];
  const join = (node: TfNode, tensors: string[]): Guard => {
    let deepest: Guard = [];
    for (const t of tensors) {
      const g = guardOf(t);
      if (isPrefix(deepest, g)) deepest = g;
      else if (!isPrefix(g, deepest)) throw cfError(`node '${node.name}' reads values of two tf.cond branches (${describe(deepest)} and ${describe(g)}) that no Merge joins`);
    }
    return deepest;
  };
  const set = (node: TfNode, g: Guard, count: number) => {
    for (let i = 0; i < count; i++) guards.set(`${node.name}:${i}`, g);
  };
  for (const node of topological(nodes, byName)) {
    const inputs = [...node.inputs, ...node.controls.map((c) => `${c}:0`)];
    if (SWITCH.has(node.op)) {
      const g = join(node, inputs);
      const pred = canonical(node.inputs[1]!);
      guards.set(`${node.name}:0`, [...g, literal(pred, false)]);
      guards.set(`${node.name}:1`, [...g, literal(pred, true)]);
    } else if (MERGE.has(node.op)) {
      const gs = node.inputs.map(guardOf);
      const outer = gs[0]?.slice(0, -1) ?? [];
      const last = gs.map((g) => g[g.length - 1]);
      const pred = last[0]?.slice(2);
      const ok = gs.length === 2 && gs.every((g) => g.length === outer.length + 1 && isPrefix(outer, g)) && last[1]?.slice(2) === pred && last[0] !== last[1];
      if (!ok) throw cfError(`Merge node '${node.name}' does not join the two branches of one tf.cond (its inputs are live under ${gs.map(describe).join(' and ')})`);
      set(node, outer, 2);
    } else {
      set(node, join(node, inputs), Math.max(1, outputCount(node, nodes)));
    }
  }
  return guards;
}

function describe(g: Guard): string {
  return g.length ? g.map((l) => `${l.slice(2)} is ${l[0] === 'T' ? 'true' : 'false'}`).join(', ') : 'always';
}

/** The highest output index any node reads from `node`, plus one. */
function outputCount(node: TfNode, nodes: TfNode[]): number {
  let count = 1;
  const prefix = `${node.name}:`;
  for (const n of nodes) for (const i of n.inputs) if (i.startsWith(prefix)) count = Math.max(count, Number(i.slice(prefix.length)) + 1);
  return count;
}

function topological(nodes: TfNode[], byName: Map<string, TfNode>): TfNode[] {
  return dependencyOrder(byName, nodes.map((n) => n.name), { cycle: (name) => cfError(`the graph has a cycle through node '${name}'`) });
}

/** Merges grouped so that none depends on another of its group: layer k depends only on layers before it. */
function layers(merges: TfNode[], byName: Map<string, TfNode>): TfNode[][] {
  const names = new Set(merges.map((m) => m.name));
  const layer = new Map<string, number>();
  const layerOf = (merge: TfNode): number => {
    const known = layer.get(merge.name);
    if (known !== undefined) return known;
    const ancestors = closure([...merge.inputs, ...merge.controls], byName, () => false);
    const below = ancestors.filter((a) => names.has(a.name)).map((a) => layerOf(a));
    const l = below.length ? Math.max(...below) + 1 : 0;
    layer.set(merge.name, l);
    return l;
  };
  const out: TfNode[][] = [];
  for (const m of merges) (out[layerOf(m)] ??= []).push(m);
  return out.filter((l) => l.length);
}

/** `byName` is the region before any cond was collapsed: a branch node two Ifs need is in both. */
function collapseCond(pred: string, merges: TfNode[], nodes: TfNode[], guards: Map<string, Guard>, byName: Map<string, TfNode>): TfNode[] {
  const first = merges[0]!;
  const name = `${first.name}/cond`;
  const underBranch = (branch: boolean) => (n: TfNode) => !(guards.get(`${n.name}:0`) ?? [])[0]?.startsWith(branch ? 'T|' : 'F|') || (guards.get(`${n.name}:0`) ?? [])[0]?.slice(2) !== pred;
  const outputs = merges.map((m) => {
    const [a, b] = m.inputs as [string, string];
    const aTrue = guards.get(a)![0]!.startsWith('T|');
    return { merge: m.name, whenFalse: aTrue ? b : a, whenTrue: aTrue ? a : b };
  });
  const switchesOf = (ns: TfNode[]) => {
    const reads = new Set(ns.flatMap((n) => [...n.inputs.map(producerOf), ...n.controls]));
    return [...byName.values()].filter((n) => SWITCH.has(n.op) && reads.has(n.name) && (guards.get(`${n.name}:1`) ?? [])[0] === literal(pred, true));
  };
  const thenAll = closure(outputs.map((o) => o.whenTrue), byName, (n) => underBranch(true)(n) || merges.includes(n));
  const elseAll = closure(outputs.map((o) => o.whenFalse), byName, (n) => underBranch(false)(n) || merges.includes(n));
  // The Switches the branches read open the branch: they stand for their data input there.
  const switches = [...new Set([...switchesOf(thenAll), ...switchesOf(elseAll), ...switchesOf(merges)])];
  const switchNames = new Set(switches.map((s) => s.name));
  const thenNodes = thenAll.filter((n) => !switchNames.has(n.name));
  const elseNodes = elseAll.filter((n) => !switchNames.has(n.name));
  const region: CondRegion = {
    kind: 'cond',
    pred,
    switches: switches.map((s) => ({ name: s.name, data: s.inputs[0]! })),
    outputs,
    thenNodes: collapseConds(thenNodes),
    elseNodes: collapseConds(elseNodes),
  };
  const removed = new Set([...thenNodes, ...elseNodes].map((n) => n.name));
  const outer = outerReads([...thenNodes, ...elseNodes], [pred, ...switches.map((s) => s.inputs[0]!)]);
  const mergeIndex = new Map(merges.map((m, k) => [m.name, k]));
  const node: TfNode = {
    name,
    op: IF_OP,
    inputs: outer.inputs.filter((i) => !switchNames.has(producerOf(i))),
    controls: [...outer.controls, ...merges.flatMap((m) => m.controls)].filter((c) => !switchNames.has(c) && !removed.has(c)),
    attr: {},
    region,
  };
  const reader = nodes.find((n) => n.inputs.some((i) => mergeIndex.has(producerOf(i)) && !i.endsWith(':0')));
  if (reader) throw cfError(`node '${reader.name}' reads the value_index output of a tf.cond Merge, which this engine does not lower`);
  const replaced = nodes
    .filter((n) => !removed.has(n.name))
    .map((n): TfNode => (mergeIndex.has(n.name) ? { name: n.name, op: 'Identity', inputs: [`${name}:${mergeIndex.get(n.name)!}`], controls: [], attr: {} } : n));
  return [...replaced, node];
}
