import { NeuropodError } from '../../api/errors.js';
import type { ClassDef, Expr, FunctionDef, Stmt } from './python/ast.js';
import type { TorchScriptArchive } from './archive.js';
import { LEGACY_MODULE_CLASS } from './archive.js';
import { GraphBuilder, Sym } from './graph-builder.js';
import { isRuntimeCondition, lowerIf, lowerTernary, markRaised, Return, scopeFrames, type Frame } from './control-flow.js';
import { unboundPieces } from './tensor-ops.js';
import { assignedNames, lowerLoop } from './loops.js';
import { asSym } from './tensor-values.js';
import { callOperator, type OperatorContext } from './operators.js';
import { BoundMethod, describeValue, tuple, Lane, Namespace, PickleObject, PickleTuple, Tensor, TypeRef, Unbound, Uninitialized, type PyValue } from './values.js';

/** Passes a `while` on load-time values may unroll before the load gives up (a model that never ends). */
const MAX_UNROLLED_PASSES = 1 << 16;

/** `range()` with a run-time bound: the trip count and the first value (undefined for 0). */
class RuntimeRange {
  constructor(readonly trips: Sym, readonly start?: Sym) {}
}

/** Names the printer uses that are not operators: evaluated here, not in the operator table. */
const TYPE_NAMES = new Set(['Tensor', 'List', 'Dict', 'Optional', 'Union', 'Tuple', 'Device', 'NoneType', 'Any', 'Future', 'str', 'int', 'float', 'bool']);

/**
 * Symbolic execution of TorchScript code: Python values known at load are computed here, tensor operations
 * become graph nodes through the operator table, submodule methods are inlined.
 */
export class Interpreter implements OperatorContext {
  readonly builder = new GraphBuilder();
  private readonly classes = new Map<string, ClassDef>();
  private readonly tensorNames = new WeakMap<Tensor, string>();
  line = 0;
  where = '';
  /** Vectorized loop bodies being run (see `vectorized`). */
  private vectorDepth = 0;
  /** The frames of the blocks being run, innermost last (where an in-place op rebinds its tensor). */
  private readonly frames: Frame[] = [];
  /** Results of view ops (slice, select, view, ...), with the op: an in-place write to one would not reach its base. */
  private readonly views = new WeakMap<Sym, string>();

  constructor(private readonly archive: TorchScriptArchive) {
    for (const [path, module] of archive.code) {
      for (const [name, def] of module.classes) this.classes.set(`${path}.${name}`, def);
      if (module.functions.size && path.startsWith(LEGACY_MODULE_CLASS)) {
        this.classes.set(path, { name: path, bases: [], attributes: new Map(), assignments: new Map(), methods: module.functions, line: 0 });
      }
    }
  }

  fail(code: 'OP_UNSUPPORTED' | 'MODEL_INVALID', what: string): NeuropodError {
    return new NeuropodError(code, `${what} (TorchScript ${this.where}:${this.line})`);
  }

  classOf(object: PickleObject): ClassDef | undefined {
    return this.classes.get(object.className);
  }

  method(object: PickleObject, name: string): FunctionDef {
    const fn = this.classOf(object)?.methods.get(name);
    if (!fn) throw this.fail('MODEL_INVALID', `${object.className} has no method '${name}'`);
    return fn;
  }

  /** Runs `fn` with `self` and positional arguments, returning what it returns. */
  call(self: PickleObject | undefined, fn: FunctionDef, args: PyValue[], kwargs: [string, PyValue][] = []): PyValue {
    const frame: Frame = new Map();
    const params = self ? fn.params.slice(1) : fn.params;
    if (self) frame.set(fn.params[0]!.name, self);
    params.forEach((p, i) => {
      const kw = kwargs.find(([k]) => k === p.name);
      if (i < args.length) frame.set(p.name, args[i]);
      else if (kw) frame.set(p.name, kw[1]);
      else if (p.default) frame.set(p.name, this.eval(p.default, frame));
      else throw this.fail('MODEL_INVALID', `${fn.name}() is missing its argument '${p.name}'`);
    });
    const saved = [this.where, this.line] as const;
    this.where = self ? `${self.className}.${fn.name}` : fn.name;
    try {
      const outcome = this.block(fn.body, frame);
      return outcome instanceof Return ? outcome.value : null;
    } finally {
      [this.where, this.line] = saved;
    }
  }

