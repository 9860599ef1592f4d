import type { Graph, Node, ValueInfo } from '../../graph/ir.js';
import type { DType } from '../../tensor/dtype.js';
import type { Expr, Stmt } from './python/ast.js';
import { containerSnapshot, scopeFrames, type BlockRunner, type Frame } from './control-flow.js';
import { Sym } from './graph-builder.js';
import { asSym, cast, resultType, type LoweringContext } from './tensor-values.js';
import { AppendTarget, describeValue, ScannedList, Tensor, Uninitialized, type PyValue } from './values.js';

/** How a run-time loop is driven: a trip count (`for i in range(n)`), a condition (`while`), or both. */
export interface LoopDrive {
  /** int64 trip count, for `range()`. */
  trips?: Sym;
  /** `for` target bound to `start + iteration` (start undefined: the iteration number itself). */
  target?: { expr: Expr; start?: Sym };
  /** The `while` test: its value before the loop, re-evaluated at the end of each pass. */
  test?: { expr: Expr; initial: Sym };
}

/** A value carried from one iteration to the next. */
interface Carried {
  name: string;
  initial: Sym;
  dtype: DType;
  rank: number | undefined;
}

/**
 * A loop whose trip count or condition only the run time knows, as ONNX Loop. The names the body assigns that
 * exist before the loop are carried (Python numbers become 0-d tensors); names first bound in the body are local
 * to it. A carried `uninitialized` (the exit transform's form of a return in the body) takes the dtype the body
 * binds to it; a name an in-place op in the body rebinds is carried too.
 */
export function lowerLoop(r: BlockRunner, drive: LoopDrive, body: Stmt[], frame: Frame): void {
  const names = assignedNames(body).filter((n) => frame.has(n) && n !== targetName(drive));
  // `uninitialized(T)` before the loop (the exit transform's form of a return inside it): carried once a trace
  // shows what the body binds there; the compiler guarantees it is never read on the path that leaves it unset.
  const pending = names.filter((n) => frame.get(n) instanceof Uninitialized);
  const fixed = names.filter((n) => !carriable(frame.get(n)) && !pending.includes(n));
  const carried: Carried[] = names.filter((n) => carriable(frame.get(n))).map((name) => {
    const v = frame.get(name);
    const initial = asSym(r, v, v instanceof Sym || v instanceof Tensor ? undefined : resultType([v]));
    return { name, initial, dtype: initial.dtype, rank: initial.rank };
  });
  // Empty lists the body may append to (one element a pass, each a row of a scan output); other uses fail.
  const appendedInBody = appendedNames(body);
  const appended = [...frame].filter(([n, v]) => Array.isArray(v) && v.length === 0 && !names.includes(n) && appendedInBody.has(n)).map(([n]) => n);
  const names_ = { carried, fixed, appended, pending };
  let pass = traceBody(r, drive, body, frame, names_);
  const unsettled = () => pass.rankChanged.length + pass.bound.length + pass.mutated.length > 0;
  for (let retrace = 0; retrace < 3 && unsettled(); retrace++) {
    // A carried value whose rank the body changes is traced again with its rank unknown; an uninitialized name
    // the body binds, and a name an in-place op rebinds, are carried from the next trace on.
    for (const c of carried) if (pass.rankChanged.includes(c.name)) c.rank = undefined;
    for (const { name, dtype } of pass.bound) {
      carried.push({ name, initial: r.builder.scalar(dtype === 'string' ? '' : 0, dtype), dtype, rank: undefined });
      pending.splice(pending.indexOf(name), 1);
    }
    for (const name of pass.mutated) {
      const initial = asSym(r, frame.get(name));
      carried.push({ name, initial, dtype: initial.dtype, rank: initial.rank });
    }
    pass = traceBody(r, drive, body, frame, names_);
  }
  if (unsettled()) throw r.fail('OP_UNSUPPORTED', `a run-time loop whose carried values keep changing kind between traces`);
  const target = targetName(drive);
  if (target) frame.delete(target);
  // Nothing flows out: the body has no effect (and ONNX Loop needs at least one output).
  if (carried.length + pass.scans.length === 0) return;
  const b = r.builder;
  const outputs = [...carried, ...pass.scans].map(() => b.fresh('Loop'));
  const trips = drive.trips ? nonNegativeScalar(r, drive.trips) : undefined;
  const cond = drive.test ? cast(r, scalarOf(r, drive.test.initial), 'bool') : undefined;
  b.node('Loop', [trips, cond, ...carried.map((c) => c.initial)], outputs, { body: { type: 'graph', value: pass.graph } });
  carried.forEach((c, i) => frame.set(c.name, new Sym(outputs[i]!, c.dtype, c.rank)));
  pass.scans.forEach((s, i) => {
    const stacked = new Sym(outputs[carried.length + i]!, s.item.dtype, s.item.rank === undefined ? undefined : s.item.rank + 1);
    frame.set(s.name, new ScannedList(stacked));
  });
}

