// y = epilogue(op(x)): one generated unary op (EXPR reads `v` and the op's parameters `p`), then a fused activation.
struct Params {
  act: vec4<f32>,
  p: vec4<f32>,
  n: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

{{elementwise/math}}
{{EPILOGUE}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  let v = x[i];
  let p = u.p;
  y[i] = epilogue({{EXPR}}, u.act);
}
