// ONNX Pad on the cropped input (negative pads crop first): an output coordinate c reads cropped coordinate
// j = c - before, or for j outside [0, kept) the mode's choice: n.z = 0 constant (fill.x), 1 reflect, 2 edge, 3 wrap.
struct Params {
  n: vec4<u32>,
  fill: vec4<f32>,
  shape: array<vec4<u32>, 2>,
  before: array<vec4<i32>, 2>,
  kept: array<vec4<i32>, 2>,
  lo: array<vec4<i32>, 2>,
  strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn outside(j: i32, n: i32, mode: u32) -> i32 {
  switch mode {
    case 1u: {
      if (n == 1) { return 0; }
      let period = 2 * (n - 1);
      let m = ((j % period) + period) % period;
      return select(period - m, m, m < n);
    }
    case 2u: { return clamp(j, 0, n - 1); }
    case 3u: { return ((j % n) + n) % n; }
    default: { return -1; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  var rem = i;
  var src = 0u;
  for (var d = i32(u.n.y) - 1; d >= 0; d--) {
    let k = u32(d);
    let dim = u.shape[k / 4u][k % 4u];
    let c = i32(rem % dim);
    rem = rem / dim;
    let kept = u.kept[k / 4u][k % 4u];
    var j = c - u.before[k / 4u][k % 4u];
    if (j < 0 || j >= kept) { j = outside(j, kept, u.n.z); }
    if (j < 0) {
      y[i] = u.fill.x;
      return;
    }
    src += u32(u.lo[k / 4u][k % 4u] + j) * u.strides[k / 4u][k % 4u];
  }
  y[i] = x[src];
}
