import { runtimeError } from '../api/errors.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GraphTensorSpec } from './graph-spec.js';
import type { TensorSpec } from './types.js';

export type SpecKind = 'input' | 'output';

/** What the checks read of a tensor (a host tensor, or a GPU tensor's dtype and shape). */
type Checked = Pick<Tensor, 'dtype' | 'shape' | 'rank'>;

/** Neuropod's name for a dtype in messages; dtypes that never cross a Neuropod spec get the same pattern. */
export function neuropodTypeName(dtype: DType): string {
  return DTYPES[dtype].neuropod ?? `${dtype.toUpperCase()}_TENSOR`;
}

/**
 * Neuropod's validate_tensors_against_specs (NEUROPOD-FORMAT.md section 5): specs in order, absent tensors
 * skipped, dtype then rank then each dim, symbols consistent within this call; then names not in the spec.
 */
export function validateAgainstSpec(tensors: ReadonlyMap<string, Checked>, specs: readonly TensorSpec[], kind: SpecKind): void {
  const symbols = new Map<string, number>();
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (t !== undefined) checkTensor(t, spec, kind, symbols);
  }
  const known = new Set(specs.map((s) => s.name));
  const unknown = [...tensors.keys()].filter((name) => !known.has(name));
  if (unknown.length) throw runtimeError('SPEC_UNKNOWN_NAME', `Tensor name(s) '[${unknown.join(', ')}]' are not found in the ${kind} spec`);
}

function checkTensor(t: Checked, spec: GraphTensorSpec, kind: SpecKind, symbols: Map<string, number>): void {
  const where = `in the ${kind} spec`;
  if (!spec.dtypeUnknown && t.dtype !== spec.dtype) {
    throw runtimeError('SPEC_DTYPE', `Tensor '${spec.name}' ${where} is expected to be of type ${neuropodTypeName(spec.dtype)}, but was of type ${neuropodTypeName(t.dtype)}`);
  }
  if (spec.shapeUnknown) return;
  if (t.rank !== spec.shape.length) {
    throw runtimeError('SPEC_RANK', `Tensor '${spec.name}' ${where} is expected to have ${spec.shape.length} dimensions, but had ${t.rank}`);
  }
  spec.shape.forEach((dim, i) => {
    const size = t.shape[i]!;
    if (typeof dim === 'number' && !(Number.isInteger(dim) && dim > 0)) {
      throw runtimeError('CONFIG_INVALID', `Dim ${i} of tensor '${spec.name}' ${where} has the invalid expected size ${dim}; a spec dim is null, a positive integer or a symbol`);
    }
    if (typeof dim === 'number' && size !== dim) {
      throw runtimeError('SPEC_DIM', `Dim ${i} of tensor '${spec.name}' ${where} is expected to be of size ${dim}, but was of size ${size}`);
    }
    if (typeof dim === 'string') {
      const seen = symbols.get(dim);
      if (seen === undefined) symbols.set(dim, size);
      else if (seen !== size) {
        throw runtimeError('SPEC_SYMBOL', `All dims with symbol '${dim}' should be the same size. Dim ${i} of tensor '${spec.name}' ${where} was expected to be of size ${seen}, but was of size ${size}`);
      }
    }
  });
}
