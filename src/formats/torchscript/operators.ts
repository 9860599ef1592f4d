import type { Expr } from './python/ast.js';
import { ATEN_OPS } from './aten.js';
import { PYTHON_OPS } from './python-ops.js';
import type { LoweringContext } from './tensor-values.js';
import type { PyValue } from './values.js';

export interface OperatorContext extends LoweringContext {
  truth(v: PyValue): boolean;
}

/**
 * One operator: `params` names its positional parameters (as aten's schema does) so keyword arguments find their
 * place; `lower` returns the result, or undefined when the row does not apply to these argument kinds.
 */
export interface OperatorRow {
  params: string[];
  lower(c: OperatorContext, args: PyValue[]): PyValue | undefined;
}

/** Dispatches `aten::x` / `prim::x`: load-time Python semantics first (folding), then the tensor lowering table. */
export function callOperator(c: OperatorContext, name: string, args: PyValue[], kwargs: [string, PyValue][], _exprs?: Expr[]): PyValue {
  const op = canonicalName(name);
  for (const table of [PYTHON_OPS, ATEN_OPS]) {
    const row = table[op];
    if (!row) continue;
    const result = row.lower(c, placeArguments(row, args, kwargs));
    if (result !== undefined) return result;
  }
  const known = PYTHON_OPS[op] || ATEN_OPS[op];
  throw c.fail('OP_UNSUPPORTED', known ? `${op} with these argument kinds is not supported` : `operator ${op} has no lowering to ONNX`);
}

/** In-place variants (`aten::relu_`) lower like their functional forms: traced graphs rebind the result. */
function canonicalName(name: string): string {
  const [ns, op] = name.includes('::') ? name.split('::') as [string, string] : ['aten', name];
  const functional = op.endsWith('_') && !op.endsWith('__') ? op.slice(0, -1) : op;
  return `${ns}::${functional}`;
}

function placeArguments(row: OperatorRow, args: PyValue[], kwargs: [string, PyValue][]): PyValue[] {
  const placed = [...args];
  for (const [key, value] of kwargs) {
    const at = row.params.indexOf(key);
    if (at >= 0) placed[at] = value;
  }
  return placed;
}
