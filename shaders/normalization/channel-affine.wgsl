// Inference BatchNormalization folded on the host into y = x * a[c] + b[c] (a = scale / sqrt(var + eps),
// b = bias - mean * a), c the channel (axis 1). n = (count, channels, inner size).
struct Params {
  act: vec4<f32>,
  n: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> ab: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

{{elementwise/math}}
{{EPILOGUE}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  let k = ab[(i / u.n.z) % u.n.y];
  y[i] = epilogue(x[i] * k.x + k.y, u.act);
}
