// bool y = a OP b with numpy broadcasting (as binary.wgsl); bools are u32 words 0 / 1. ELEM is the operands' type:
// f32 for the comparisons, u32 for And/Or/Xor on bool words and Not (its b is a, unused).
struct Params {
  n: vec4<u32>,
  shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a_data: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> b_data: array<{{ELEM}}>;
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
  let a = a_data[ia];
  let b = b_data[ib];
  y[i] = select(0u, 1u, {{EXPR}});
}
