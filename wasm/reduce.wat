;; Sum, mean and max of float32 on SIMD128, over a contiguous run of axes: the input seen as [outer, n, inner].
;; op: 0 sum, 1 mean (the sum divided by n), 2 max (NaN propagates: f32x4.max and f32.max return NaN for a NaN
;; operand, as the reference's "NaN wins" rule). n is at least 1.
(module
  (import "env" "memory" (memory 1))

  (func $vstep (param $op i32) (param $a v128) (param $v v128) (result v128)
    (if (result v128) (i32.eq (local.get $op) (i32.const 2))
      (then (f32x4.max (local.get $a) (local.get $v)))
      (else (f32x4.add (local.get $a) (local.get $v)))))

  (func $step (param $op i32) (param $a f32) (param $v f32) (result f32)
    (if (result f32) (i32.eq (local.get $op) (i32.const 2))
      (then (f32.max (local.get $a) (local.get $v)))
      (else (f32.add (local.get $a) (local.get $v)))))

  ;; inner = 1: y[r] = op over x[r·n .. r·n + n), four lanes apart, then the tail.
  (func (export "reduce_rows") (param $op i32) (param $x i32) (param $y i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $j i32) (local $n4 i32) (local $px i32) (local $acc v128) (local $s f32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $px (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 2))))
      (if (i32.ge_u (local.get $n4) (i32.const 4))
        (then
          (local.set $acc (v128.load (local.get $px)))
          (local.set $j (i32.const 4))
          (block $e1 (loop $l1
            (br_if $e1 (i32.ge_u (local.get $j) (local.get $n4)))
            (local.set $acc (call $vstep (local.get $op) (local.get $acc) (v128.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $l1)))
          (local.set $s (call $step (local.get $op)
            (call $step (local.get $op) (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (call $step (local.get $op) (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))))
        (else
          (local.set $s (f32.load (local.get $px)))
          (local.set $j (i32.const 1))))
      (block $e2 (loop $l2
        (br_if $e2 (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (call $step (local.get $op) (local.get $s) (f32.load (i32.add (local.get $px) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l2)))
      (if (i32.eq (local.get $op) (i32.const 1)) (then (local.set $s (f32.div (local.get $s) (f32.convert_i32_u (local.get $n))))))
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2))) (local.get $s))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  ;; y[o, i] = op over k of x[o, k, i]: four neighbouring i a vector, the inner mod 4 tail scalar.
  (func (export "reduce_mid") (param $op i32) (param $x i32) (param $y i32) (param $outer i32) (param $n i32) (param $inner i32)
    (local $o i32) (local $i i32) (local $k i32) (local $i4 i32) (local $plane i32) (local $at i32) (local $row i32)
    (local $acc v128) (local $s f32)
    (local.set $i4 (i32.and (local.get $inner) (i32.const -4)))
    (local.set $row (i32.shl (local.get $inner) (i32.const 2)))
    (block $done (loop $plane_loop
      (br_if $done (i32.ge_u (local.get $o) (local.get $outer)))
      (local.set $plane (i32.add (local.get $x) (i32.mul (i32.mul (local.get $o) (local.get $n)) (local.get $row))))
      (local.set $i (i32.const 0))
      (block $e1 (loop $l1
        (br_if $e1 (i32.ge_u (local.get $i) (local.get $i4)))
        (local.set $at (i32.add (local.get $plane) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $acc (v128.load (local.get $at)))
        (local.set $k (i32.const 1))
        (block $e2 (loop $l2
          (br_if $e2 (i32.ge_u (local.get $k) (local.get $n)))
          (local.set $at (i32.add (local.get $at) (local.get $row)))
          (local.set $acc (call $vstep (local.get $op) (local.get $acc) (v128.load (local.get $at))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $l2)))
        (if (i32.eq (local.get $op) (i32.const 1))
          (then (local.set $acc (f32x4.div (local.get $acc) (f32x4.splat (f32.convert_i32_u (local.get $n)))))))
        (v128.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $inner)) (local.get $i)) (i32.const 2))) (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l1)))
      (block $e3 (loop $l3
        (br_if $e3 (i32.ge_u (local.get $i) (local.get $inner)))
        (local.set $at (i32.add (local.get $plane) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $s (f32.load (local.get $at)))
        (local.set $k (i32.const 1))
        (block $e4 (loop $l4
          (br_if $e4 (i32.ge_u (local.get $k) (local.get $n)))
          (local.set $at (i32.add (local.get $at) (local.get $row)))
          (local.set $s (call $step (local.get $op) (local.get $s) (f32.load (local.get $at))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $l4)))
        (if (i32.eq (local.get $op) (i32.const 1)) (then (local.set $s (f32.div (local.get $s) (f32.convert_i32_u (local.get $n))))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $inner)) (local.get $i)) (i32.const 2))) (local.get $s))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l3)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $plane_loop))))
)