  block(body: Stmt[], frame: Frame): Return | undefined {
    this.frames.push(frame);
    try {
      for (const stmt of body) {
        const outcome = this.statement(stmt, frame);
        if (outcome) return outcome;
      }
      return undefined;
    } finally {
      this.frames.pop();
    }
  }

  private statement(stmt: Stmt, frame: Frame): Return | undefined {
    this.line = stmt.line;
    switch (stmt.kind) {
      case 'expr':
        this.eval(stmt.value, frame);
        return undefined;
      case 'assign':
        this.assign(stmt.targets, this.eval(stmt.value, frame), frame);
        return undefined;
      case 'annassign':
        if (stmt.value) frame.set(stmt.target, this.eval(stmt.value, frame));
        return undefined;
      case 'augassign':
        this.assign(stmt.target, this.operator(BINARY_OPERATORS[stmt.op]!, [this.eval(stmt.target, frame), this.eval(stmt.value, frame)]), frame);
        return undefined;
      case 'return':
        return new Return(stmt.value ? this.eval(stmt.value, frame) : null);
      case 'if': {
        const test = this.eval(stmt.test, frame);
        if (isRuntimeCondition(test)) return lowerIf(this, this.scalarCondition(test), stmt, frame);
        return this.block(this.truth(test) ? stmt.body : stmt.orelse, frame);
      }
      case 'for':
        return this.loop(stmt, frame);
      case 'while':
        return this.whileLoop(stmt, frame);
      case 'assert': {
        // A run-time assertion is not checked (ONNX cannot raise); see lowerIf.
        const test = this.eval(stmt.test, frame);
        if (!isRuntimeCondition(test) && !this.truth(test)) throw markRaised(this.fail('MODEL_INVALID', `the model's assertion always fails`));
        return undefined;
      }
      case 'raise':
        throw markRaised(this.fail('MODEL_INVALID', `the model always raises ${stmt.value ? String(this.eval(stmt.value, frame)) : ''}`));
      case 'pass':
        return undefined;
      default:
        throw this.fail('OP_UNSUPPORTED', `statement '${stmt.kind}' is not supported`);
    }
  }

  /** Unrolls while the test is known at load; from the first pass whose test is a run-time value, an ONNX Loop. */
  private whileLoop(stmt: Extract<Stmt, { kind: 'while' }>, frame: Frame): Return | undefined {
    let passes = 0;
    for (;;) {
      const test = this.eval(stmt.test, frame);
      if (isRuntimeCondition(test)) {
        lowerLoop(this, { test: { expr: stmt.test, initial: this.scalarCondition(test) } }, stmt.body, frame);
        return undefined;
      }
      if (!this.truth(test)) return undefined;
      if (++passes > MAX_UNROLLED_PASSES) throw this.fail('OP_UNSUPPORTED', `a while loop on load-time values that runs more than ${MAX_UNROLLED_PASSES} passes`);
      const r = this.block(stmt.body, frame);
      if (r) return r;
    }
  }

  /**
   * Loops over load-time sequences unroll; `range(len(xs))` over a run-time list is vectorized (one pass, every
   * element at once); `range()` of another run-time count is an ONNX Loop.
   */
  private loop(stmt: Extract<Stmt, { kind: 'for' }>, frame: Frame): Return | undefined {
    const range = this.runtimeRange(stmt.iter, frame);
    if (range instanceof RuntimeRange) {
      if (this.vectorDepth > 0) throw this.fail('OP_UNSUPPORTED', `a run-time loop inside a loop over a run-time list`);
      lowerLoop(this, { trips: range.trips, target: { expr: stmt.target, start: range.start } }, stmt.body, frame);
      return undefined;
    }
    const iterable = range ?? this.eval(stmt.iter, frame);
    if (iterable instanceof Lane) return this.vectorized(stmt, iterable, frame);
    const items = this.iterate(iterable);
    for (const item of items) {
      this.assign(stmt.target, item, frame);
      const r = this.block(stmt.body, frame);
      if (r) return r;
    }
    return undefined;
  }

