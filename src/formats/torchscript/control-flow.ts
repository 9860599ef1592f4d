import type { Graph, Node, ValueInfo } from '../../graph/ir.js';
import type { Expr, Stmt } from './python/ast.js';
import { Sym } from './graph-builder.js';
import { asSym, cast, resultType, type LoweringContext } from './tensor-values.js';
import { describeValue, PickleObject, PickleTuple, Tensor, tuple, Uninitialized, type PyValue } from './values.js';

/** A `return` reached while running a block. */
export class Return {
  constructor(readonly value: PyValue) {}
}

export type Frame = Map<string, PyValue>;

/**
 * Frames that are copies for a branch or loop body: an in-place op rebinds its tensor in the frames of the calls
 * it runs inside, up to and including the first such copy (the frame outside keeps the value from before).
 */
export const scopeFrames = new WeakSet<Frame>();

/** What lowering a run-time `if` / loop needs from the interpreter. */
export interface BlockRunner extends LoweringContext {
  block(body: Stmt[], frame: Frame): Return | undefined;
  eval(e: Expr, frame: Frame): PyValue;
}

/** Errors that stand for the model raising (prim::RaiseException, `raise`, a failing `assert`). */
const raised = new WeakSet<Error>();

export function markRaised<E extends Error>(error: E): E {
  raised.add(error);
  return error;
}

/** A condition only the run time knows: a graph value (constant tensors fold at load). */
export function isRuntimeCondition(v: PyValue): v is Sym {
  return v instanceof Sym;
}

/** A branch as it ran: its nodes, the frame it left, the value it returned. */
interface Branch {
  nodes: Node[];
  frame: Frame;
  returned?: Return;
}

/**
 * A run-time `if` as ONNX If. Each branch runs on a copy of the frame into its own node list; the names either
 * branch rebinds (and the returned value, when both return) become the If's outputs. A name bound in one branch
 * only is not visible after the `if` (TorchScript rejects a later use).
 */
export function lowerIf(r: BlockRunner, condition: Sym, stmt: Extract<Stmt, { kind: 'if' }>, frame: Frame): Return | undefined {
  const before = containerSnapshot(frame);
  const run = (body: Stmt[]): Branch | Error => {
    const branch: Branch = { nodes: [], frame: new Map(frame) };
    scopeFrames.add(branch.frame);
    try {
      branch.returned = r.builder.capture(branch.nodes, () => r.block(body, branch.frame));
    } catch (error) {
      if (error instanceof Error && raised.has(error)) return error;
      throw error;
    }
    if (before.changed()) throw r.fail('OP_UNSUPPORTED', `a run-time if whose branch changes a list or dict in place`);
    return branch;
  };
  const [then, otherwise] = [run(stmt.body), run(stmt.orelse)];
  if (then instanceof Error && otherwise instanceof Error) throw then;
  if (then instanceof Error || otherwise instanceof Error) return inline(r, (then instanceof Error ? otherwise : then) as Branch, frame);
  if (Boolean(then.returned) !== Boolean(otherwise.returned)) throw r.fail('OP_UNSUPPORTED', `a run-time if where only one branch returns`);
  const merger = new BranchMerger(r);
  const rebound = [...new Set([...then.frame.keys(), ...otherwise.frame.keys()])]
    .filter((name) => then.frame.get(name) !== frame.get(name) || otherwise.frame.get(name) !== frame.get(name))
    .filter((name) => then.frame.has(name) && otherwise.frame.has(name));
  const merged = rebound.map((name) => merger.merge(then.frame.get(name), otherwise.frame.get(name)));
  const returned = then.returned ? merger.merge(then.returned.value, otherwise.returned!.value) : undefined;
  merger.emit(condition, then.nodes, otherwise.nodes);
  rebound.forEach((name, i) => frame.set(name, merger.resolve(merged[i])));
  return returned === undefined ? undefined : new Return(merger.resolve(returned));
}

/**
 * A run-time check (`if bad: raise`, as the printer writes asserts and shape checks): ONNX has no way to raise,
 * so the branch that does not raise is taken unconditionally; the check is not enforced at run time.
 */
function inline(r: BlockRunner, branch: Branch, frame: Frame): Return | undefined {
  r.builder.nodes.push(...branch.nodes);
  for (const [name, value] of branch.frame) frame.set(name, value);
  return branch.returned;
}

/** `a if cond else b` with a run-time condition: an If whose branches compute one value each. */
export function lowerTernary(r: BlockRunner, condition: Sym, then: Expr, otherwise: Expr, frame: Frame): PyValue {
  const [thenNodes, elseNodes]: Node[][] = [[], []];
  const a = r.builder.capture(thenNodes, () => r.eval(then, frame));
  const b = r.builder.capture(elseNodes, () => r.eval(otherwise, frame));
  const merger = new BranchMerger(r);
  const merged = merger.merge(a, b);
  merger.emit(condition, thenNodes, elseNodes);
  return merger.resolve(merged);
}

/** Where a merged value has one If output: filled in once the If node exists. */
class Slot {
  sym?: Sym;
}

/** Pairs up what two branches leave into If outputs, keeping load-time values the branches agree on. */
class BranchMerger {
  private readonly slots: { slot: Slot; then: PyValue; otherwise: PyValue; dtype: Sym['dtype']; rank?: number }[] = [];

  constructor(private readonly r: BlockRunner) {}

