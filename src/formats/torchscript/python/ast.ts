/** The Python subset `torch.jit.save` writes (the TorchScript "python printer" output), as a syntax tree. */

export type Expr =
  | { kind: 'name'; id: string; line: number }
  | { kind: 'int'; value: bigint; line: number }
  | { kind: 'float'; value: number; line: number }
  | { kind: 'str'; value: string; line: number }
  | { kind: 'const'; value: boolean | null; line: number }
  | { kind: 'attr'; object: Expr; name: string; line: number }
  | { kind: 'call'; callee: Expr; args: Expr[]; kwargs: [string, Expr][]; line: number }
  | { kind: 'subscript'; object: Expr; index: Expr; line: number }
  | { kind: 'slice'; lower?: Expr; upper?: Expr; step?: Expr; line: number }
  | { kind: 'tuple'; items: Expr[]; line: number }
  | { kind: 'list'; items: Expr[]; line: number }
  | { kind: 'dict'; entries: [Expr, Expr][]; line: number }
  | { kind: 'unary'; op: string; operand: Expr; line: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { kind: 'ternary'; test: Expr; then: Expr; otherwise: Expr; line: number };

export type Stmt =
  | { kind: 'expr'; value: Expr; line: number }
  | { kind: 'assign'; targets: Expr; value: Expr; line: number }
  | { kind: 'augassign'; op: string; target: Expr; value: Expr; line: number }
  | { kind: 'annassign'; target: string; annotation: Expr; value?: Expr; line: number }
  | { kind: 'return'; value?: Expr; line: number }
  | { kind: 'if'; test: Expr; body: Stmt[]; orelse: Stmt[]; line: number }
  | { kind: 'for'; target: Expr; iter: Expr; body: Stmt[]; line: number }
  | { kind: 'while'; test: Expr; body: Stmt[]; line: number }
  | { kind: 'pass' | 'break' | 'continue'; line: number }
  | { kind: 'assert'; test: Expr; message?: Expr; line: number }
  | { kind: 'raise'; value?: Expr; line: number }
  | { kind: 'def'; def: FunctionDef; line: number }
  | { kind: 'class'; def: ClassDef; line: number };

export interface Param {
  name: string;
  annotation?: Expr;
  default?: Expr;
}

export interface FunctionDef {
  name: string;
  params: Param[];
  returns?: Expr;
  body: Stmt[];
  line: number;
}

export interface ClassDef {
  name: string;
  bases: Expr[];
  /** Declared attributes (`name : Type`, `__annotations__["0"] = Type`). */
  attributes: Map<string, Expr>;
  /** Class-level assignments (`__parameters__ = [...]`, `__constants__`, NamedTuple fields). */
  assignments: Map<string, Expr>;
  methods: Map<string, FunctionDef>;
  line: number;
}

/** One parsed source file. */
export interface Module {
  path: string;
  classes: Map<string, ClassDef>;
  functions: Map<string, FunctionDef>;
}
