import { NeuropodError } from '../../api/errors.js';
import type { AttributeMsg, FunctionMsg, GraphMsg, NodeMsg } from './schema.js';

/**
 * Model-local functions (ModelProto.functions) are inlined at load, so the runtime and every backend see only
 * operators. A call's body is copied with its formal inputs/outputs renamed to the call's actual names, every other
 * value it makes given a prefix unique to the call, and attributes that reference the call's attributes
 * (`ref_attr_name`) replaced by them (or by the function's default, or dropped when neither exists: onnx.proto
 * AttributeProto.ref_attr_name).
 */
export function inlineFunctions(graph: GraphMsg, functions: readonly FunctionMsg[]): void {
  if (functions.length === 0) return;
  const byKey = new Map(functions.map((f) => [functionKey(f.domain, f.name, f.overload), f]));
  new Inliner(byKey).inlineGraph(graph, 0);
}

function functionKey(domain: string, name: string, overload: string): string {
  return `${domain === 'ai.onnx' ? '' : domain}\u0000${name}\u0000${overload}`;
}

/** Nested calls deeper than this are a recursive function, which ONNX forbids. */
const MAX_DEPTH = 64;

class Inliner {
  private calls = 0;
  constructor(private readonly functions: Map<string, FunctionMsg>) {}

  inlineGraph(graph: GraphMsg, depth: number): void {
    graph.node = this.inlineNodes(graph.node, depth);
  }

  private inlineNodes(nodes: readonly NodeMsg[], depth: number): NodeMsg[] {
    const out: NodeMsg[] = [];
    for (const node of nodes) {
      const fn = this.functions.get(functionKey(node.domain, node.op_type, node.overload));
      if (!fn) {
        for (const sub of subgraphsOf(node)) this.inlineGraph(sub, depth);
        out.push(node);
        continue;
      }
      if (depth >= MAX_DEPTH) throw new NeuropodError('MODEL_INVALID', `function '${fn.name}' calls itself (inlining went ${MAX_DEPTH} levels deep)`);
      out.push(...this.inlineNodes(this.expand(node, fn), depth + 1));
    }
    return out;
  }

  private expand(call: NodeMsg, fn: FunctionMsg): NodeMsg[] {
    const prefix = `${call.name || fn.name}__call${this.calls++}/`;
    const rename = new Map<string, string>();
    fn.input.forEach((name, i) => rename.set(name, call.input[i] ?? ''));
    fn.output.forEach((name, i) => rename.set(name, call.output[i] || prefix + name));
    for (const node of fn.node) for (const out of node.output) if (out !== '' && !rename.has(out)) rename.set(out, prefix + out);
    const callAttrs = new Map(call.attribute.map((a) => [a.name, a]));
    const defaults = new Map(fn.attribute_proto.map((a) => [a.name, a]));
    const bind = (ref: string): AttributeMsg | undefined => callAttrs.get(ref) ?? defaults.get(ref);
    return fn.node.map((node) => copyNode(node, { rename, bind, namePrefix: prefix }));
  }
}

interface CopyContext {
  rename: Map<string, string>;
  bind: (ref: string) => AttributeMsg | undefined;
  namePrefix: string;
}

/** A copy keeping the decoded message's prototype, where protobufjs keeps field defaults. */
function copyMessage<T extends object>(message: T, changes: Partial<T>): T {
  return Object.assign(Object.create(Object.getPrototypeOf(message) as object) as T, message, changes);
}

function copyNode(node: NodeMsg, ctx: CopyContext): NodeMsg {
  const mapName = (n: string): string => ctx.rename.get(n) ?? n;
  return copyMessage(node, {
    name: node.name ? ctx.namePrefix + node.name : '',
    input: node.input.map(mapName),
    output: node.output.map(mapName),
    attribute: node.attribute.flatMap((a) => copyAttribute(a, ctx)),
  });
}

function copyAttribute(attr: AttributeMsg, ctx: CopyContext): AttributeMsg[] {
  if (attr.ref_attr_name) {
    const bound = ctx.bind(attr.ref_attr_name);
    return bound ? [copyMessage(bound, { name: attr.name })] : [];
  }
  if (attr.g) return [copyMessage(attr, { g: copyGraph(attr.g, ctx) })];
  if (attr.graphs.length) return [copyMessage(attr, { graphs: attr.graphs.map((g) => copyGraph(g, ctx)) })];
  return [attr];
}

/** A subgraph of a function body reads the body's values by name: those names are renamed there too, consistently. */
function copyGraph(graph: GraphMsg, ctx: CopyContext): GraphMsg {
  const inner = { ...ctx, namePrefix: '' };
  return copyMessage(graph, {
    node: graph.node.map((n) => copyNode(n, inner)),
    input: graph.input.map((i) => copyMessage(i, { name: ctx.rename.get(i.name) ?? i.name })),
    output: graph.output.map((o) => copyMessage(o, { name: ctx.rename.get(o.name) ?? o.name })),
  });
}

export function subgraphsOf(node: NodeMsg): GraphMsg[] {
  return node.attribute.flatMap((a) => (a.g ? [a.g] : a.graphs));
}
