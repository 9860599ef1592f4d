;; A blocked 2-D transpose of float32 on SIMD128, the core of a general Transpose: dst[c·lds + r] = src[r·lss + c]
;; for r < rows, c < cols (lss, lds: row strides in elements). 4×4 tiles are four row loads, eight shuffles and
;; four column stores; the rows mod 4 and cols mod 4 edges move one element at a time.
(module
  (import "env" "memory" (memory 1))

  (func (export "transpose2d") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $lss i32) (param $lds i32)
    (local $r i32) (local $c i32) (local $r4 i32) (local $c4 i32) (local $s i32) (local $d i32) (local $sb i32) (local $db i32)
    (local $a v128) (local $b v128) (local $e v128) (local $f v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $sb (i32.shl (local.get $lss) (i32.const 2)))
    (local.set $db (i32.shl (local.get $lds) (i32.const 2)))
    (block $rows_done (loop $rows_loop
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $r4)))
      (local.set $c (i32.const 0))
      (block $cols_done (loop $cols_loop
        (br_if $cols_done (i32.ge_u (local.get $c) (local.get $c4)))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $lss)) (local.get $c)) (i32.const 2))))
        (local.set $a (v128.load (local.get $s)))
        (local.set $b (v128.load (i32.add (local.get $s) (local.get $sb))))
        (local.set $e (v128.load (i32.add (local.get $s) (i32.shl (local.get $sb) (i32.const 1)))))
        (local.set $f (v128.load (i32.add (local.get $s) (i32.mul (local.get $sb) (i32.const 3)))))
        ;; [a0 b0 a1 b1], [a2 b2 a3 b3], [e0 f0 e1 f1], [e2 f2 e3 f3]
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e) (local.get $f)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $e) (local.get $f)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $lds)) (local.get $r)) (i32.const 2))))
        (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (local.get $db))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $d) (i32.shl (local.get $db) (i32.const 1)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $d) (i32.mul (local.get $db) (i32.const 3)))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cols_loop)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $rows_loop)))
    ;; The column edge of the tiled rows, then every column of the last rows mod 4.
    (local.set $r (i32.const 0))
    (block $e1 (loop $l1
      (br_if $e1 (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (select (local.get $c4) (i32.const 0) (i32.lt_u (local.get $r) (local.get $r4))))
      (block $e2 (loop $l2
        (br_if $e2 (i32.ge_u (local.get $c) (local.get $cols)))
        (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $lds)) (local.get $r)) (i32.const 2)))
          (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $lss)) (local.get $c)) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l2)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l1))))
)
