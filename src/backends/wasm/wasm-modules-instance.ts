import { WasmHeap } from './wasm-heap.js';
import { WASM_MODULES, WASM_MODULES_SHARED } from './wasm-modules.js';

/** wasm/gemm.wat: sizes and strides in elements, pointers in bytes. */
export interface GemmExports {
  pack_a(src: number, rs: number, cs: number, m: number, k: number, dst: number, alpha: number): void;
  pack_b(src: number, rs: number, cs: number, k: number, n: number, dst: number): void;
  /** mode: where C starts, 0 C itself, 1 bias[i] per row, 2 bias[j] per column, 3 zero (GEMM_START). */
  gemm(m: number, n: number, k: number, pa: number, pb: number, c: number, ldc: number, lo: number, hi: number, tmp: number,
    bias: number, mode: number): void;
}

/** wasm/gemv.wat: C = start + A·B for 1 to 3 rows, A read in place (row stride lda), B packed as for gemm; tmp: 32 bytes. */
export interface GemvExports {
  gemv(m: number, n: number, k: number, a: number, lda: number, pb: number, c: number, ldc: number, lo: number, hi: number, tmp: number,
    bias: number, mode: number): void;
}

/** gemm's `mode`: what C holds before the product is added. */
export const GEMM_START = { c: 0, rowBias: 1, columnBias: 2, zero: 3 } as const;

/** wasm/conv.wat. */
export interface ConvExports {
  im2col_pack(x: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
    dh: number, dw: number, oh: number, ow: number, dst: number): void;
  /** Output positions [j0, j1) only (j0 a multiple of 8), their first panel at dst. */
  im2col_pack_cols(x: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
    dh: number, dw: number, oh: number, ow: number, dst: number, j0: number, j1: number): void;
  depthwise(x: number, w: number, b: number, y: number, c: number, mult: number, h: number, wd: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, dh: number, dw: number, oh: number, ow: number, vlo: number, vhi: number,
    lo: number, hi: number): void;
}

/** wasm/elementwise.wat: operand (o, i) at base + 4·(o·so + i·si), si 0 or 1; op 0 add, 1 sub, 2 mul, 3 div. */
export interface ElementwiseExports {
  binary(op: number, a: number, aso: number, asi: number, b: number, bso: number, bsi: number, y: number, outer: number, inner: number): void;
}

/** wasm/pool.wat. */
export interface PoolExports {
  maxpool(x: number, y: number, planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number,
    pt: number, pl: number, dh: number, dw: number, oh: number, ow: number, vlo: number, vhi: number): void;
}

/** wasm/unary.wat: op 0 clip to [p, q] (Relu: [0, inf]), 1 leaky_relu (alpha p), 2 hard_sigmoid (alpha p, beta q). */
export interface UnaryExports {
  unary(op: number, x: number, y: number, n: number, p: number, q: number): void;
}

/** wasm/exp.wat. */
export interface ExpExports {
  softmax(x: number, y: number, rows: number, length: number): void;
  erf(x: number, y: number, n: number): void;
  /** y = x/2 · (1 + erf(x/√2)), the erf Gelu. */
  gelu(x: number, y: number, n: number): void;
  /** One LSTM step of one batch row: c and h (rows padded to whole vectors) updated from xg + hg. */
  lstm_cell(xg: number, hg: number, c: number, h: number, hidden: number): void;
  /** One RNN step of one batch row: h = tanh(xg + hg). */
  rnn_cell(xg: number, hg: number, h: number, hidden: number): void;
  /** GRU, one batch row: rh = sigmoid(xr + hr)·h (the h gate's recurrence input when linear_before_reset is 0). */
  gru_reset(xg: number, hg: number, h: number, rh: number, hidden: number): void;
  /** GRU, one batch row: h updated from xg, hg (z, r) and hh (the h gate's recurrence: of rh, or of h when lbr is 1). */
  gru_cell(xg: number, hg: number, hh: number, h: number, hidden: number, lbr: number): void;
  /** y = sigmoid(x) (op 0) or tanh(x) (op 1) for n floats. */
  sigmoid_tanh(op: number, x: number, y: number, n: number): void;
}

/** wasm/norm.wat: LayerNormalization over rows of n; mean and inv (rows floats each) written when wantStats is 1. */
export interface NormExports {
  layernorm(x: number, scale: number, bias: number, hasBias: number, y: number, mean: number, inv: number, wantStats: number, rows: number,
    n: number, eps: number): void;
}

