import { PickleObject, PickleTuple, type PickleValue } from '../pickle/values.js';
import { Tensor } from '../../tensor/tensor.js';
import type { FunctionDef } from './python/ast.js';
import { Sym } from './graph-builder.js';

/**
 * What a TorchScript expression evaluates to while lowering. Python values known at load (None, bool, int as
 * bigint, float as number, str, list, tuple, dict as Map, module objects, constant Tensors) are folded; a Sym
 * is a graph value computed at run time.
 */
export type PyValue = unknown;

/** A run-time list appended into a load-time list (a vectorized loop's `append`): all its elements, in order. */
export class Spread {
  constructor(readonly items: Sym) {}
}

/** The loop variable of a vectorized `for i in range(len(xs))`: indexing `xs` with it gives every element at once. */
export class Lane {
  constructor(readonly list: Sym) {}
}

/**
 * An empty list that a run-time loop's body may only append to (a stand-in while the body is traced): each
 * append is recorded with the node list it happened in, so a conditional append is told apart.
 */
export class AppendTarget {
  readonly appends: { item: PyValue; nodes: unknown }[] = [];
}

/** The list a run-time loop built by appending one element a pass: a Loop scan output [passes, ...element]. */
export class ScannedList {
  constructor(readonly stacked: Sym) {}
}

/** `uninitialized(T)`: a value the compiler guarantees is never read on the path that binds it. */
export class Uninitialized {}

/** `torch.unbind(x, dim)`: its pieces are taken when the code unpacks or indexes it (the count is the dim's size). */
export class Unbound {
  constructor(readonly source: Sym, readonly dim: number) {}
}

/** A result an operator gives that is not lowered (roi_pool's argmax): any use of it fails naming it. */
export class Unavailable {
  constructor(readonly what: string) {}
}

/** A type expression (`Tensor`, `List[str]`, `__torch__.Foo`), printed as TorchScript writes it. */
export class TypeRef {
  constructor(readonly text: string) {}
}

/** A dotted name being built (`torch`, `ops.aten`, `__torch__.torchvision`): calling it calls the operator or class. */
export class Namespace {
  constructor(readonly path: string) {}
}

export class BoundMethod {
  constructor(
    readonly self: PickleObject,
    readonly method: FunctionDef,
  ) {}
}

/** A Python tuple of interpreter values. */
export function tuple(items: PyValue[]): PickleTuple {
  return new PickleTuple(items as PickleValue[]);
}

export function isPythonInt(v: PyValue): v is bigint {
  return typeof v === 'bigint';
}

export function isNumber(v: PyValue): v is bigint | number | boolean {
  return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
}

export function isRuntime(v: PyValue): boolean {
  return v instanceof Sym || v instanceof Tensor;
}

export function describeValue(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof Uninitialized) return 'an uninitialized value';
  if (v instanceof Unavailable) return `${v.what} (not lowered)`;
  if (v instanceof Unbound) return 'the pieces of torch.unbind';
  if (v instanceof ScannedList) return 'a list built by a run-time loop';
  if (v instanceof AppendTarget) return 'a list a run-time loop appends to';
  if (v instanceof Sym) return `a ${v.dtype} tensor`;
  if (v instanceof Tensor) return `a constant ${v.dtype} tensor`;
  if (v instanceof PickleObject) return `a ${v.className} object`;
  if (v instanceof PickleTuple) return 'a tuple';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a dict';
  return typeof v;
}

export { PickleObject, PickleTuple, Sym, Tensor };
