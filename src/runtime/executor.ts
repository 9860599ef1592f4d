import { isNeuropodError, NeuropodError } from '../api/errors.js';
import { AttributeReader } from '../graph/attributes.js';
import type { Graph, Model, Node, Opsets } from '../graph/ir.js';
import type { Value } from '../graph/value.js';
import { canonicalDomain, type KernelDef, type KernelTable } from '../../kernels/registry.js';

/** One node's run, for `model.profile()`. */
export interface OpTiming {
  node: string;
  op: string;
  backend: string;
  ms: number;
}

interface Step {
  node: Node;
  kernel: KernelDef;
  opset: number;
  attrs: AttributeReader;
  /** Values whose last use is this step: freed after it runs. */
  release: string[];
}

interface Plan {
  steps: Step[];
}

type Scope = (name: string) => Value | undefined;

const DEFAULT_OPSET: Record<string, number> = { '': 1 };

/**
 * The reference executor: runs a graph node by node on the TypeScript kernels. It is the oracle every faster
 * backend is compared with, so it favours being plainly right over being fast.
 */
export class GraphExecutor {
  private readonly plans = new WeakMap<Graph, Map<string, Plan>>();

  constructor(
    readonly model: Model,
    private readonly kernels: KernelTable,
  ) {}

  /** Throws OP_UNSUPPORTED for the first node (subgraphs included) that no kernel covers. */
  checkSupported(graph: Graph = this.model.graph): void {
    for (const node of graph.nodes) {
      this.kernelFor(node);
      for (const sub of subgraphsOf(node)) this.checkSupported(sub);
    }
  }

  private opsetOf(domain: string): number {
    return opsetFor(this.model.opsets, domain);
  }

  private kernelFor(node: Node): { kernel: KernelDef; opset: number } {
    const opset = this.opsetOf(node.domain);
    const kernel = this.kernels.find(node.domain, node.opType, opset);
    if (!kernel) {
      const domain = canonicalDomain(node.domain) || 'ai.onnx';
      throw new NeuropodError('OP_UNSUPPORTED', `Unsupported operator ${node.opType} (domain ${domain}, opset ${opset}) at node '${node.name || '(unnamed)'}'`);
    }
    return { kernel, opset };
  }

  /** Runs the main graph. `outputs` defaults to every graph output. */
  run(feeds: Map<string, Value>, outputs?: readonly string[], profile?: OpTiming[]): Map<string, Value> {
    const graph = this.model.graph;
    const wanted = outputs ?? graph.outputs.map((o) => o.name);
    const values = this.execute(graph, feeds, wanted, () => undefined, profile);
    const result = new Map<string, Value>();
    for (const name of wanted) {
      const v = values.get(name);
      if (v === undefined) throw new NeuropodError('INFERENCE_FAILED', `the graph produced no value for output '${name}'`);
      result.set(name, v);
    }
    return result;
  }

  private execute(graph: Graph, feeds: Map<string, Value>, wanted: readonly string[], outer: Scope, profile?: OpTiming[]): Map<string, Value> {
    const plan = this.planFor(graph, wanted);
    const env = new Map<string, Value>(feeds);
    const lookup: Scope = (name) => env.get(name) ?? (graph.initializers.get(name) as Value | undefined) ?? outer(name);
    for (const step of plan.steps) {
      const { node } = step;
      const inputs = node.inputs.map((n) => (n === '' ? undefined : lookup(n)));
      const started = profile ? performance.now() : 0;
      let outs: (Value | undefined)[];
      try {
        outs = step.kernel.run(inputs, {
          node,
          attrs: step.attrs,
          opset: step.opset,
          runSubgraph: (sub, subInputs) => this.runSubgraph(sub, subInputs, lookup, profile),
        });
      } catch (e) {
        throw nodeFailure(node, e);
      }
      if (profile) profile.push({ node: node.name, op: node.opType, backend: step.kernel.backend ?? 'cpu', ms: performance.now() - started });
      node.outputs.forEach((name, i) => {
        const v = outs[i];
        if (name !== '' && v !== undefined) env.set(name, v);
      });
      for (const name of step.release) env.delete(name);
    }
    return env;
  }

  private runSubgraph(graph: Graph, inputs: (Value | undefined)[], outer: Scope, profile?: OpTiming[]): Value[] {
    const feeds = new Map<string, Value>();
    graph.inputs.forEach((info, i) => {
      const v = inputs[i];
      if (v !== undefined) feeds.set(info.name, v);
    });
    const wanted = graph.outputs.map((o) => o.name);
    const values = this.execute(graph, feeds, wanted, outer, profile);
    const lookup = (name: string): Value => {
      const v = values.get(name) ?? (graph.initializers.get(name) as Value | undefined) ?? outer(name);
      if (v === undefined) throw new NeuropodError('INFERENCE_FAILED', `subgraph '${graph.name}' produced no value for its output '${name}'`);
      return v;
    };
    return wanted.map(lookup);
  }

