;; LayerNormalization over contiguous rows of n floats, on SIMD128:
;; y = (x - mean) / sqrt(var + eps) · scale + bias, var the mean of (x - mean)² (two passes over the row, so
;; the variance never subtracts two large squares). Four lanes accumulate apart and are added at the end; the
;; n mod 4 tail runs scalar. Optionally stores each row's mean and 1 / sqrt(var + eps) (ONNX's Mean, InvStdDev).
(module
  (import "env" "memory" (memory 1))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; x, y: rows × n floats; scale, bias: n floats (bias read only when has_bias); mean, inv: rows floats each,
  ;; written only when want_stats.
  (func (export "layernorm") (param $x i32) (param $scale i32) (param $bias i32) (param $has_bias i32)
    (param $y i32) (param $mean_out i32) (param $inv_out i32) (param $want_stats i32) (param $rows i32) (param $n i32) (param $eps f32)
    (local $r i32) (local $j i32) (local $n4 i32) (local $px i32) (local $py i32)
    (local $acc v128) (local $d v128) (local $vm v128) (local $vi v128)
    (local $s f32) (local $mean f32) (local $inv f32) (local $t f32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $px (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 2))))
        (local.set $py (i32.add (local.get $y) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 2))))
        ;; mean
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $e1 (loop $l1
          (br_if $e1 (i32.ge_u (local.get $j) (local.get $n4)))
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $l1)))
        (local.set $s (call $hsum (local.get $acc)))
        (block $e2 (loop $l2
          (br_if $e2 (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l2)))
        (local.set $mean (f32.div (local.get $s) (f32.convert_i32_u (local.get $n))))
        (local.set $vm (f32x4.splat (local.get $mean)))
        ;; variance
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $e3 (loop $l3
          (br_if $e3 (i32.ge_u (local.get $j) (local.get $n4)))
          (local.set $d (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2)))) (local.get $vm)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $l3)))
        (local.set $s (call $hsum (local.get $acc)))
        (block $e4 (loop $l4
          (br_if $e4 (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $t (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2)))) (local.get $mean)))
          (local.set $s (f32.add (local.get $s) (f32.mul (local.get $t) (local.get $t))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l4)))
        (local.set $inv (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.div (local.get $s) (f32.convert_i32_u (local.get $n))) (local.get $eps)))))
        (local.set $vi (f32x4.splat (local.get $inv)))
        (if (local.get $want_stats) (then
          (f32.store (i32.add (local.get $mean_out) (i32.shl (local.get $r) (i32.const 2))) (local.get $mean))
          (f32.store (i32.add (local.get $inv_out) (i32.shl (local.get $r) (i32.const 2))) (local.get $inv))))
        ;; y
        (local.set $j (i32.const 0))
        (block $e5 (loop $l5
          (br_if $e5 (i32.ge_u (local.get $j) (local.get $n4)))
          (local.set $d (f32x4.mul
            (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2)))) (local.get $vm)) (local.get $vi))
            (v128.load (i32.add (local.get $scale) (i32.shl (local.get $j) (i32.const 2))))))
          (if (local.get $has_bias) (then
            (local.set $d (f32x4.add (local.get $d) (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
          (v128.store (i32.add (local.get $py) (i32.shl (local.get $j) (i32.const 2))) (local.get $d))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $l5)))
        (block $e6 (loop $l6
          (br_if $e6 (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $t (f32.mul
            (f32.mul (f32.sub (f32.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2)))) (local.get $mean)) (local.get $inv))
            (f32.load (i32.add (local.get $scale) (i32.shl (local.get $j) (i32.const 2))))))
          (if (local.get $has_bias) (then
            (local.set $t (f32.add (local.get $t) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
          (f32.store (i32.add (local.get $py) (i32.shl (local.get $j) (i32.const 2))) (local.get $t))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l6)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
)
