// The M = 1 case of matmul.wgsl (a classifier head, one token): y[n] = epilogue(alpha * a . B[:, n] + beta * bias),
// one output a thread, consecutive threads reading consecutive columns of B. Same Params as matmul.wgsl.
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
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

{{elementwise/math}}
{{EPILOGUE}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let N = u.dims.y;
  let K = u.dims.z;
  let n = gid.x;
  if (n >= N) { return; }
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
  var acc = 0.0;
  for (var k = 0u; k < K; k++) {
    acc += a[a_off + k * u.a_strides.y] * b[b_off + k * u.b_strides.x + n * u.b_strides.y];
  }
  var v = u.scale.x * acc;
  if (u.dims.w == 1u) { v += u.scale.y * bias[n * u.bias_strides.y]; }
  y[wg.z * N + n] = epilogue(v, u.act);
}