  /**
   * A run-time condition, where one can be lowered: inside a vectorized pass a value stands for every element
   * at once, so a condition on it is one per element and an If cannot take it.
   */
  private scalarCondition(test: Sym): Sym {
    if (this.vectorDepth > 0 || test.lane) throw this.fail('OP_UNSUPPORTED', `a run-time condition inside a loop over a run-time list (one condition per element)`);
    return test;
  }

  /**
   * One pass standing for every element: sound only when the body maps elements and appends the results, so a
   * body that rebinds a name from before the loop (an accumulator) or returns is rejected, not lowered wrongly.
   */
  private vectorized(stmt: Extract<Stmt, { kind: 'for' }>, lane: Lane, frame: Frame): Return | undefined {
    const before = new Map(frame);
    this.assign(stmt.target, lane, frame);
    this.vectorDepth++;
    let returned: Return | undefined;
    try {
      returned = this.block(stmt.body, frame);
    } finally {
      this.vectorDepth--;
    }
    if (returned) throw this.fail('OP_UNSUPPORTED', `a return inside a loop over a run-time list`);
    const targets = new Set(assignedNames([{ ...stmt, body: [] }]));
    const rebound = assignedNames(stmt.body).find((name) => !targets.has(name) && before.has(name) && frame.get(name) !== before.get(name));
    this.line = stmt.line;
    if (rebound) throw this.fail('OP_UNSUPPORTED', `a loop over a run-time list that rebinds '${rebound}' each pass (only element-wise work appended to lists is vectorized)`);
    return undefined;
  }

  /**
   * For `range(...)` with a run-time bound that is not a list length, a RuntimeRange; for another range, the
   * evaluated range; undefined when `iter` is not a range call.
   */
  private runtimeRange(iter: Expr, frame: Frame): RuntimeRange | PyValue {
    if (iter.kind !== 'call' || iter.callee.kind !== 'name' || iter.callee.id !== 'range' || iter.kwargs.length) return undefined;
    const args = iter.args.map((a) => this.eval(a, frame));
    this.line = iter.line;
    const runtime = args.some((a) => a instanceof Sym) && !(args.length === 1 && (args[0] as Sym).lengthOf);
    if (!runtime) return this.range(args);
    if (args.length === 1) return new RuntimeRange(asSym(this, args[0], 'int64'));
    if (args.length === 3 && args[2] !== 1n) throw this.fail('OP_UNSUPPORTED', `range() with a run-time bound and a step other than 1`);
    const [start, stop] = [asSym(this, args[0], 'int64'), asSym(this, args[1], 'int64')];
    return new RuntimeRange(this.builder.op('Sub', [stop, start], 'int64', stop.rank), start);
  }

  private iterate(v: PyValue): PyValue[] {
    if (Array.isArray(v)) return [...v];
    if (v instanceof PickleTuple) return [...v.items];
    if (v instanceof Map) return [...v.keys()];
    throw this.fail('OP_UNSUPPORTED', `a loop over ${describeValue(v)} depends on run-time data (only range() of a run-time count lowers to ONNX Loop)`);
  }

  truth(v: PyValue): boolean {
    if (v instanceof Sym || v instanceof Tensor) {
      if (v instanceof Tensor && v.size === 1) return Boolean(Number((v.data as ArrayLike<unknown>)[0]));
      throw this.fail('OP_UNSUPPORTED', `a run-time tensor value is used as a Python bool here (only if/while conditions and conditional expressions lower to ONNX If/Loop)`);
    }
    if (Array.isArray(v)) return v.length > 0;
    if (v instanceof Map) return v.size > 0;
    if (v instanceof PickleTuple) return v.items.length > 0;
    return Boolean(v) && v !== 0n;
  }

  private assign(target: Expr, value: PyValue, frame: Frame): void {
    if (target.kind === 'name') frame.set(target.id, value);
    else if (target.kind === 'tuple' || target.kind === 'list') {
      const items = this.unpack(value, target.items.length);
      target.items.forEach((t, i) => this.assign(t, items[i], frame));
    } else if (target.kind === 'subscript') {
      this.operator('aten::_set_item', [this.eval(target.object, frame), this.eval(target.index, frame), value]);
    } else throw this.fail('OP_UNSUPPORTED', `assignment to ${target.kind}`);
  }

