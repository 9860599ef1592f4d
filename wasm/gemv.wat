;; Matrix-vector products for GEMMs of 1 to 3 rows (an RNN's recurrence, a batch-1 dense layer): C[m×n] = start +
;; A[m×k]·B[k×n], clamped to [lo, hi]. A is read in place (row stride lda elements, unit column stride: no packing);
;; B is gemm.wat's packed 8-column panels, so one packing of a weight serves both. A 1-row GEMM through gemm's
;; 4×8 tile wastes three of its four rows and copies every tile through scratch; here four panels (32 columns)
;; share each broadcast element of A and keep eight independent accumulators, so the multiply-add latency is
;; hidden without splitting k. Each sum runs over p = 0..k-1 in order, as in gemm, so results are bit-identical.
;; mode: where C starts, 0 C itself, 1 bias[i] per row, 2 bias[j] per column (padded to whole panels), 3 zero.
(module
  (import "env" "memory" (memory 1))

  ;; The start of 4 lanes: src is C's lanes (mode 0), bias[i] (mode 1, splat) or bias[j]'s lanes (mode 2).
  (func $start (param $src i32) (param $mode i32) (result v128)
    (if (result v128) (i32.eq (local.get $mode) (i32.const 3))
      (then (v128.const f32x4 0 0 0 0))
      (else (if (result v128) (i32.eq (local.get $mode) (i32.const 1))
        (then (v128.load32_splat (local.get $src)))
        (else (v128.load (local.get $src)))))))

  (func $clamp (param $v v128) (param $lo v128) (param $hi v128) (result v128)
    (f32x4.min (f32x4.max (local.get $v) (local.get $lo)) (local.get $hi)))

  ;; 32 columns of one row: four panels (stride ps bytes) from pb against the row at a; start from src (advancing
  ;; 16 bytes a vector unless mode 1), result to c.
  (func $panels4 (param $a i32) (param $k i32) (param $pb i32) (param $ps i32) (param $c i32) (param $src i32)
        (param $mode i32) (param $lo v128) (param $hi v128)
    (local $s i32) (local $end i32) (local $x v128) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (local.set $s (select (i32.const 0) (i32.const 16) (i32.eq (local.get $mode) (i32.const 1))))
    (local.set $c0 (call $start (local.get $src) (local.get $mode)))
    (local.set $c1 (call $start (i32.add (local.get $src) (local.get $s)) (local.get $mode)))
    (local.set $c2 (call $start (i32.add (local.get $src) (i32.mul (local.get $s) (i32.const 2))) (local.get $mode)))
    (local.set $c3 (call $start (i32.add (local.get $src) (i32.mul (local.get $s) (i32.const 3))) (local.get $mode)))
    (local.set $c4 (call $start (i32.add (local.get $src) (i32.mul (local.get $s) (i32.const 4))) (local.get $mode)))
    (local.set $c5 (call $start (i32.add (local.get $src) (i32.mul (local.get $s) (i32.const 5))) (local.get $mode)))
    (local.set $c6 (call $start (i32.add (local.get $src) (i32.mul (local.get $s) (i32.const 6))) (local.get $mode)))
    (local.set $c7 (call $start (i32.add (local.get $src) (i32.mul (local.get $s) (i32.const 7))) (local.get $mode)))
    (local.set $p1 (i32.add (local.get $pb) (local.get $ps)))
    (local.set $p2 (i32.add (local.get $p1) (local.get $ps)))
    (local.set $p3 (i32.add (local.get $p2) (local.get $ps)))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load (local.get $pb)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
      (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load (local.get $p1)))))
      (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $p1)))))
      (local.set $c4 (f32x4.add (local.get $c4) (f32x4.mul (local.get $x) (v128.load (local.get $p2)))))
      (local.set $c5 (f32x4.add (local.get $c5) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $p2)))))
      (local.set $c6 (f32x4.add (local.get $c6) (f32x4.mul (local.get $x) (v128.load (local.get $p3)))))
      (local.set $c7 (f32x4.add (local.get $c7) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $p3)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (local.set $p1 (i32.add (local.get $p1) (i32.const 32)))
      (local.set $p2 (i32.add (local.get $p2) (i32.const 32)))
      (local.set $p3 (i32.add (local.get $p3) (i32.const 32)))
      (br $step)))
    (v128.store (local.get $c) (call $clamp (local.get $c0) (local.get $lo) (local.get $hi)))
    (v128.store offset=16 (local.get $c) (call $clamp (local.get $c1) (local.get $lo) (local.get $hi)))
    (v128.store offset=32 (local.get $c) (call $clamp (local.get $c2) (local.get $lo) (local.get $hi)))
    (v128.store offset=48 (local.get $c) (call $clamp (local.get $c3) (local.get $lo) (local.get $hi)))
    (v128.store offset=64 (local.get $c) (call $clamp (local.get $c4) (local.get $lo) (local.get $hi)))
    (v128.store offset=80 (local.get $c) (call $clamp (local.get $c5) (local.get $lo) (local.get $hi)))
    (v128.store offset=96 (local.get $c) (call $clamp (local.get $c6) (local.get $lo) (local.get $hi)))
    (v128.store offset=112 (local.get $c) (call $clamp (local.get $c7) (local.get $lo) (local.get $hi))))

  ;; 8 columns of one row: one panel.
  (func $panel1 (param $a i32) (param $k i32) (param $pb i32) (param $c i32) (param $src i32) (param $mode i32)
        (param $lo v128) (param $hi v128)
    (local $end i32) (local $x v128) (local $c0 v128) (local $c1 v128)
    (local.set $c0 (call $start (local.get $src) (local.get $mode)))
    (local.set $c1 (call $start (i32.add (local.get $src) (select (i32.const 0) (i32.const 16) (i32.eq (local.get $mode) (i32.const 1))))
      (local.get $mode)))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 2))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load (local.get $pb)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br $step)))
    (v128.store (local.get $c) (call $clamp (local.get $c0) (local.get $lo) (local.get $hi)))
    (v128.store offset=16 (local.get $c) (call $clamp (local.get $c1) (local.get $lo) (local.get $hi))))

  ;; Copies `count` floats from src to dst.
  (func $copy (param $src i32) (param $dst i32) (param $count i32)
    (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $count) (i32.const 2))))

  ;; One row i of C. Whole panels write C in place; the last, cut by n, goes through the 32-byte scratch at tmp.
  (func $row (param $a i32) (param $n i32) (param $k i32) (param $pb i32) (param $c i32) (param $lo v128) (param $hi v128)
        (param $tmp i32) (param $bias i32) (param $mode i32)
    (local $j i32) (local $ps i32) (local $src i32) (local $left i32)
    (local.set $ps (i32.shl (local.get $k) (i32.const 5)))
    (block $wide_done (loop $wide
      (br_if $wide_done (i32.gt_s (i32.add (local.get $j) (i32.const 32)) (local.get $n)))
      (call $panels4 (local.get $a) (local.get $k) (i32.add (local.get $pb) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $ps)))
        (local.get $ps) (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))
        (call $source (local.get $c) (local.get $bias) (local.get $j) (local.get $mode)) (local.get $mode) (local.get $lo) (local.get $hi))
      (local.set $j (i32.add (local.get $j) (i32.const 32)))
      (br $wide)))
    (block $narrow_done (loop $narrow
      (br_if $narrow_done (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $left (i32.sub (local.get $n) (local.get $j)))
      (local.set $src (call $source (local.get $c) (local.get $bias) (local.get $j) (local.get $mode)))
      (if (i32.ge_s (local.get $left) (i32.const 8))
        (then (call $panel1 (local.get $a) (local.get $k) (i32.add (local.get $pb) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $ps)))
          (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $src) (local.get $mode) (local.get $lo) (local.get $hi)))
        (else
          (if (i32.eqz (local.get $mode))
            (then (call $copy (local.get $src) (local.get $tmp) (local.get $left)) (local.set $src (local.get $tmp))))
          (call $panel1 (local.get $a) (local.get $k) (i32.add (local.get $pb) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $ps)))
            (local.get $tmp) (local.get $src) (local.get $mode) (local.get $lo) (local.get $hi))
          (call $copy (local.get $tmp) (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $left))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $narrow))))

  ;; Where column j's start values are: C's row (mode 0), bias[i] (mode 1: `bias` already points at it), bias[j].
  (func $source (param $c i32) (param $bias i32) (param $j i32) (param $mode i32) (result i32)
    (if (result i32) (i32.eqz (local.get $mode))
      (then (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))
      (else (if (result i32) (i32.eq (local.get $mode) (i32.const 1))
        (then (local.get $bias))
        (else (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))

  ;; C (row stride ldc) = start + A (row stride lda) · packed B, clamped; any m, meant for m of 1 to 3 (each row
  ;; streams B once). tmp: 32 scratch bytes.
  (func (export "gemv") (param $m i32) (param $n i32) (param $k i32) (param $a i32) (param $lda i32) (param $pb i32)
        (param $c i32) (param $ldc i32) (param $lo f32) (param $hi f32) (param $tmp i32) (param $bias i32) (param $mode i32)
    (local $i i32)
    (block $done (loop $rows
      (br_if $done (i32.ge_s (local.get $i) (local.get $m)))
      (call $row (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 2)))
        (local.get $n) (local.get $k) (local.get $pb) (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $ldc)) (i32.const 2)))
        (f32x4.splat (local.get $lo)) (f32x4.splat (local.get $hi)) (local.get $tmp)
        (select (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2))) (local.get $bias) (i32.eq (local.get $mode) (i32.const 1)))
        (local.get $mode))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
)
