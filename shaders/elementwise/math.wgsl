// Math the ONNX elementwise ops and fused epilogues need beyond WGSL's builtins.

// erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
fn erf_f32(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-a * a));
}

// tanh that stays finite where exp overflows.
fn tanh_f32(x: f32) -> f32 {
  let c = clamp(x, -15.0, 15.0);
  let e = exp(2.0 * c);
  return (e - 1.0) / (e + 1.0);
}

// ONNX Pow: a negative base with an integral exponent is defined (x^2 of a difference, in LayerNorm chains).
fn pow_f32(a: f32, b: f32) -> f32 {
  if (b == 2.0) { return a * a; }
  if (b == 1.0) { return a; }
  if (a >= 0.0) { return pow(a, b); }
  // A negative base with a fractional exponent is NaN (C pow); WGSL leaves pow of a negative base undefined
  // (SwiftShader returns |a|^b) and has no NaN constant, so the bits are built from a runtime value.
  if (b != round(b)) { return bitcast<f32>(0x7fc00000u | (bitcast<u32>(a) & 0u)); }
  let r = pow(-a, b);
  return select(r, -r, abs(b % 2.0) == 1.0);
}

fn sigmoid_f32(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// ONNX Log(0) is -inf; WGSL leaves log(0) to the implementation (SwiftShader gives -88) and has no infinity
// constant, so the bits are built from a runtime value.
fn log_f32(x: f32) -> f32 {
  let neg_inf = bitcast<f32>(0xff800000u | (bitcast<u32>(x) & 0u));
  return select(log(x), neg_inf, x == 0.0);
}
