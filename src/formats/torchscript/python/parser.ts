import { NeuropodError } from '../../../api/errors.js';
import type { ClassDef, Expr, FunctionDef, Module, Param, Stmt } from './ast.js';
import { tokenize, type Token } from './lexer.js';

/** Parses one TorchScript code file (current layout `code/__torch__/**.py` or legacy `code/model.py`). */
export function parsePython(source: string, path: string): Module {
  const parser = new Parser(tokenize(source, path), path);
  const module: Module = { path, classes: new Map(), functions: new Map() };
  for (const stmt of parser.statements()) {
    if (stmt.kind === 'class') module.classes.set(stmt.def.name, stmt.def);
    else if (stmt.kind === 'def') module.functions.set(stmt.def.name, stmt.def);
  }
  return module;
}

const COMPARISONS = ['==', '!=', '<', '<=', '>', '>='];
const BINARY_LEVELS: string[][] = [['|'], ['^'], ['&'], ['+', '-'], ['*', '/', '//', '%', '@']];

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly path: string,
  ) {}

  private get token(): Token {
    return this.tokens[this.at]!;
  }
  private fail(what: string): NeuropodError {
    return new NeuropodError('MODEL_INVALID', `${this.path}:${this.token.line}: cannot read TorchScript code: ${what} (at '${this.token.text || this.token.kind}')`);
  }
  private is(text: string, kind: Token['kind'] = 'op'): boolean {
    return this.token.kind === kind && this.token.text === text;
  }
  private isName(text: string): boolean {
    return this.is(text, 'name');
  }
  private accept(text: string, kind: Token['kind'] = 'op'): boolean {
    if (!this.is(text, kind)) return false;
    this.at++;
    return true;
  }
  private expect(text: string, kind: Token['kind'] = 'op'): void {
    if (!this.accept(text, kind)) throw this.fail(`expected '${text}'`);
  }
  private name(): string {
    if (this.token.kind !== 'name') throw this.fail('expected a name');
    return this.tokens[this.at++]!.text;
  }

  statements(): Stmt[] {
    const out: Stmt[] = [];
    while (this.token.kind !== 'end') {
      if (this.token.kind === 'newline') { this.at++; continue; }
      out.push(...this.statement());
    }
    return out;
  }

  private block(): Stmt[] {
    this.expect(':');
    if (!this.accept('', 'newline')) return this.simpleStatements();
    if (!this.accept('', 'indent')) throw this.fail('expected an indented block');
    const body: Stmt[] = [];
    while (this.token.kind !== 'dedent' && this.token.kind !== 'end') {
      if (this.token.kind === 'newline') { this.at++; continue; }
      body.push(...this.statement());
    }
    this.accept('', 'dedent');
    return body;
  }

  private statement(): Stmt[] {
    const line = this.token.line;
    if (this.isName('def')) return [{ kind: 'def', def: this.functionDef(), line }];
    if (this.isName('class')) return [{ kind: 'class', def: this.classDef(), line }];
    if (this.accept('if', 'name')) return [this.ifRest(line)];
    if (this.accept('for', 'name')) {
      const target = this.targetList();
      this.expect('in', 'name');
      const iter = this.exprList();
      return [{ kind: 'for', target, iter, body: this.block(), line }];
    }
    if (this.accept('while', 'name')) {
      const test = this.expr();
      return [{ kind: 'while', test, body: this.block(), line }];
    }
    return this.simpleStatements();
  }

  private ifRest(line: number): Stmt {
    const test = this.expr();
    const body = this.block();
    let orelse: Stmt[] = [];
    if (this.isName('elif')) {
      const elifLine = this.token.line;
      this.at++;
      orelse = [this.ifRest(elifLine)];
    } else if (this.accept('else', 'name')) orelse = this.block();
    return { kind: 'if', test, body, orelse, line };
  }

  private simpleStatements(): Stmt[] {
    const out = [this.simpleStatement()];
    while (this.accept(';')) if (this.token.kind !== 'newline') out.push(this.simpleStatement());
    if (this.token.kind !== 'end') this.expect('', 'newline');
    return out;
  }

  private simpleStatement(): Stmt {
    const line = this.token.line;
    if (this.accept('pass', 'name')) return { kind: 'pass', line };
    if (this.accept('break', 'name')) return { kind: 'break', line };
    if (this.accept('continue', 'name')) return { kind: 'continue', line };
    if (this.accept('return', 'name')) return { kind: 'return', value: this.token.kind === 'newline' ? undefined : this.exprList(), line };
    if (this.accept('raise', 'name')) return { kind: 'raise', value: this.token.kind === 'newline' ? undefined : this.expr(), line };
    if (this.accept('assert', 'name')) {
      const test = this.expr();
      return { kind: 'assert', test, message: this.accept(',') ? this.expr() : undefined, line };
    }
    if (this.isName('import') || this.isName('from')) {
      while (this.token.kind !== 'newline' && this.token.kind !== 'end') this.at++;
      return { kind: 'pass', line };
    }
    const first = this.exprList();
    if (this.accept(':')) {
      if (first.kind !== 'name') throw this.fail('annotated assignment to something that is not a name');
      const annotation = this.expr();
      return { kind: 'annassign', target: first.id, annotation, value: this.accept('=') ? this.exprList() : undefined, line };
    }
    const aug = ['+=', '-=', '*=', '/=', '//=', '**='].find((op) => this.is(op));
    if (aug) {
      this.at++;
      return { kind: 'augassign', op: aug.slice(0, -1), target: first, value: this.exprList(), line };
    }
    if (!this.accept('=')) return { kind: 'expr', value: first, line };
    let value = this.exprList();
    let targets = first;
    // Chained `a = b = value` assigns the same value to every target; the printer does not emit it, keep the last.
    while (this.accept('=')) {
      targets = value;
      value = this.exprList();
    }
    return { kind: 'assign', targets, value, line };
  }

  private functionDef(): FunctionDef {
    const line = this.token.line;
    this.expect('def', 'name');
    const name = this.name();
    this.expect('(');
    const params: Param[] = [];
    while (!this.accept(')')) {
      if (this.accept('*') || this.accept('/')) { this.accept(','); continue; }
      const param: Param = { name: this.name() };
      if (this.accept(':')) param.annotation = this.expr();
      if (this.accept('=')) param.default = this.expr();
      params.push(param);
      if (!this.accept(',')) { this.expect(')'); break; }
    }
    const returns = this.accept('->') ? this.expr() : undefined;
    return { name, params, returns, body: this.block(), line };
  }

  private classDef(): ClassDef {
    const line = this.token.line;
    this.expect('class', 'name');
    const name = this.name();
    const bases: Expr[] = [];
    if (this.accept('(')) {
      while (!this.accept(')')) {
        bases.push(this.expr());
        this.accept(',');
      }
    }
    const def: ClassDef = { name, bases, attributes: new Map(), assignments: new Map(), methods: new Map(), line };
    for (const stmt of this.block()) {
      if (stmt.kind === 'def') def.methods.set(stmt.def.name, stmt.def);
      else if (stmt.kind === 'annassign') def.attributes.set(stmt.target, stmt.annotation);
      else if (stmt.kind === 'assign' && stmt.targets.kind === 'name') def.assignments.set(stmt.targets.id, stmt.value);
      else if (stmt.kind === 'assign' && stmt.targets.kind === 'subscript' && stmt.targets.index.kind === 'str') {
        def.attributes.set(stmt.targets.index.value, stmt.value); // __annotations__["0"] = Type
      }
    }
    return def;
  }

  /** Targets of `for` and of tuple assignments: `a, b, = ...` */
  private targetList(): Expr {
    const line = this.token.line;
    const first = this.postfix();
    if (!this.is(',')) return first;
    const items = [first];
    while (this.accept(',')) {
      if (this.isName('in') || this.is('=')) break;
      items.push(this.postfix());
    }
    return { kind: 'tuple', items, line };
  }

  /** An expression or a bare tuple `a, b`. */
  exprList(): Expr {
    const line = this.token.line;
    const first = this.expr();
    if (!this.is(',')) return first;
    const items = [first];
    while (this.accept(',')) {
      if (this.token.kind === 'newline' || this.is('=') || this.is(')') || this.is(':')) break;
      items.push(this.expr());
    }
    return { kind: 'tuple', items, line };
  }

  expr(): Expr {
    const line = this.token.line;
    const value = this.or();
    if (this.accept('if', 'name')) {
      const test = this.or();
      this.expect('else', 'name');
      return { kind: 'ternary', test, then: value, otherwise: this.expr(), line };
    }
    return value;
  }

  private or(): Expr {
    let left = this.and();
    while (this.isName('or')) {
      const line = this.token.line;
      this.at++;
      left = { kind: 'binary', op: 'or', left, right: this.and(), line };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isName('and')) {
      const line = this.token.line;
      this.at++;
      left = { kind: 'binary', op: 'and', left, right: this.not(), line };
    }
    return left;
  }

  private not(): Expr {
    const line = this.token.line;
    if (this.accept('not', 'name')) return { kind: 'unary', op: 'not', operand: this.not(), line };
    return this.comparison();
  }

  private comparison(): Expr {
    let left = this.binary(0);
    for (;;) {
      const line = this.token.line;
      let op: string | undefined = COMPARISONS.find((o) => this.is(o));
      if (op) this.at++;
      else if (this.accept('in', 'name')) op = 'in';
      else if (this.isName('not') && this.tokens[this.at + 1]?.text === 'in') { this.at += 2; op = 'not in'; }
      else if (this.accept('is', 'name')) op = this.accept('not', 'name') ? 'is not' : 'is';
      if (!op) return left;
      left = { kind: 'binary', op, left, right: this.binary(0), line };
    }
  }

  private binary(level: number): Expr {
    if (level >= BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = BINARY_LEVELS[level]!.find((o) => this.is(o));
      if (!op) return left;
      const line = this.token.line;
      this.at++;
      left = { kind: 'binary', op, left, right: this.binary(level + 1), line };
    }
  }

  private unary(): Expr {
    const line = this.token.line;
    for (const op of ['-', '+', '~']) if (this.accept(op)) return { kind: 'unary', op, operand: this.unary(), line };
    const base = this.postfix();
    if (this.accept('**')) return { kind: 'binary', op: '**', left: base, right: this.unary(), line };
    return base;
  }

  private postfix(): Expr {
    let e = this.atom();
    for (;;) {
      const line = this.token.line;
      if (this.accept('.')) e = { kind: 'attr', object: e, name: this.name(), line };
      else if (this.accept('(')) e = this.callRest(e, line);
      else if (this.accept('[')) {
        const index = this.subscriptIndex();
        this.expect(']');
        e = { kind: 'subscript', object: e, index, line };
      } else return e;
    }
  }

  private callRest(callee: Expr, line: number): Expr {
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    while (!this.accept(')')) {
      if (this.token.kind === 'name' && this.tokens[this.at + 1]?.text === '=' && this.tokens[this.at + 1]?.kind === 'op') {
        const key = this.name();
        this.at++;
        kwargs.push([key, this.expr()]);
      } else args.push(this.expr());
      if (!this.accept(',')) { this.expect(')'); break; }
    }
    return { kind: 'call', callee, args, kwargs, line };
  }

  private subscriptIndex(): Expr {
    const line = this.token.line;
    const items: Expr[] = [];
    do {
      if (this.is(']')) break;
      items.push(this.sliceOrExpr());
    } while (this.accept(','));
    return items.length === 1 ? items[0]! : { kind: 'tuple', items, line };
  }

  private sliceOrExpr(): Expr {
    const line = this.token.line;
    const lower = this.is(':') ? undefined : this.expr();
    if (!this.accept(':')) return lower!;
    const upper = this.is(':') || this.is(']') || this.is(',') ? undefined : this.expr();
    const step = this.accept(':') && !this.is(']') && !this.is(',') ? this.expr() : undefined;
    return { kind: 'slice', lower, upper, step, line };
  }

  private atom(): Expr {
    const t = this.token;
    const line = t.line;
    if (t.kind === 'int') { this.at++; return { kind: 'int', value: BigInt(t.text), line }; }
    if (t.kind === 'float') { this.at++; return { kind: 'float', value: Number(t.text), line }; }
    if (t.kind === 'str') {
      let value = '';
      while (this.token.kind === 'str') value += this.tokens[this.at++]!.value!;
      return { kind: 'str', value, line };
    }
    if (t.kind === 'name') {
      this.at++;
      if (t.text === 'True' || t.text === 'False') return { kind: 'const', value: t.text === 'True', line };
      if (t.text === 'None') return { kind: 'const', value: null, line };
      if (t.text === 'inf' || t.text === 'nan') return { kind: 'float', value: t.text === 'inf' ? Infinity : NaN, line };
      return { kind: 'name', id: t.text, line };
    }
    if (this.accept('(')) {
      if (this.accept(')')) return { kind: 'tuple', items: [], line };
      const first = this.expr();
      if (this.accept(')')) return first;
      const items = [first];
      while (this.accept(',')) {
        if (this.is(')')) break;
        items.push(this.expr());
      }
      this.expect(')');
      return { kind: 'tuple', items, line };
    }
    if (this.accept('[')) {
      const items: Expr[] = [];
      while (!this.accept(']')) {
        items.push(this.expr());
        if (!this.accept(',')) { this.expect(']'); break; }
      }
      return { kind: 'list', items, line };
    }
    if (this.accept('{')) {
      const entries: [Expr, Expr][] = [];
      while (!this.accept('}')) {
        const key = this.expr();
        this.expect(':');
        entries.push([key, this.expr()]);
        if (!this.accept(',')) { this.expect('}'); break; }
      }
      return { kind: 'dict', entries, line };
    }
    throw this.fail('unexpected token');
  }
}
