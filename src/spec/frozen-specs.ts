import type { TensorSpec } from './types.js';

/** Frozen copies of specs, shapes included: what Model.inputs and Model.outputs hand out. */
export function frozenSpecs(specs: readonly TensorSpec[]): readonly Readonly<TensorSpec>[] {
  return Object.freeze(specs.map((s) => Object.freeze({ ...s, shape: Object.freeze([...s.shape]) as TensorSpec['shape'] })));
}
