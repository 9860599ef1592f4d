// bool y = a OP b on bool operands (u32 words 0 / 1) with numpy broadcasting (as compare.wgsl): And, Or, Xor;
// Not is the unary case (b unused, its strides 0).
struct Params {
  n: vec4<u32>,
  shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a_data: array<u32>;
@group(0) @binding(2) var<storage, read> b_data: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  var ia = 0u;
  var ib = 0u;
  var rem = i;
  for (var d = i32(u.n.y) - 1; d >= 0; d--) {
    let k = u32(d);
    let dim = u.shape[k / 4u][k % 4u];
    let c = rem % dim;
    rem = rem / dim;
    ia += c * u.a_strides[k / 4u][k % 4u];
    ib += c * u.b_strides[k / 4u][k % 4u];
  }
  let a = a_data[ia] != 0u;
  let b = b_data[ib] != 0u;
  y[i] = select(0u, 1u, {{EXPR}});
}