  private unpack(value: PyValue, count: number): PyValue[] {
    if (value instanceof Unbound) {
      const pieces = unboundPieces(this, value, count);
      for (const p of pieces) this.views.set(p, 'unbind');
      return pieces;
    }
    const items = value instanceof PickleTuple ? [...value.items] : Array.isArray(value) ? value : undefined;
    if (!items || items.length !== count) throw this.fail('MODEL_INVALID', `cannot unpack ${describeValue(value)} into ${count} names`);
    return items;
  }

  eval(e: Expr, frame: Frame): PyValue {
    switch (e.kind) {
      case 'int':
      case 'float':
      case 'str':
      case 'const':
        return e.value;
      case 'name':
        return this.name(e.id, frame);
      case 'attr':
        return this.attribute(this.eval(e.object, frame), e.name);
      case 'call':
        return this.callExpr(e, frame);
      case 'subscript': {
        const object = this.eval(e.object, frame);
        if (object instanceof TypeRef || object instanceof Namespace) return new TypeRef(`${typeText(object)}[${this.typeArgs(e.index, frame)}]`);
        return this.operator('aten::__getitem__', [object, this.eval(e.index, frame)]);
      }
      case 'slice':
        return { slice: [e.lower, e.upper, e.step].map((x) => (x ? this.eval(x, frame) : null)) };
      case 'tuple':
        return tuple(e.items.map((i) => this.eval(i, frame)));
      case 'list':
        return e.items.map((i) => this.eval(i, frame));
      case 'dict':
        return new Map(e.entries.map(([k, v]) => [this.eval(k, frame), this.eval(v, frame)]));
      case 'unary':
        return this.operator(UNARY_OPERATORS[e.op]!, [this.eval(e.operand, frame)]);
      case 'binary':
        return this.binary(e, frame);
      case 'ternary': {
        const test = this.eval(e.test, frame);
        if (isRuntimeCondition(test)) return lowerTernary(this, this.scalarCondition(test), e.then, e.otherwise, frame);
        return this.truth(test) ? this.eval(e.then, frame) : this.eval(e.otherwise, frame);
      }
    }
  }

  private typeArgs(index: Expr, frame: Frame): string {
    const items = index.kind === 'tuple' ? index.items : [index];
    return items.map((i) => typeText(this.eval(i, frame))).join(', ');
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, frame: Frame): PyValue {
    if (e.op === 'and') return this.truth(this.eval(e.left, frame)) ? this.eval(e.right, frame) : false;
    if (e.op === 'or') return this.truth(this.eval(e.left, frame)) || this.eval(e.right, frame);
    const left = this.eval(e.left, frame);
    const right = this.eval(e.right, frame);
    if (e.op === 'is' || e.op === 'is not') return (left === right || (left === null && right === null)) === (e.op === 'is');
    const name = BINARY_OPERATORS[e.op];
    if (!name) throw this.fail('OP_UNSUPPORTED', `operator '${e.op}'`);
    return this.operator(name, [left, right]);
  }

  private name(id: string, frame: Frame): PyValue {
    if (frame.has(id)) return frame.get(id);
    if (id === 'CONSTANTS') return new Namespace('CONSTANTS');
    if (TYPE_NAMES.has(id)) return new TypeRef(id);
    return new Namespace(id);
  }

  private attribute(object: PyValue, name: string): PyValue {
    if (object instanceof Namespace) {
      if (object.path === 'CONSTANTS') return this.archive.constants[Number(name.replace(/^c/, ''))];
      return new Namespace(`${object.path}.${name}`);
    }
    if (object instanceof PickleObject) return this.objectAttribute(object, name);
    return this.operator('prim::GetAttr', [object, name]);
  }

  objectAttribute(object: PickleObject, name: string): PyValue {
    const state = object.state;
    if (state instanceof Map && state.has(name)) {
      const value = state.get(name);
      if (value instanceof Tensor && !this.tensorNames.has(value)) this.tensorNames.set(value, name);
      return value;
    }
    const fn = this.classOf(object)?.methods.get(name);
    if (fn) return new BoundMethod(object, fn);
    // NamedTuple instances pickle as tuples of their fields in declaration order.
    throw this.fail('MODEL_INVALID', `${object.className} has no attribute '${name}'`);
  }

  /** The initializer hint for a parameter: its attribute name where it came from one. */
  tensorHint(t: Tensor): string {
    return this.tensorNames.get(t) ?? 'const';
  }

