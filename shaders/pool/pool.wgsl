// MaxPool / AveragePool over a 3-D window (1-D and 2-D with unit leading dims), one output a thread. Padding never
// contributes; AveragePool divides by the real taps, or with count_include_pad by the taps inside the explicit
// padding (not the ceil_mode overhang). mode: pads_end.w = 0 max, 1 average, 2 average counting the padding.
struct Params {
  n: vec4<u32>,
  image: vec4<u32>,
  grid: vec4<u32>,
  kernel: vec4<u32>,
  strides: vec4<u32>,
  dilations: vec4<u32>,
  pads: vec4<i32>,
  pads_end: vec4<i32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Taps k in [0, kernel) with start + k * dilation inside [lo, hi).
fn taps_within(start: i32, kernel: u32, dilation: u32, lo: i32, hi: i32) -> u32 {
  var count = 0u;
  for (var k = 0u; k < kernel; k++) {
    let at = start + i32(k * dilation);
    if (at >= lo && at < hi) { count++; }
  }
  return count;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  let P = u.grid.x * u.grid.y * u.grid.z;
  let p = i % P;
  let plane = (i / P) * u.image.x * u.image.y * u.image.z;
  let ow = p % u.grid.z;
  let oh = (p / u.grid.z) % u.grid.y;
  let od = p / (u.grid.z * u.grid.y);
  let d0 = i32(od * u.strides.x) - u.pads.x;
  let h0 = i32(oh * u.strides.y) - u.pads.y;
  let w0 = i32(ow * u.strides.z) - u.pads.z;
  let mode = u.pads_end.w;
  var acc = 0.0;
  if (mode == 0) { acc = -3.4028234663852886e38; }
  var count = 0u;
  var any_tap = false;
  for (var kd = 0u; kd < u.kernel.x; kd++) {
    let id = d0 + i32(kd * u.dilations.x);
    if (id < 0 || u32(id) >= u.image.x) { continue; }
    for (var kh = 0u; kh < u.kernel.y; kh++) {
      let ih = h0 + i32(kh * u.dilations.y);
      if (ih < 0 || u32(ih) >= u.image.y) { continue; }
      for (var kw = 0u; kw < u.kernel.z; kw++) {
        let iw = w0 + i32(kw * u.dilations.z);
        if (iw < 0 || u32(iw) >= u.image.z) { continue; }
        let v = x[plane + (u32(id) * u.image.y + u32(ih)) * u.image.z + u32(iw)];
        if (mode == 0) {
          if (!any_tap || v > acc) { acc = v; }
        } else {
          acc += v;
        }
        any_tap = true;
        count++;
      }
    }
  }
  if (mode == 2) {
    count = taps_within(d0, u.kernel.x, u.dilations.x, -u.pads.x, i32(u.image.x) + u.pads_end.x)
      * taps_within(h0, u.kernel.y, u.dilations.y, -u.pads.y, i32(u.image.y) + u.pads_end.y)
      * taps_within(w0, u.kernel.z, u.dilations.z, -u.pads.z, i32(u.image.z) + u.pads_end.z);
  }
  if (mode != 0) { acc = acc / f32(count); }
  y[i] = acc;
}