interface BodyPass {
  graph: Graph;
  rankChanged: string[];
  /** Lists appended to once a pass, with the element (a body value). */
  scans: { name: string; item: Sym }[];
  /** Uninitialized names the body bound to a value, with its dtype. */
  bound: { name: string; dtype: DType }[];
  /** Names from before the loop, neither carried nor assigned, that an in-place op in the body rebound. */
  mutated: string[];
}

interface BodyNames {
  carried: Carried[];
  fixed: string[];
  appended: string[];
  pending: string[];
}

function traceBody(r: BlockRunner, drive: LoopDrive, body: Stmt[], frame: Frame, { carried, fixed, appended, pending }: BodyNames): BodyPass {
  const b = r.builder;
  const nodes: Node[] = [];
  const iteration = new Sym(b.fresh('iteration'), 'int64', 0);
  const condIn = new Sym(b.fresh('cond_in'), 'bool', 0);
  const inputs = carried.map((c) => new Sym(b.fresh(c.name), c.dtype, c.rank));
  const local: Frame = new Map(frame);
  carried.forEach((c, i) => local.set(c.name, inputs[i]));
  const targets = appended.map((name) => [name, new AppendTarget()] as const);
  for (const [name, t] of targets) local.set(name, t);
  const snapshot = containerSnapshot(frame);
  let scans: BodyPass['scans'] = [];
  let bound: BodyPass['bound'] = [];
  let mutated: string[] = [];
  scopeFrames.add(local);
  const outputs = b.capture(nodes, () => {
    if (drive.target) bindTarget(r, drive.target, iteration, local);
    if (r.block(body, local)) throw r.fail('OP_UNSUPPORTED', `a return inside a run-time loop`);
    if (snapshot.changed()) throw r.fail('OP_UNSUPPORTED', `a run-time loop whose body changes a list or dict in place`);
    for (const name of fixed) {
      if (local.get(name) !== frame.get(name)) throw r.fail('OP_UNSUPPORTED', `a run-time loop that rebinds '${name}' (${describeValue(frame.get(name))}) to a new value each pass`);
    }
    scans = targets.filter(([, t]) => t.appends.length > 0).map(([name, t]) => ({ name, item: scanItem(r, name, t, nodes) }));
    bound = pending.flatMap((name) => {
      const v = local.get(name);
      if (v instanceof Uninitialized) return [];
      if (!carriable(v)) throw r.fail('OP_UNSUPPORTED', `a run-time loop that binds the uninitialized '${name}' to ${describeValue(v)}`);
      return [{ name, dtype: asSym(r, v, v instanceof Sym || v instanceof Tensor ? undefined : resultType([v])).dtype }];
    });
    const known = new Set([...carried.map((c) => c.name), ...fixed, ...appended, ...pending, ...(targetName(drive) ? [targetName(drive)!] : [])]);
    mutated = [...frame.keys()].filter((name) => !known.has(name) && local.get(name) !== frame.get(name) && carriable(local.get(name)));
    const condOut = drive.test ? nextCondition(r, drive.test.expr, local) : condIn;
    return [condOut, ...carried.map((c) => carriedOut(r, c, local.get(c.name)))];
  });
  const rankChanged = carried.filter((c, i) => c.rank !== undefined && outputs[i + 1]!.rank !== c.rank).map((c) => c.name);
  const outInfos = b.capture(nodes, () => [...outputs, ...scans.map((s) => s.item)].map((o) => {
    const [name] = b.node('Identity', [o], 1);
    return { name: name!, type: { kind: 'tensor' as const, dtype: o.dtype } };
  }));
  const info = (s: Sym): ValueInfo => ({ name: s.name, type: { kind: 'tensor', dtype: s.dtype, ...(s.rank === undefined ? {} : { shape: new Array(s.rank).fill(null) }) } });
  return { graph: { name: b.fresh('loop_body'), nodes, inputs: [iteration, condIn, ...inputs].map(info), outputs: outInfos, initializers: new Map() }, rankChanged, scans, bound, mutated };
}

