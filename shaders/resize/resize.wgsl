// Resize (any mode the host tables express: nearest, linear, cubic, antialias, exclude_outside): each resized
// axis has a table of `taps` (input index, weight) pairs per output coordinate, built on the host by the
// reference's own axisWeights; an index of -1 in a coordinate's first tap marks tf_crop_and_resize's outside
// (the output is the extrapolation value). A thread an output element sums the product of one tap per axis.
struct Params {
  // elements, rank, taps combinations, unused
  n: vec4<u32>,
  out_shape: array<vec4<u32>, 2>,
  in_strides: array<vec4<u32>, 2>,
  // taps per axis (0: the axis is not resampled, the output coordinate is the input one)
  taps: array<vec4<u32>, 2>,
  // each axis's table offset
  offs: array<vec4<u32>, 2>,
  // extrapolation value
  fill: vec4<f32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  let rank = u.n.y;
  // Output coordinates, last axis first; the fixed part of the source offset (axes not resampled).
  var coord: array<u32, 8>;
  var rem = i;
  var base = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let a = u32(d);
    let dim = u.out_shape[a / 4u][a % 4u];
    coord[a] = rem % dim;
    rem = rem / dim;
    let taps = u.taps[a / 4u][a % 4u];
    if (taps == 0u) { base += coord[a] * u.in_strides[a / 4u][a % 4u]; }
    else if (index[u.offs[a / 4u][a % 4u] + coord[a] * taps] < 0) { y[i] = u.fill.x; return; }
  }
  var acc = 0.0;
  for (var c = 0u; c < u.n.z; c++) {
    var r = c;
    var w = 1.0;
    var src = base;
    for (var a = 0u; a < rank; a++) {
      let taps = u.taps[a / 4u][a % 4u];
      if (taps == 0u) { continue; }
      let k = u.offs[a / 4u][a % 4u] + coord[a] * taps + r % taps;
      r = r / taps;
      w *= weight[k];
      src += u32(index[k]) * u.in_strides[a / 4u][a % 4u];
    }
    if (w != 0.0) { acc += w * x[src]; }
  }
  y[i] = acc;
}