  merge(a: PyValue, b: PyValue): PyValue {
    if (a === b) return a;
    if (a instanceof Uninitialized && b instanceof Uninitialized) return a;
    if ((a instanceof Uninitialized || isTensorLike(a)) && (b instanceof Uninitialized || isTensorLike(b))) return this.slot(a, b);
    if (a instanceof PickleTuple && b instanceof PickleTuple && a.items.length === b.items.length) return tuple(a.items.map((x, i) => this.merge(x, b.items[i])));
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.map((x, i) => this.merge(x, b[i]));
    if (a instanceof Map && b instanceof Map && a.size === b.size && [...a.keys()].every((k) => b.has(k))) {
      return new Map([...a].map(([k, v]) => [k, this.merge(v, b.get(k))]));
    }
    if (a instanceof PickleObject && b instanceof PickleObject && a.className === b.className && a.state instanceof Map && b.state instanceof Map) {
      const object = new PickleObject(a.className, []);
      object.state = this.merge(a.state, b.state) as Map<never, never>;
      return object;
    }
    throw this.r.fail('OP_UNSUPPORTED', `the branches of a run-time if leave ${describeValue(a)} and ${describeValue(b)} for one value`);
  }

  /** One If output; an uninitialized side (never read on its path) outputs a 0-d placeholder of the other's dtype. */
  private slot(a: PyValue, b: PyValue): Slot {
    const runtime = [a, b].filter((v) => v instanceof Sym || v instanceof Tensor) as (Sym | Tensor)[];
    if (runtime.length === 2 && runtime[0]!.dtype !== runtime[1]!.dtype) {
      throw this.r.fail('OP_UNSUPPORTED', `the branches of a run-time if give one value the dtypes ${runtime[0]!.dtype} and ${runtime[1]!.dtype}`);
    }
    const known = [a, b].filter((v) => !(v instanceof Uninitialized));
    const dtype = runtime[0]?.dtype ?? resultType(known);
    const placeholder = (v: PyValue) => (v instanceof Uninitialized ? this.r.builder.scalar(dtype === 'string' ? '' : 0, dtype) : v);
    const ranks = known.map((v) => (v instanceof Sym || v instanceof Tensor ? v.rank : 0));
    const slot = new Slot();
    this.slots.push({ slot, then: placeholder(a), otherwise: placeholder(b), dtype, rank: ranks.every((r) => r === ranks[0]) ? ranks[0] : undefined });
    return slot;
  }

  /** Appends the If node: each branch ends with an Identity per output, so outputs are the branch's own values. */
  emit(condition: Sym, thenNodes: Node[], elseNodes: Node[]): void {
    // Nothing flows out: the branches have no effect (and ONNX If needs at least one output).
    if (this.slots.length === 0) return;
    const b = this.r.builder;
    const cond = cast(this.r, condition, 'bool');
    const branch = (nodes: Node[], pick: 'then' | 'otherwise', name: string): Graph => {
      const outputs = b.capture(nodes, () => this.slots.map((s) => identity(this.r, asSym(this.r, s[pick], s.dtype), s.dtype)));
      return { name: b.fresh(name), nodes, inputs: [], outputs, initializers: new Map() };
    };
    const thenBranch = branch(thenNodes, 'then', 'then_branch');
    const elseBranch = branch(elseNodes, 'otherwise', 'else_branch');
    const names = this.slots.map(() => b.fresh('If'));
    b.node('If', [cond], names, { then_branch: { type: 'graph', value: thenBranch }, else_branch: { type: 'graph', value: elseBranch } });
    this.slots.forEach((s, i) => (s.slot.sym = new Sym(names[i]!, s.dtype, s.rank)));
  }

  /** The merged value with its If outputs in place. */
  resolve(v: PyValue): PyValue {
    if (v instanceof Slot) return v.sym!;
    if (v instanceof PickleTuple) return tuple(v.items.map((x) => this.resolve(x)));
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (v instanceof Map && [...v.values()].some(holdsSlot)) return new Map([...v].map(([k, x]) => [k, this.resolve(x)]));
    if (v instanceof PickleObject && holdsSlot(v.state)) {
      const object = new PickleObject(v.className, []);
      object.state = this.resolve(v.state) as Map<never, never>;
      return object;
    }
    return v;
  }
}

function holdsSlot(v: PyValue): boolean {
  if (v instanceof Slot) return true;
  if (v instanceof PickleTuple) return v.items.some(holdsSlot);
  if (Array.isArray(v)) return v.some(holdsSlot);
  if (v instanceof Map) return [...v.values()].some(holdsSlot);
  return false;
}

function isTensorLike(v: PyValue): boolean {
  return v instanceof Sym || v instanceof Tensor || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
}

/** A subgraph output: an Identity of `v`, typed by dtype only (ranks may differ between branches and iterations). */
function identity(c: LoweringContext, v: Sym, dtype: Sym['dtype']): ValueInfo {
  const [name] = c.builder.node('Identity', [v], 1);
  return { name: name!, type: { kind: 'tensor', dtype } };
}

/**
 * The lists and dicts reachable from a frame with a shallow copy of each, so a branch or loop body that mutates
 * one in place (which a subgraph cannot express) is caught rather than lowered wrongly.
 */
export function containerSnapshot(frame: Frame): { changed(): boolean } {
  const seen = new Map<unknown, unknown[]>();
  const visit = (v: PyValue): void => {
    if (seen.has(v)) return;
    if (Array.isArray(v)) {
      seen.set(v, [...v]);
      v.forEach(visit);
    } else if (v instanceof Map) {
      seen.set(v, [...v.entries()].flat());
      v.forEach(visit);
    } else if (v instanceof PickleTuple) v.items.forEach(visit);
  };
  frame.forEach(visit);
  return {
    changed: () => [...seen].some(([container, copy]) => {
      const now = Array.isArray(container) ? container : [...(container as Map<unknown, unknown>).entries()].flat();
      return now.length !== copy.length || now.some((x, i) => x !== copy[i]);
    }),
  };
}
