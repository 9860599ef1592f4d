;; Unary float32 activations on SIMD128, y[i] = f(x[i]) for n floats (x and y may be the same block), each with the
;; reference's rule (kernels/activation.ts, kernels/elementwise.ts) so the results are the same floats:
;;   op 0 clip:          x < lo ? lo : x, then > hi ? hi (Relu is lo 0, hi +inf; NaN and -0 pass through);
;;   op 1 leaky_relu:    x < 0 ? a·x : x;
;;   op 2 hard_sigmoid:  max(0, min(1, a·x + b));
;;   op 3 sqrt, op 4 abs (f32 sqrt is correctly rounded, as the reference's double sqrt rounded to f32).
;; The tail of fewer than four floats runs the same vector code on one splat lane.
(module
  (import "env" "memory" (memory 1))

  (func $vapply (param $op i32) (param $x v128) (param $p v128) (param $q v128) (result v128)
    (local $t v128)
    (block $abs (block $sqrt (block $hard (block $leaky (block $clip
      (br_table $clip $leaky $hard $sqrt $abs (local.get $op)))
      (local.set $t (v128.bitselect (local.get $p) (local.get $x) (f32x4.lt (local.get $x) (local.get $p))))
      (return (v128.bitselect (local.get $q) (local.get $t) (f32x4.gt (local.get $t) (local.get $q)))))
      (return (v128.bitselect (f32x4.mul (local.get $p) (local.get $x)) (local.get $x)
        (f32x4.lt (local.get $x) (f32x4.splat (f32.const 0))))))
      (return (f32x4.max (f32x4.splat (f32.const 0))
        (f32x4.min (f32x4.splat (f32.const 1)) (f32x4.add (f32x4.mul (local.get $p) (local.get $x)) (local.get $q))))))
      (return (f32x4.sqrt (local.get $x))))
    (f32x4.abs (local.get $x)))

  ;; p, q: the op's two parameters (lo and hi, alpha, alpha and beta).
  (func (export "unary") (param $op i32) (param $x i32) (param $y i32) (param $n i32) (param $p f32) (param $q f32)
    (local $i i32) (local $vp v128) (local $vq v128) (local $v v128)
    (local.set $vp (f32x4.splat (local.get $p)))
    (local.set $vq (f32x4.splat (local.get $q)))
    (block $done (loop $vectors
      (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (v128.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
        (call $vapply (local.get $op) (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
          (local.get $vp) (local.get $vq)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vectors)))
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $v (call $vapply (local.get $op) (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (local.get $vp) (local.get $vq)))
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 0 (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail))))
)