  private callExpr(e: Extract<Expr, { kind: 'call' }>, frame: Frame): PyValue {
    const callee = this.eval(e.callee, frame);
    const args = e.args.map((a) => this.eval(a, frame));
    const kwargs = e.kwargs.map(([k, v]) => [k, this.eval(v, frame)] as [string, PyValue]);
    this.line = e.line;
    if (callee instanceof BoundMethod) return this.call(callee.self, callee.method, args, kwargs);
    if (callee instanceof Namespace) return this.callNamed(callee.path, args, kwargs, e.args);
    if (callee instanceof TypeRef) return this.operator(`aten::${TYPE_CONVERSIONS[callee.text] ?? callee.text}`, args, kwargs);
    throw this.fail('MODEL_INVALID', `cannot call ${describeValue(callee)}`);
  }

  private callNamed(path: string, args: PyValue[], kwargs: [string, PyValue][], argExprs: Expr[]): PyValue {
    if (path === 'annotate' || path === 'unchecked_cast') return args[1];
    if (path === 'uninitialized') return new Uninitialized();
    if (path === 'isinstance') return isInstance(args[0], typeText(args[1]));
    if (path === 'getattr') return this.attribute(args[0], String(args[1]));
    if (path === 'range') return this.range(args);
    if (path.startsWith('torch.') && !path.startsWith('torch.nn.')) return this.operator(`aten::${path.slice(6)}`, args, kwargs, argExprs);
    if (path.startsWith('ops.')) return this.operator(path.slice(4).replace('.', '::'), args, kwargs, argExprs);
    if (path.startsWith('__torch__.') || path.startsWith('__legacy__')) return this.construct(path, args, kwargs);
    if (PYTHON_BUILTINS.has(path)) return this.operator(`aten::${path}`, args, kwargs);
    if (path === 'math.sqrt' || path === 'math.exp' || path === 'math.log') return this.operator(`aten::${path.slice(5)}`, args, kwargs);
    throw this.fail('OP_UNSUPPORTED', `call of '${path}' is not supported`);
  }

  private range(args: PyValue[]): PyValue {
    if (args.length === 1 && args[0] instanceof Sym) {
      const list = args[0].lengthOf;
      if (list) return new Lane(list);
      throw this.fail('OP_UNSUPPORTED', `range() of a run-time count outside a for loop header`);
    }
    const [start, stop, step] = args.length === 1 ? [0n, args[0], 1n] : [args[0], args[1], args[2] ?? 1n];
    if (typeof start !== 'bigint' || typeof stop !== 'bigint' || typeof step !== 'bigint') throw this.fail('OP_UNSUPPORTED', `range() over run-time values`);
    const out: bigint[] = [];
    for (let i = start; step > 0n ? i < stop : i > stop; i += step) out.push(i);
    return out;
  }

  /** `__torch__.Foo(a, b)`: a NamedTuple or class instance built in the code; `__torch__.m.f(a)`: a scripted function. */
  private construct(path: string, args: PyValue[], kwargs: [string, PyValue][] = []): PyValue {
    const dot = path.lastIndexOf('.');
    const fn = this.archive.code.get(path.slice(0, dot))?.functions.get(path.slice(dot + 1));
    if (fn && !this.classes.has(path)) return this.call(undefined, fn, args, kwargs);
    const def = this.classes.get(path);
    if (!def) throw this.fail('OP_UNSUPPORTED', `class ${path} is not in the archive`);
    const object = new PickleObject(path, args as never[]);
    const fields = namedTupleFields(def);
    object.state = new Map(fields.map((f, i) => [f, args[i] ?? null]));
    return object;
  }

  operator(name: string, args: PyValue[], kwargs: [string, PyValue][] = [], argExprs?: Expr[]): PyValue {
    const result = callOperator(this, name, args, kwargs, argExprs);
    const op = name.includes('::') ? name.slice(name.indexOf('::') + 2) : name;
    const self = args[0];
    if (self instanceof Sym && op.endsWith('_') && !op.endsWith('__') && result instanceof Sym && result !== self) this.rebind(self, result, op);
    else if (self instanceof Sym && VIEW_OPS.has(op)) {
      for (const v of Array.isArray(result) ? result : [result]) if (v instanceof Sym && v !== self) this.views.set(v, op);
    }
    return result;
  }

