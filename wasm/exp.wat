;; Kernels built on exp, on SIMD128: Softmax over contiguous rows, y = exp(x - max) / Σ exp(x - max), Erf, and
;; the RNN, LSTM and GRU cells' gates.
;; exp is computed as 2^n · e^r with
;; n = round(x / ln 2) and |r| ≤ ln 2 / 2, e^r by its Taylor series to r^7 (remainder below 1e-8 relative, under
;; float32's half ulp), ln 2 split in two so r keeps its low bits. Inputs below -87.3 give 2^-126 instead of a
;; denormal, which a softmax divides to nothing.
(module
  (import "env" "memory" (memory 1))

  (func $vexp (param $v v128) (result v128)
    (local $x v128) (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $v) (f32x4.splat (f32.const -87.33654))) (f32x4.splat (f32.const 88.0))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504)))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375))))
      (f32x4.mul (local.get $n) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.98412698e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.38888889e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.33333333e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.16666667e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.66666667e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 0.5))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))

;; erf: x·P(x²) from erf's Taylor series to x^15 for |x| < 0.5 (relative error below 1e-8), and for larger |x|
  ;; Abramowitz & Stegun 7.1.26, 1 - t·(a1 + t·(a2 + ...))·exp(-x²) with t = 1/(1 + p·|x|) (absolute error below
  ;; 1.5e-7, where erf is above 0.52; 3.5e-7 with float32 rounding), the sign of x put back.
  (func $verf (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $s v128) (local $t v128) (local $q v128) (local $big v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    ;; 2/sqrt(pi) · (1 - z/3 + z²/10 - z³/42 + z⁴/216 - z⁵/1320 + z⁶/9360 - z⁷/75600)
    (local.set $s (f32x4.splat (f32.const -1.32275132e-5)))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const 1.06837607e-4))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const -7.57575758e-4))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const 4.62962963e-3))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const -2.38095238e-2))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const 0.1))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const -0.333333333))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const 1))))
    (local.set $s (f32x4.mul (f32x4.mul (local.get $s) (local.get $x)) (f32x4.splat (f32.const 1.12837917))))
    (local.set $t (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $a) (f32x4.splat (f32.const 0.3275911))))))
    (local.set $q (f32x4.splat (f32.const 1.061405429)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const -1.453152027))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 1.421413741))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const -0.284496736))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 0.254829592))))
    (local.set $big (f32x4.sub (f32x4.splat (f32.const 1))
      (f32x4.mul (f32x4.mul (local.get $q) (local.get $t)) (call $vexp (f32x4.neg (local.get $z))))))
    ;; copysign(big, x): the magnitude's bits with x's sign bit.
    (local.set $big (v128.or (v128.and (local.get $big) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
    (v128.bitselect (local.get $s) (local.get $big) (f32x4.lt (local.get $a) (f32x4.splat (f32.const 0.5)))))

  ;; y[i] = erf(x[i]) for n floats (x and y may be the same block).
  (func (export "erf") (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $v v128)
    (block $done (loop $vectors
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (v128.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
        (call $verf (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vectors)))
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $v (call $verf (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))))
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 0 (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail))))

  ;; y[i] = x/2 · (1 + erf(x/√2)) for n floats (Gelu, the erf form): erf as above, so within 2e-7·|x| of the
  ;; float64 formula beyond the rounding of x/√2; a tail of fewer than four floats runs on one splat lane.
  (func $vgelu (param $v v128) (result v128)
    (f32x4.mul (f32x4.mul (local.get $v) (f32x4.splat (f32.const 0.5)))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $verf (f32x4.mul (local.get $v) (f32x4.splat (f32.const 0.70710678)))))))

  (func (export "gelu") (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $v v128)
    (block $done (loop $vectors
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (v128.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
        (call $vgelu (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vectors)))
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $v (call $vgelu (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))))
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 0 (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail))))

  ;; y[i] = sigmoid(x[i]) (op 0) or tanh(x[i]) (op 1) for n floats, the Sigmoid and Tanh ops; a tail of fewer
  ;; than four floats runs on one splat lane.
  (func (export "sigmoid_tanh") (param $op i32) (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $v v128)
    (block $done (loop $vectors
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
      (v128.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
        (if (result v128) (local.get $op) (then (call $vtanh (local.get $v))) (else (call $vsigmoid (local.get $v)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vectors)))
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $v (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $v (if (result v128) (local.get $op) (then (call $vtanh (local.get $v))) (else (call $vsigmoid (local.get $v)))))
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 0 (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail))))

;; sigmoid(x) = 1 / (1 + e^-x).
  (func $vsigmoid (param $x v128) (result v128)
    (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.add (f32x4.splat (f32.const 1)) (call $vexp (f32x4.neg (local.get $x))))))

  ;; tanh: its Taylor series to x^9 below |x| = 0.25 (relative error under 1e-8), 1 - 2 / (e^2|x| + 1) above
  ;; (under 3e-7 relative at 0.25, less beyond), the sign of x put back.
  (func $vtanh (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $s v128) (local $big v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    ;; x · (1 - z/3 + 2z²/15 - 17z³/315 + 62z⁴/2835)
    (local.set $s (f32x4.splat (f32.const 2.18694885e-2)))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const -5.39682540e-2))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const 0.133333333))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const -0.333333333))))
    (local.set $s (f32x4.add (f32x4.mul (local.get $s) (local.get $z)) (f32x4.splat (f32.const 1))))
    (local.set $s (f32x4.mul (local.get $s) (local.get $x)))
    (local.set $big (f32x4.sub (f32x4.splat (f32.const 1)) (f32x4.div (f32x4.splat (f32.const 2))
      (f32x4.add (call $vexp (f32x4.add (local.get $a) (local.get $a))) (f32x4.splat (f32.const 1))))))
    (local.set $big (v128.or (v128.and (local.get $big) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
    (v128.bitselect (local.get $s) (local.get $big) (f32x4.lt (local.get $a) (f32x4.splat (f32.const 0.25)))))

  ;; Four lanes of one LSTM cell at j (ONNX gate order i, o, f, c): the pre-activations are xg + hg, c and h are
  ;; updated in place.
  (func $cell4 (param $xg i32) (param $hg i32) (param $c i32) (param $h i32) (param $gate i32)
    (local $i v128) (local $o v128) (local $f v128) (local $g v128) (local $cell v128)
    (local.set $i (call $vsigmoid (f32x4.add (v128.load (local.get $xg)) (v128.load (local.get $hg)))))
    (local.set $o (call $vsigmoid (f32x4.add (v128.load (i32.add (local.get $xg) (local.get $gate))) (v128.load (i32.add (local.get $hg) (local.get $gate))))))
    (local.set $f (call $vsigmoid (f32x4.add (v128.load (i32.add (local.get $xg) (i32.shl (local.get $gate) (i32.const 1))))
      (v128.load (i32.add (local.get $hg) (i32.shl (local.get $gate) (i32.const 1)))))))
    (local.set $g (call $vtanh (f32x4.add (v128.load (i32.add (local.get $xg) (i32.mul (local.get $gate) (i32.const 3))))
      (v128.load (i32.add (local.get $hg) (i32.mul (local.get $gate) (i32.const 3)))))))
    (local.set $cell (f32x4.add (f32x4.mul (local.get $f) (v128.load (local.get $c))) (f32x4.mul (local.get $i) (local.get $g))))
    (v128.store (local.get $c) (local.get $cell))
    (v128.store (local.get $h) (f32x4.mul (local.get $o) (call $vtanh (local.get $cell)))))

  ;; One step of one batch row: hidden lanes from xg/hg rows (4·hidden floats each) into c and h. Rows of xg, hg,
  ;; c and h are padded by the caller to whole vectors, so the last lanes compute on padding and are ignored.
  (func (export "lstm_cell") (param $xg i32) (param $hg i32) (param $c i32) (param $h i32) (param $hidden i32)
    (local $j i32) (local $gate i32)
    (local.set $gate (i32.shl (local.get $hidden) (i32.const 2)))
    (block $done (loop $vectors
      (br_if $done (i32.ge_s (local.get $j) (local.get $hidden)))
      (call $cell4 (i32.add (local.get $xg) (i32.shl (local.get $j) (i32.const 2))) (i32.add (local.get $hg) (i32.shl (local.get $j) (i32.const 2)))
        (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (i32.add (local.get $h) (i32.shl (local.get $j) (i32.const 2))) (local.get $gate))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vectors))))

;; RNN, one step of one batch row: h = tanh(xg + hg), hidden lanes (rows padded to whole vectors).
  (func (export "rnn_cell") (param $xg i32) (param $hg i32) (param $h i32) (param $hidden i32)
    (local $at i32)
    (block $done (loop $vectors
      (br_if $done (i32.ge_s (local.get $at) (i32.shl (local.get $hidden) (i32.const 2))))
      (v128.store (i32.add (local.get $h) (local.get $at))
        (call $vtanh (f32x4.add (v128.load (i32.add (local.get $xg) (local.get $at))) (v128.load (i32.add (local.get $hg) (local.get $at))))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $vectors))))

  ;; GRU (ONNX gate order z, r, h), one step of one batch row, hidden lanes, rows padded by the caller to whole
  ;; vectors. gru_reset: rh = sigmoid(xr + hr) · h, the input of the h gate's recurrence when linear_before_reset is
  ;; 0. gru_cell: z = sigmoid(xz + hz), candidate tanh(xh + hh) (lbr 0: hh = Rh·rh) or tanh(xh + r · hh) (lbr 1:
  ;; hh = Rh·h + Rbh), h = (1 - z) · candidate + z · h in place.
  (func (export "gru_reset") (param $xg i32) (param $hg i32) (param $h i32) (param $rh i32) (param $hidden i32)
    (local $j i32) (local $gate i32) (local $at i32)
    (local.set $gate (i32.shl (local.get $hidden) (i32.const 2)))
    (block $done (loop $vectors
      (br_if $done (i32.ge_s (local.get $j) (local.get $hidden)))
      (local.set $at (i32.shl (local.get $j) (i32.const 2)))
      (v128.store (i32.add (local.get $rh) (local.get $at))
        (f32x4.mul (v128.load (i32.add (local.get $h) (local.get $at)))
          (call $vsigmoid (f32x4.add (v128.load (i32.add (i32.add (local.get $xg) (local.get $gate)) (local.get $at)))
            (v128.load (i32.add (i32.add (local.get $hg) (local.get $gate)) (local.get $at)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vectors))))

  (func (export "gru_cell") (param $xg i32) (param $hg i32) (param $hh i32) (param $h i32) (param $hidden i32) (param $lbr i32)
    (local $j i32) (local $gate i32) (local $at i32) (local $z v128) (local $rec v128) (local $cand v128) (local $hv v128)
    (local.set $gate (i32.shl (local.get $hidden) (i32.const 2)))
    (block $done (loop $vectors
      (br_if $done (i32.ge_s (local.get $j) (local.get $hidden)))
      (local.set $at (i32.shl (local.get $j) (i32.const 2)))
      (local.set $z (call $vsigmoid (f32x4.add (v128.load (i32.add (local.get $xg) (local.get $at)))
        (v128.load (i32.add (local.get $hg) (local.get $at))))))
      (local.set $rec (v128.load (i32.add (local.get $hh) (local.get $at))))
      (if (local.get $lbr)
        (then (local.set $rec (f32x4.mul (local.get $rec)
          (call $vsigmoid (f32x4.add (v128.load (i32.add (i32.add (local.get $xg) (local.get $gate)) (local.get $at)))
            (v128.load (i32.add (i32.add (local.get $hg) (local.get $gate)) (local.get $at)))))))))
      (local.set $cand (call $vtanh (f32x4.add (v128.load (i32.add (i32.add (local.get $xg) (i32.shl (local.get $gate) (i32.const 1))) (local.get $at)))
        (local.get $rec))))
      (local.set $hv (v128.load (i32.add (local.get $h) (local.get $at))))
      (v128.store (i32.add (local.get $h) (local.get $at))
        (f32x4.add (f32x4.mul (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $z)) (local.get $cand)) (f32x4.mul (local.get $z) (local.get $hv))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vectors))))

  ;; rows × length floats from x to y (they may be the same block).
  (func (export "softmax") (param $x i32) (param $y i32) (param $rows i32) (param $length i32)
    (local $row i32) (local $i i32) (local $xr i32) (local $yr i32) (local $vmax v128) (local $max f32)
    (local $vsum v128) (local $sum f32) (local $e v128) (local $inv f32) (local $vec i32)
    (local.set $vec (i32.and (local.get $length) (i32.const -4)))
    (block $rows_done (loop $rows_loop
      (br_if $rows_done (i32.ge_s (local.get $row) (local.get $rows)))
      (local.set $xr (i32.add (local.get $x) (i32.shl (i32.mul (local.get $row) (local.get $length)) (i32.const 2))))
      (local.set $yr (i32.add (local.get $y) (i32.shl (i32.mul (local.get $row) (local.get $length)) (i32.const 2))))
      ;; max
      (local.set $vmax (f32x4.splat (f32.const -inf)))
      (local.set $i (i32.const 0))
      (block $m_done (loop $m
        (br_if $m_done (i32.ge_s (local.get $i) (local.get $vec)))
        (local.set $vmax (f32x4.max (local.get $vmax) (v128.load (i32.add (local.get $xr) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $m)))
      (local.set $max (f32.max (f32.max (f32x4.extract_lane 0 (local.get $vmax)) (f32x4.extract_lane 1 (local.get $vmax)))
                               (f32.max (f32x4.extract_lane 2 (local.get $vmax)) (f32x4.extract_lane 3 (local.get $vmax)))))
      (block $mt_done (loop $mt
        (br_if $mt_done (i32.ge_s (local.get $i) (local.get $length)))
        (local.set $max (f32.max (local.get $max) (f32.load (i32.add (local.get $xr) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $mt)))
      ;; exp and sum
      (local.set $vsum (f32x4.splat (f32.const 0)))
      (local.set $i (i32.const 0))
      (block $e_done (loop $ev
        (br_if $e_done (i32.ge_s (local.get $i) (local.get $vec)))
        (local.set $e (call $vexp (f32x4.sub (v128.load (i32.add (local.get $xr) (i32.shl (local.get $i) (i32.const 2)))) (f32x4.splat (local.get $max)))))
        (v128.store (i32.add (local.get $yr) (i32.shl (local.get $i) (i32.const 2))) (local.get $e))
        (local.set $vsum (f32x4.add (local.get $vsum) (local.get $e)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $ev)))
      (local.set $sum (f32.add (f32.add (f32x4.extract_lane 0 (local.get $vsum)) (f32x4.extract_lane 1 (local.get $vsum)))
                               (f32.add (f32x4.extract_lane 2 (local.get $vsum)) (f32x4.extract_lane 3 (local.get $vsum)))))
      (block $et_done (loop $et
        (br_if $et_done (i32.ge_s (local.get $i) (local.get $length)))
        (local.set $e (call $vexp (f32x4.splat (f32.sub (f32.load (i32.add (local.get $xr) (i32.shl (local.get $i) (i32.const 2)))) (local.get $max)))))
        (f32.store (i32.add (local.get $yr) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 0 (local.get $e)))
        (local.set $sum (f32.add (local.get $sum) (f32x4.extract_lane 0 (local.get $e))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $et)))
      ;; normalize
      (local.set $inv (f32.div (f32.const 1) (local.get $sum)))
      (local.set $i (i32.const 0))
      (block $n_done (loop $nv
        (br_if $n_done (i32.ge_s (local.get $i) (local.get $vec)))
        (v128.store (i32.add (local.get $yr) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.mul (v128.load (i32.add (local.get $yr) (i32.shl (local.get $i) (i32.const 2)))) (f32x4.splat (local.get $inv))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $nv)))
      (block $nt_done (loop $nt
        (br_if $nt_done (i32.ge_s (local.get $i) (local.get $length)))
        (f32.store (i32.add (local.get $yr) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul (f32.load (i32.add (local.get $yr) (i32.shl (local.get $i) (i32.const 2)))) (local.get $inv)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $nt)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rows_loop))))
)