/** The one element a pass appends to a list, appended on every pass (not inside a branch). */
function scanItem(r: BlockRunner, name: string, target: AppendTarget, bodyNodes: Node[]): Sym {
  const [first] = target.appends;
  if (target.appends.length !== 1 || first!.nodes !== bodyNodes) {
    throw r.fail('OP_UNSUPPORTED', `a run-time loop that appends to '${name}' other than once on every pass`);
  }
  if (!(first!.item instanceof Sym || first!.item instanceof Tensor)) throw r.fail('OP_UNSUPPORTED', `a run-time loop that appends ${describeValue(first!.item)} to '${name}'`);
  return asSym(r, first!.item);
}

function bindTarget(r: BlockRunner, target: NonNullable<LoopDrive['target']>, iteration: Sym, frame: Frame): void {
  if (target.expr.kind !== 'name') throw r.fail('OP_UNSUPPORTED', `a run-time loop over range() with a ${target.expr.kind} target`);
  frame.set(target.expr.id, target.start ? r.builder.op('Add', [target.start, iteration], 'int64', 0) : iteration);
}

function nextCondition(r: BlockRunner, test: Expr, frame: Frame): Sym {
  const v = r.eval(test, frame);
  if (v instanceof Sym) return cast(r, scalarOf(r, v), 'bool');
  if (typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number') return r.builder.scalar(Boolean(v) && v !== 0n, 'bool');
  throw r.fail('OP_UNSUPPORTED', `a while condition that is ${describeValue(v)}`);
}

/** A carried value at the end of a pass: the dtype it entered with (Python numbers keep their type). */
function carriedOut(r: BlockRunner, c: Carried, v: PyValue): Sym {
  if (!carriable(v)) throw r.fail('OP_UNSUPPORTED', `a run-time loop turns '${c.name}' into ${describeValue(v)}`);
  const out = asSym(r, v, v instanceof Sym || v instanceof Tensor ? undefined : c.dtype);
  if (out.dtype !== c.dtype) throw r.fail('OP_UNSUPPORTED', `a run-time loop changes the dtype of '${c.name}' from ${c.dtype} to ${out.dtype}`);
  return out;
}

function carriable(v: PyValue): boolean {
  return v instanceof Sym || v instanceof Tensor || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
}

function targetName(drive: LoopDrive): string | undefined {
  return drive.target?.expr.kind === 'name' ? drive.target.expr.id : undefined;
}

/** A one-element value as a 0-d tensor (If/Loop conditions and trip counts are scalars). */
function scalarOf(r: BlockRunner, v: Sym): Sym {
  if (v.rank === 0) return v;
  return r.builder.op('Reshape', [v, r.builder.int64s([])], v.dtype, 0);
}

/** max(n, 0) as int64: Python's range() of a negative count runs no pass. */
function nonNegativeScalar(r: BlockRunner, n: Sym): Sym {
  const count = scalarOf(r, cast(r, n, 'int64'));
  return r.builder.op('Max', [count, r.builder.scalar(0n, 'int64')], 'int64', 0);
}

/** Names a block binds, nested blocks included, in first-binding order. */
export function assignedNames(body: Stmt[]): string[] {
  const names: string[] = [];
  const add = (n: string) => names.includes(n) || names.push(n);
  const targets = (e: Expr): void => {
    if (e.kind === 'name') add(e.id);
    else if (e.kind === 'tuple' || e.kind === 'list') e.items.forEach(targets);
  };
  const walk = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      if (s.kind === 'assign') targets(s.targets);
      else if (s.kind === 'augassign') targets(s.target);
      else if (s.kind === 'annassign') add(s.target);
      else if (s.kind === 'for') {
        targets(s.target);
        walk(s.body);
      } else if (s.kind === 'while') walk(s.body);
      else if (s.kind === 'if') {
        walk(s.body);
        walk(s.orelse);
      }
    }
  };
  walk(body);
  return names;
}

