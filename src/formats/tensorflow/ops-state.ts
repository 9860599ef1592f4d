import { NeuropodError } from '../../api/errors.js';
import type { NodeLowering } from './builder.js';

type Lowering = (n: NodeLowering) => void;

/**
 * Variables become state: each run starts from the value fed as `state:<variable>` and an assignment replaces the
 * variable's current value for every later reader (readers come after writers they depend on, control edges
 * included, because nodes are lowered in dependency order).
 */
function variable(ref: boolean): Lowering {
  return (n) => {
    const dtype = n.attrs.dtype('dtype');
    n.produce(0, n.builder.declareVariable(n.node.name, dtype, n.attrs.shape('shape'), ref));
  };
}

function read(n: NodeLowering): void {
  n.produce(0, n.builder.variableOf(n.node.inputs[0]!, n.where).current);
}

/** `combine` is the ONNX op applied to (old value, operand); undefined replaces the value. */
function assign(combine?: 'Add' | 'Sub'): Lowering {
  return (n) => {
    if (n.builder.parent) throw new NeuropodError('OP_UNSUPPORTED', `${n.where} assigns a variable inside a loop or cond, which this engine does not lower`);
    const flow = n.builder.variableOf(n.node.inputs[0]!, n.where);
    const operand = n.input(1);
    const next = combine ? n.op(combine, [flow.current, operand]) : n.op('Identity', [operand]);
    flow.current = next;
    flow.mutated = true;
    n.produce(0, next);
  };
}

export const STATE_OPS: Record<string, Lowering> = {
  VariableV2: variable(true),
  Variable: variable(true),
  VarHandleOp: variable(false),
  ReadVariableOp: read,
  Assign: assign(),
  AssignAdd: assign('Add'),
  AssignSub: assign('Sub'),
  AssignVariableOp: assign(),
  AssignAddVariableOp: assign('Add'),
  AssignSubVariableOp: assign('Sub'),
};
