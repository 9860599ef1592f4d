/**
 * Matrix products shared by the kernels. For other kernel authors (RNN, quantized, attention): call
 * `gemmF32(m, n, k, a, aOff, b, bOff, c, cOff)` to add A[m×k]·B[k×n] into C[m×n] (row-major, contiguous, at the
 * given offsets; C is accumulated into, so zero it or pre-fill it with a bias). `gemm` is the same for float64,
 * `gemmInt32` / `gemmInt64` wrap like two's-complement hardware (valid for the unsigned dtypes viewed as signed).
 * Transpose an operand first with `transpose2d` when it is stored the other way.
 */
import type { FloatArray } from './float-data.js';

// Tiles keep a KB×NB block of B (128×256 floats, 128 KiB as float32) hot in L2 while every row of A passes over it.
const NB = 256;
const KB = 128;

/**
 * C[m×n] += A[m×k]·B[k×n] in i-k-j order: two rows of A and four of B at a time, so each B element loaded
 * serves two C rows and each C element is loaded and stored once per four products.
 */
export function gemm(m: number, n: number, k: number, a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number): void {
  for (let j0 = 0; j0 < n; j0 += NB) {
    const j1 = Math.min(n, j0 + NB);
    for (let k0 = 0; k0 < k; k0 += KB) {
      const k1 = Math.min(k, k0 + KB);
      let i = 0;
      for (; i + 2 <= m; i += 2) twoRowTile(a, aOff + i * k, k, b, bOff, n, c, cOff + i * n, j0, j1, k0, k1);
      if (i < m) oneRowTile(a, aOff + i * k, b, bOff, n, c, cOff + i * n, j0, j1, k0, k1);
    }
  }
}

function twoRowTile(a: FloatArray, r0: number, k: number, b: FloatArray, bOff: number, n: number, c: FloatArray, c0: number, j0: number, j1: number, k0: number, k1: number): void {
  const r1 = r0 + k, c1 = c0 + n;
  let p = k0;
  for (; p + 4 <= k1; p += 4) {
    const a00 = a[r0 + p]!, a01 = a[r0 + p + 1]!, a02 = a[r0 + p + 2]!, a03 = a[r0 + p + 3]!;
    const a10 = a[r1 + p]!, a11 = a[r1 + p + 1]!, a12 = a[r1 + p + 2]!, a13 = a[r1 + p + 3]!;
    const b0 = bOff + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let j = j0; j < j1; j++) {
      const v0 = b[b0 + j]!, v1 = b[b1 + j]!, v2 = b[b2 + j]!, v3 = b[b3 + j]!;
      c[c0 + j] += a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
      c[c1 + j] += a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
    }
  }
  for (; p < k1; p++) {
    const x0 = a[r0 + p]!, x1 = a[r1 + p]!, b0 = bOff + p * n;
    for (let j = j0; j < j1; j++) {
      const v = b[b0 + j]!;
      c[c0 + j] += x0 * v;
      c[c1 + j] += x1 * v;
    }
  }
}

function oneRowTile(a: FloatArray, aRow: number, b: FloatArray, bOff: number, n: number, c: FloatArray, cRow: number, j0: number, j1: number, k0: number, k1: number): void {
  let p = k0;
  for (; p + 4 <= k1; p += 4) {
    const a0 = a[aRow + p]!, a1 = a[aRow + p + 1]!, a2 = a[aRow + p + 2]!, a3 = a[aRow + p + 3]!;
    const b0 = bOff + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let j = j0; j < j1; j++) c[cRow + j] += a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
  }
  for (; p < k1; p++) {
    const av = a[aRow + p]!, b0 = bOff + p * n;
    for (let j = j0; j < j1; j++) c[cRow + j] += av * b[b0 + j]!;
  }
}

/** The float32 entry point other kernels import (same loop as `gemm`). */
export function gemmF32(m: number, n: number, k: number, a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number): void {
  gemm(m, n, k, a, aOff, b, bOff, c, cOff);
}

/** C += A·B on int32 storage, wrapping modulo 2^32 (the same bits serve uint32). */
export function gemmInt32(m: number, n: number, k: number, a: Int32Array, aOff: number, b: Int32Array, bOff: number, c: Int32Array, cOff: number): void {
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[aOff + i * k + p]!;
      const bRow = bOff + p * n, cRow = cOff + i * n;
      for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j]! + Math.imul(av, b[bRow + j]!)) | 0;
    }
  }
}

/** C += A·B on int64 storage, wrapping modulo 2^64 (the same bits serve uint64). */
export function gemmInt64(m: number, n: number, k: number, a: BigInt64Array, aOff: number, b: BigInt64Array, bOff: number, c: BigInt64Array, cOff: number): void {
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[aOff + i * k + p]!;
      const bRow = bOff + p * n, cRow = cOff + i * n;
      for (let j = 0; j < n; j++) c[cRow + j] = BigInt.asIntN(64, c[cRow + j]! + av * b[bRow + j]!);
    }
  }
}

/** out[c×r] = in[r×c]ᵀ, for any typed array. */
export function transpose2d<T extends { [i: number]: number | bigint; length: number }>(src: T, srcOff: number, rows: number, cols: number, dst: T, dstOff = 0): T {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[dstOff + c * rows + r] = src[srcOff + r * cols + c]!;
  return dst;
}
