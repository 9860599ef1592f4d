// Batched C = epilogue(alpha * A x B + beta * bias). 64x64 output tiles per workgroup of 16x16 threads, each
// thread a 4x4 register block fed by vec4 reads of the K-slices staged in workgroup memory. Operands are read
// through strides, so transposed Gemm inputs and broadcast batch dims need no copies (load-scalar.wgsl), or as
// vec4s when both are row-major with K and N multiples of 4 (load-vec4.wgsl).
struct Params {
  act: vec4<f32>,
  dims: vec4<u32>,
  a_strides: vec4<u32>,
  b_strides: vec4<u32>,
  bias_strides: vec4<u32>,
  scale: vec4<f32>,
  batch_shape: vec4<u32>,
  a_batch: vec4<u32>,
  b_batch: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a: array<{{OPERAND}}>;
@group(0) @binding(2) var<storage, read> b: array<{{OPERAND}}>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

{{elementwise/math}}
{{EPILOGUE}}

// [k][m / 4] and [k][n / 4] slices of the current K step.
var<workgroup> a_tile: array<vec4<f32>, 256>;
var<workgroup> b_tile: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = u.dims.x;
  let N = u.dims.y;
  let K = u.dims.z;
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  var rem = wg.z;
  var a_off = 0u;
  var b_off = 0u;
  for (var d = 3; d >= 0; d--) {
    let dim = u.batch_shape[d];
    let c = rem % dim;
    rem = rem / dim;
    a_off += c * u.a_batch[d];
    b_off += c * u.b_batch[d];
  }
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < K; k0 += 16u) {
{{LOAD_TILES}}    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let av = a_tile[kk * 16u + lid.y];
      let bv = b_tile[kk * 16u + lid.x];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  let out_off = wg.z * M * N;
  for (var i = 0u; i < 4u; i++) {
    let gm = row0 + lid.y * 4u + i;
    if (gm >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + lid.x * 4u + j;
      if (gn >= N) { continue; }
      var v = u.scale.x * acc[i][j];
      if (u.dims.w == 1u) { v += u.scale.y * bias[gm * u.bias_strides.x + gn * u.bias_strides.y]; }
      y[out_off + gm * N + gn] = epilogue(v, u.act);
    }
  }
}
