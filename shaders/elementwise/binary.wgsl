// y = epilogue(op(a, b)) with ONNX (numpy) broadcasting: each operand has a stride per output dim, 0 where it
// broadcasts. n.y is the rank; n.z is 1 when both operands have the output's shape (no index arithmetic).
struct Params {
  act: vec4<f32>,
  n: vec4<u32>,
  shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a_data: array<f32>;
@group(0) @binding(2) var<storage, read> b_data: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

{{elementwise/math}}
{{EPILOGUE}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  var ia = i;
  var ib = i;
  if (u.n.z == 0u) {
    ia = 0u;
    ib = 0u;
    var rem = i;
    for (var d = i32(u.n.y) - 1; d >= 0; d--) {
      let k = u32(d);
      let dim = u.shape[k / 4u][k % 4u];
      let c = rem % dim;
      rem = rem / dim;
      ia += c * u.a_strides[k / 4u][k % 4u];
      ib += c * u.b_strides[k / 4u][k % 4u];
    }
  }
  let a = a_data[ia];
  let b = b_data[ib];
  y[i] = epilogue({{EXPR}}, u.act);
}
