// ONNX Where: y = cond ? a : b, the three broadcast together (cond is bool, as u32 words).
struct Params {
  n: vec4<u32>,
  shape: array<vec4<u32>, 2>,
  c_strides: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> cond: array<u32>;
@group(0) @binding(2) var<storage, read> a_data: array<f32>;
@group(0) @binding(3) var<storage, read> b_data: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  var rem = i;
  for (var d = i32(u.n.y) - 1; d >= 0; d--) {
    let k = u32(d);
    let dim = u.shape[k / 4u][k % 4u];
    let c = rem % dim;
    rem = rem / dim;
    ic += c * u.c_strides[k / 4u][k % 4u];
    ia += c * u.a_strides[k / 4u][k % 4u];
    ib += c * u.b_strides[k / 4u][k % 4u];
  }
  y[i] = select(b_data[ib], a_data[ia], cond[ic] != 0u);
}