/**
 * aten::__range_length(lo, hi, step), which the compiler emits for `range(lo, hi, step)` (the loop then runs
 * over range(length) and derives the value by aten::__derive_index): Python's len(range(lo, hi, step)).
 */
export function rangeLength(r: LoweringContext, lo: PyValue, hi: PyValue, step: PyValue): PyValue {
  if (typeof step !== 'bigint' || step === 0n) throw r.fail('OP_UNSUPPORTED', `range() with a step that is not a non-zero load-time int`);
  if (typeof lo === 'bigint' && typeof hi === 'bigint') {
    const span = step > 0n ? hi - lo : lo - hi;
    const by = step > 0n ? step : -step;
    return span > 0n ? (span - 1n) / by + 1n : 0n;
  }
  const b = r.builder;
  const [low, high] = [asSym(r, lo, 'int64'), asSym(r, hi, 'int64')];
  const by = step > 0n ? step : -step;
  const span = step > 0n ? b.op('Sub', [high, low], 'int64', 0) : b.op('Sub', [low, high], 'int64', 0);
  // (span + by - 1) / by truncates toward zero; any span <= 0 ends at or below 0, which the Max clamps.
  const count = b.op('Div', [b.op('Add', [span, b.scalar(by - 1n, 'int64')], 'int64', 0), b.scalar(by, 'int64')], 'int64', 0);
  return b.op('Max', [count, b.scalar(0n, 'int64')], 'int64', 0);
}

/** aten::__derive_index(index, start, step): start + index * step. */
export function deriveIndex(r: LoweringContext, index: PyValue, start: PyValue, step: PyValue): PyValue {
  if (typeof index === 'bigint' && typeof start === 'bigint' && typeof step === 'bigint') return start + index * step;
  const b = r.builder;
  const scaled = step === 1n ? asSym(r, index, 'int64') : b.op('Mul', [asSym(r, index, 'int64'), asSym(r, step, 'int64')], 'int64', 0);
  return b.op('Add', [asSym(r, start, 'int64'), scaled], 'int64', 0);
}

/** Names of lists the block appends to (`torch.append(ys, v)`, `ys.append(v)`), nested blocks included. */
function appendedNames(body: Stmt[]): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const e = value as Expr;
      if (e.kind === 'call' && e.callee.kind === 'attr' && e.callee.name === 'append') {
        const list = e.callee.object.kind === 'name' && e.callee.object.id !== 'torch' ? e.callee.object : e.args[0];
        if (list?.kind === 'name') names.add(list.id);
      }
      Object.values(value).forEach(visit);
    }
  };
  visit(body);
  return names;
}