  /**
   * An in-place op (`torch.index_put_(x, ...)`, `x.relu_()`) changes `x` for every name bound to it: the names in
   * the frames of the enclosing calls take the result, up to the first branch or loop-body copy (whose merge
   * makes the change an If / Loop output). A view's write would also change the tensor it views, which a graph
   * value cannot, so that is OP_UNSUPPORTED rather than lost.
   */
  private rebind(old: Sym, now: Sym, op: string): void {
    const view = this.views.get(old);
    if (view) throw this.fail('OP_UNSUPPORTED', `in-place ${op} on the result of ${view}, a view of another tensor (the write would not reach it)`);
    let i = this.frames.length - 1;
    for (; i >= 0; i--) {
      const frame = this.frames[i]!;
      for (const [name, v] of frame) if (v === old) frame.set(name, now);
      if (scopeFrames.has(frame)) break;
    }
    if (i < 0) return;
    // Inside a branch or loop body: the copies and the frame they were made from take the change by name when
    // they merge; a caller's frame further out would not, so a tensor it also holds is not lowered.
    let owner: Frame | undefined;
    for (i--; i >= 0; i--) {
      const frame = this.frames[i]!;
      if (scopeFrames.has(frame) || frame === owner) continue;
      if (!owner) {
        owner = frame;
        continue;
      }
      for (const [name, v] of frame) {
        if (v === old) throw this.fail('OP_UNSUPPORTED', `in-place ${op} inside a run-time if or loop on a tensor a calling function also holds (as '${name}')`);
      }
    }
  }
}

/** Field names of a NamedTuple class, in declaration order. */
export function namedTupleFields(def: ClassDef): string[] {
  return [...def.attributes.keys()];
}

function typeText(v: PyValue): string {
  if (v instanceof TypeRef) return v.text;
  if (v instanceof Namespace) return v.path;
  if (v === null) return 'None';
  return String(v);
}

function isInstance(v: PyValue, type: string): boolean {
  if (type === 'Tensor') return v instanceof Sym ? v.dtype !== 'string' : v instanceof Tensor;
  if (type.startsWith('List')) return Array.isArray(v) || (v instanceof Sym && v.dtype === 'string');
  if (type === 'int') return typeof v === 'bigint';
  if (type === 'float') return typeof v === 'number';
  if (type === 'str') return typeof v === 'string';
  if (type === 'bool') return typeof v === 'boolean';
  if (type.startsWith('Dict')) return v instanceof Map;
  if (type.startsWith('Tuple')) return v instanceof PickleTuple;
  if (v instanceof PickleObject) return v.className === type;
  return false;
}

/** Calling a type converts (`int(x)` is aten::Int). */
const TYPE_CONVERSIONS: Record<string, string> = { int: 'Int', float: 'Float', bool: 'Bool', str: 'str' };

/** aten ops whose result shares storage with their input (torch's view ops and aliases). */
const VIEW_OPS = new Set([
  'slice', 'select', 'view', 'view_as', 'reshape', 'transpose', 'permute', 't', 'squeeze', 'unsqueeze', 'expand', 'expand_as',
  'narrow', 'flatten', 'unflatten', '__getitem__', 'split', 'split_with_sizes', 'chunk', 'unbind', 'diagonal', 'detach', 'alias',
  'as_strided', 'unfold', 'movedim', 'swapaxes', 'contiguous',
]);

const PYTHON_BUILTINS = new Set(['len', 'list', 'min', 'max', 'abs', 'round', 'sum']);

const BINARY_OPERATORS: Record<string, string> = {
  '+': 'aten::add', '-': 'aten::sub', '*': 'aten::mul', '/': 'aten::div', '//': 'aten::floordiv', '%': 'aten::remainder',
  '**': 'aten::pow', '@': 'aten::matmul', '==': 'aten::eq', '!=': 'aten::ne', '<': 'aten::lt', '<=': 'aten::le',
  '>': 'aten::gt', '>=': 'aten::ge', '&': 'aten::__and__', '|': 'aten::__or__', '^': 'aten::__xor__', in: 'aten::__contains__',
  'not in': 'aten::__not_contains__',
};

const UNARY_OPERATORS: Record<string, string> = { '-': 'aten::neg', not: 'aten::__not__', '+': 'aten::__pos__', '~': 'aten::bitwise_not' };