/** wasm/reduce.wat: op 0 sum, 1 mean, 2 max; x as [rows, n] (reduce_rows) or [outer, n, inner] (reduce_mid). */
export interface ReduceExports {
  reduce_rows(op: number, x: number, y: number, rows: number, n: number): void;
  reduce_mid(op: number, x: number, y: number, outer: number, n: number, inner: number): void;
}

/** wasm/transpose.wat: dst[c·lds + r] = src[r·lss + c] for r < rows, c < cols. */
export interface TransposeExports {
  transpose2d(src: number, dst: number, rows: number, cols: number, lss: number, lds: number): void;
}

/** The kernel modules, instantiated once per page or process on one shared heap. */
export interface WasmKernelModules {
  heap: WasmHeap;
  gemm: GemmExports;
  gemv: GemvExports;
  conv: ConvExports;
  elementwise: ElementwiseExports;
  pool: PoolExports;
  exp: ExpExports;
  unary: UnaryExports;
  norm: NormExports;
  reduce: ReduceExports;
  transpose: TransposeExports;
  /** 128 bytes of scratch for gemm's edge tiles. */
  tile: number;
  /** gemm and gemv are their relaxed-SIMD builds (fused multiply-add: results differ from the plain build by ulps). */
  relaxed: boolean;
  /** On a shared memory (the thread pool's Workers instantiate `compiled` on the same memory). */
  shared: boolean;
  compiled: Record<string, WebAssembly.Module>;
}

function bytesOf(name: string, shared = false): Uint8Array<ArrayBuffer> {
  const text = atob((shared ? WASM_MODULES_SHARED : WASM_MODULES)[name]!);
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const RELAXED = '-relaxed';

/** Whether this engine validates the relaxed-SIMD builds (`<name>-relaxed`, wasm/build.mjs): then they are the ones run. */
export function relaxedSimdAccepted(): boolean {
  return Object.keys(WASM_MODULES).filter((n) => n.endsWith(RELAXED)).every((n) => WebAssembly.validate(bytesOf(n)));
}

/** Why the kernel modules cannot run here (an engine without SIMD128 rejects them), or undefined. */
export function simdUnavailable(): string | undefined {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return 'this engine has no WebAssembly';
  for (const name of Object.keys(WASM_MODULES).filter((n) => !n.endsWith(RELAXED))) {
    if (!WebAssembly.validate(bytesOf(name))) return `this engine rejects the SIMD128 module '${name}' (WebAssembly SIMD is not supported)`;
  }
  return undefined;
}

const modules: { plain?: Promise<WasmKernelModules>; shared?: Promise<WasmKernelModules> } = {};

/**
 * Compiles and instantiates the modules on first use (asynchronously: browsers refuse large synchronous compiles).
 * `shared`: the build on a shared memory, for models that run on the thread pool (it needs SharedArrayBuffer:
 * Node, or a cross-origin isolated page); the plain build otherwise. Each is made once per page or process.
 */
export function wasmKernelModules(shared = false): Promise<WasmKernelModules> {
  return shared ? (modules.shared ??= instantiateAll(true)) : (modules.plain ??= instantiateAll(false));
}

async function instantiateAll(shared: boolean): Promise<WasmKernelModules> {
  const heap = new WasmHeap(shared);
  const imports = { env: { memory: heap.memory } };
  const compiled: Record<string, WebAssembly.Module> = {}, relaxed = relaxedSimdAccepted();
  const instantiate = async (name: string) => {
    compiled[name] = await WebAssembly.compile(bytesOf(relaxed && WASM_MODULES[name + RELAXED] ? name + RELAXED : name, shared));
    return (await WebAssembly.instantiate(compiled[name], imports)).exports;
  };
  const names = ['gemm', 'gemv', 'conv', 'elementwise', 'pool', 'exp', 'norm', 'reduce', 'transpose'];
  const [gemm, gemv, conv, elementwise, pool, exp, norm, reduce, transpose] = await Promise.all(names.map(instantiate));
  const unary = await instantiate('unary');
  return {
    heap, gemm: gemm as unknown as GemmExports, gemv: gemv as unknown as GemvExports, conv: conv as unknown as ConvExports,
    elementwise: elementwise as unknown as ElementwiseExports, pool: pool as unknown as PoolExports,
    norm: norm as unknown as NormExports, reduce: reduce as unknown as ReduceExports, transpose: transpose as unknown as TransposeExports,
    exp: exp as unknown as ExpExports, unary: unary as unknown as UnaryExports, tile: heap.alloc(128), relaxed, shared, compiled,
  };
}