  private planFor(graph: Graph, wanted: readonly string[]): Plan {
    const key = wanted.join('\u0000');
    let byOutputs = this.plans.get(graph);
    if (!byOutputs) this.plans.set(graph, (byOutputs = new Map()));
    let plan = byOutputs.get(key);
    if (!plan) byOutputs.set(key, (plan = this.makePlan(graph, wanted)));
    return plan;
  }

  /** Orders the nodes that the wanted outputs need (dead nodes dropped) and frees each value after its last use. */
  private makePlan(graph: Graph, wanted: readonly string[]): Plan {
    const order = topologicalOrder(graph, wanted);
    const lastUse = new Map<string, number>();
    order.forEach((node, i) => {
      for (const name of usedNames(node)) lastUse.set(name, i);
    });
    const keep = new Set([...wanted, ...graph.inputs.map((i) => i.name)]);
    const releaseAt: string[][] = order.map(() => []);
    for (const [name, i] of lastUse) if (!keep.has(name) && !graph.initializers.has(name)) releaseAt[i]!.push(name);
    order.forEach((node, i) => {
      for (const out of node.outputs) if (out !== '' && !lastUse.has(out) && !keep.has(out)) releaseAt[i]!.push(out);
    });
    const steps = order.map((node, i) => {
      const { kernel, opset } = this.kernelFor(node);
      return { node, kernel, opset, attrs: new AttributeReader(node.attributes, node), release: releaseAt[i]! };
    });
    return { steps };
  }
}

/** The version of `domain` a model imports (ai.onnx defaults to 1 when the model names none). */
export function opsetFor(opsets: Opsets, domain: string): number {
  const d = canonicalDomain(domain);
  return opsets.get(d) ?? (d === '' ? opsets.get('ai.onnx') : undefined) ?? DEFAULT_OPSET[d] ?? 1;
}

export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes.values()) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

/** Names a subgraph reads from enclosing scopes (ONNX: a subgraph may use any outer value by name). */
function outerNames(graph: Graph): Set<string> {
  const local = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  const used = new Set<string>();
  for (const node of graph.nodes) {
    for (const name of usedNames(node)) if (!local.has(name)) used.add(name);
    for (const out of node.outputs) local.add(out);
  }
  for (const name of local) used.delete(name);
  return used;
}

const outerCache = new WeakMap<Graph, Set<string>>();

/** Inputs of a node plus what its subgraphs read from outside them. */
export function usedNames(node: Node): string[] {
  const names = node.inputs.filter((n) => n !== '');
  for (const sub of subgraphsOf(node)) {
    let outer = outerCache.get(sub);
    if (!outer) outerCache.set(sub, (outer = outerNames(sub)));
    names.push(...outer);
  }
  return names;
}

/** Kahn's order over the nodes the wanted names depend on; a cycle is a model error. */
export function topologicalOrder(graph: Graph, wanted: readonly string[]): Node[] {
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) for (const out of node.outputs) if (out !== '') producer.set(out, node);
  const needed = new Set<Node>();
  const stack = [...wanted];
  while (stack.length) {
    const node = producer.get(stack.pop()!);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    stack.push(...usedNames(node));
  }
  const order: Node[] = [];
  const state = new Map<Node, 1 | 2>();
  const depsOf = new Map<Node, string[]>();
  // Iterative DFS keeps the file's order where it is already valid (ONNX requires topological order).
  for (const root of graph.nodes) {
    if (!needed.has(root) || state.has(root)) continue;
    const work: [Node, number][] = [[root, 0]];
    state.set(root, 1);
    while (work.length) {
      const top = work[work.length - 1]!;
      let deps = depsOf.get(top[0]);
      if (!deps) depsOf.set(top[0], (deps = usedNames(top[0])));
      if (top[1] < deps.length) {
        const dep = producer.get(deps[top[1]++]!);
        if (!dep || !needed.has(dep)) continue;
        const s = state.get(dep);
        if (s === 1) throw new NeuropodError('MODEL_INVALID', `the graph has a cycle through node '${dep.name || dep.opType}'`);
        if (s === undefined) {
          state.set(dep, 1);
          work.push([dep, 0]);
        }
      } else {
        work.pop();
        state.set(top[0], 2);
        order.push(top[0]);
      }
    }
  }
  return order;
}

function nodeFailure(node: Node, e: unknown): NeuropodError {
  const where = `${node.opType} node '${node.name || '(unnamed)'}'`;
  if (isNeuropodError(e)) {
    if (e.message.includes(where)) return e;
    return new NeuropodError(e.code === 'OP_UNSUPPORTED' ? e.code : 'INFERENCE_FAILED', `${where}: ${e.message}`, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new NeuropodError('INFERENCE_FAILED', `${where} failed: ${message}`, { cause: e });
}

export type { Opsets };
