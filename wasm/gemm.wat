;; Packed, register-blocked f32 GEMM on SIMD128: C[m×n] = start + A[m×k]·B[k×n] (start: C, a bias or 0), then clamped to [lo, hi] (the fused
;; Relu/Clip epilogue; ±inf when there is none). A is packed into 4-row panels and B into 8-column panels so the
;; micro-kernel streams both with unit stride and keeps a 4×8 tile of C in eight v128 registers (V8 on x64 has 15
;; free xmm registers: 8 accumulators + 2 B vectors + 1 broadcast A leave room, a 6×8 tile would spill).
;; All pointers are byte addresses in the imported memory; sizes and strides are in elements.
(module
  (import "env" "memory" (memory 1))

  ;; Depth of one k block: a 8-column B panel of it (8 KiB) stays in L1 while every A panel passes over it.
  (global $KC i32 (i32.const 256))
  ;; Rows of A per block: 64 rows × 256 deep = 64 KiB of packed A, kept in L2 across all B panels.
  (global $MC i32 (i32.const 64))

  ;; A element (i, p) is at src + 4·(i·rs + p·cs). Panel ip holds, for each p, rows 4ip..4ip+3 (zeros past m),
  ;; times alpha; panels are k·4 floats apart.
  (func (export "pack_a") (param $src i32) (param $rs i32) (param $cs i32) (param $m i32) (param $k i32)
        (param $dst i32) (param $alpha f32)
    (local $i i32) (local $p i32) (local $r i32) (local $row i32)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_s (local.get $i) (local.get $m)))
      (local.set $p (i32.const 0))
      (block $ks_done (loop $ks
        (br_if $ks_done (i32.ge_s (local.get $p) (local.get $k)))
        (local.set $r (i32.const 0))
        (block $lanes_done (loop $lanes
          (br_if $lanes_done (i32.eq (local.get $r) (i32.const 4)))
          (local.set $row (i32.add (local.get $i) (local.get $r)))
          (f32.store (local.get $dst)
            (if (result f32) (i32.lt_s (local.get $row) (local.get $m))
              (then (f32.mul (local.get $alpha)
                (f32.load (i32.add (local.get $src)
                  (i32.shl (i32.add (i32.mul (local.get $row) (local.get $rs)) (i32.mul (local.get $p) (local.get $cs)))
                           (i32.const 2))))))
              (else (f32.const 0))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $lanes)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ks)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $rows))))

  ;; B element (p, j) is at src + 4·(p·rs + j·cs). Panel jp holds, for each p, columns 8jp..8jp+7 (zeros past n);
  ;; panels are k·8 floats apart. Rows stored contiguously (cs = 1) copy whole panels two vectors at a time.
  (func (export "pack_b") (param $src i32) (param $rs i32) (param $cs i32) (param $k i32) (param $n i32)
        (param $dst i32)
    (local $j i32) (local $p i32) (local $l i32) (local $col i32) (local $from i32)
    (block $cols_done (loop $cols
      (br_if $cols_done (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $p (i32.const 0))
      (block $ks_done (loop $ks
        (br_if $ks_done (i32.ge_s (local.get $p) (local.get $k)))
        (if (i32.and (i32.eq (local.get $cs) (i32.const 1)) (i32.le_s (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
          (then
            (local.set $from (i32.add (local.get $src)
              (i32.shl (i32.add (i32.mul (local.get $p) (local.get $rs)) (local.get $j)) (i32.const 2))))
            (v128.store (local.get $dst) (v128.load (local.get $from)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $from))))
          (else
            (local.set $l (i32.const 0))
            (block $lanes_done (loop $lanes
              (br_if $lanes_done (i32.eq (local.get $l) (i32.const 8)))
              (local.set $col (i32.add (local.get $j) (local.get $l)))
              (f32.store (i32.add (local.get $dst) (i32.shl (local.get $l) (i32.const 2)))
                (if (result f32) (i32.lt_s (local.get $col) (local.get $n))
                  (then (f32.load (i32.add (local.get $src)
                    (i32.shl (i32.add (i32.mul (local.get $p) (local.get $rs)) (i32.mul (local.get $col) (local.get $cs)))
                             (i32.const 2)))))
                  (else (f32.const 0))))
              (local.set $l (i32.add (local.get $l) (i32.const 1)))
              (br $lanes)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ks)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $cols))))

  ;; One 4×8 tile: C (row stride ldcb bytes) += the kc-deep product of an A panel and a B panel, then clamped.
  (func $tile (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldcb i32) (param $lo f32) (param $hi f32)
        (param $bias i32) (param $mode i32)
    (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $end i32)
    (local $c0a v128) (local $c0b v128) (local $c1a v128) (local $c1b v128)
    (local $c2a v128) (local $c2b v128) (local $c3a v128) (local $c3b v128)
    (local $b0 v128) (local $b1 v128) (local $a v128) (local $vlo v128) (local $vhi v128)
    (local.set $r1 (i32.add (local.get $c) (local.get $ldcb)))
    (local.set $r2 (i32.add (local.get $r1) (local.get $ldcb)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $ldcb)))
    (if (i32.eq (local.get $mode) (i32.const 0))
      (then
        (local.set $c0a (v128.load (local.get $c)))
        (local.set $c0b (v128.load offset=16 (local.get $c)))
        (local.set $c1a (v128.load (local.get $r1)))
        (local.set $c1b (v128.load offset=16 (local.get $r1)))
        (local.set $c2a (v128.load (local.get $r2)))
        (local.set $c2b (v128.load offset=16 (local.get $r2)))
        (local.set $c3a (v128.load (local.get $r3)))
        (local.set $c3b (v128.load offset=16 (local.get $r3))))
      (else (if (i32.eq (local.get $mode) (i32.const 1))
        (then
          (local.set $c0a (v128.load32_splat (local.get $bias)))
          (local.set $c1a (v128.load32_splat offset=4 (local.get $bias)))
          (local.set $c2a (v128.load32_splat offset=8 (local.get $bias)))
          (local.set $c3a (v128.load32_splat offset=12 (local.get $bias)))
          (local.set $c0b (local.get $c0a))
          (local.set $c1b (local.get $c1a))
          (local.set $c2b (local.get $c2a))
          (local.set $c3b (local.get $c3a)))
        (else (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            (local.set $c0a (v128.load (local.get $bias)))
            (local.set $c0b (v128.load offset=16 (local.get $bias)))
            (local.set $c1a (local.get $c0a))
            (local.set $c1b (local.get $c0b))
            (local.set $c2a (local.get $c0a))
            (local.set $c2b (local.get $c0b))
            (local.set $c3a (local.get $c0a))
            (local.set $c3b (local.get $c0b))))))))
    (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $kc) (i32.const 4))))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $pa) (local.get $end)))
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $a (v128.load32_splat (local.get $pa)))
      (local.set $c0a (f32x4.add (local.get $c0a) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c0b (f32x4.add (local.get $c0b) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
      (local.set $c1a (f32x4.add (local.get $c1a) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c1b (f32x4.add (local.get $c1b) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=8 (local.get $pa)))
      (local.set $c2a (f32x4.add (local.get $c2a) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c2b (f32x4.add (local.get $c2b) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=12 (local.get $pa)))
      (local.set $c3a (f32x4.add (local.get $c3a) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c3b (f32x4.add (local.get $c3b) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br $step)))
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (v128.store (local.get $c) (f32x4.min (f32x4.max (local.get $c0a) (local.get $vlo)) (local.get $vhi)))
    (v128.store offset=16 (local.get $c) (f32x4.min (f32x4.max (local.get $c0b) (local.get $vlo)) (local.get $vhi)))
    (v128.store (local.get $r1) (f32x4.min (f32x4.max (local.get $c1a) (local.get $vlo)) (local.get $vhi)))
    (v128.store offset=16 (local.get $r1) (f32x4.min (f32x4.max (local.get $c1b) (local.get $vlo)) (local.get $vhi)))
    (v128.store (local.get $r2) (f32x4.min (f32x4.max (local.get $c2a) (local.get $vlo)) (local.get $vhi)))
    (v128.store offset=16 (local.get $r2) (f32x4.min (f32x4.max (local.get $c2b) (local.get $vlo)) (local.get $vhi)))
    (v128.store (local.get $r3) (f32x4.min (f32x4.max (local.get $c3a) (local.get $vlo)) (local.get $vhi)))
    (v128.store offset=16 (local.get $r3) (f32x4.min (f32x4.max (local.get $c3b) (local.get $vlo)) (local.get $vhi))))

  ;; Copies the rows×cols corner of C (row stride ldc elements) to or from the 4×8 scratch tile at tmp.
  (func $corner (param $c i32) (param $ldc i32) (param $rows i32) (param $cols i32) (param $tmp i32) (param $in i32)
    (local $r i32) (local $j i32) (local $at i32) (local $t i32)
    (block $rows_done (loop $row
      (br_if $rows_done (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $cols_done (loop $col
        (br_if $cols_done (i32.ge_s (local.get $j) (local.get $cols)))
        (local.set $at (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ldc)) (local.get $j)) (i32.const 2))))
        (local.set $t (i32.add (local.get $tmp) (i32.shl (i32.add (i32.shl (local.get $r) (i32.const 3)) (local.get $j)) (i32.const 2))))
        (if (local.get $in)
          (then (f32.store (local.get $t) (f32.load (local.get $at))))
          (else (f32.store (local.get $at) (f32.load (local.get $t)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $col)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

;; A tile cut by the edge of C goes through the scratch tile (its unused lanes never stored back; only mode 0
  ;; reads C, so only it copies the corner in).
  (func $edge_tile (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32)
        (param $rows i32) (param $cols i32) (param $lo f32) (param $hi f32) (param $tmp i32) (param $bias i32) (param $mode i32)
    (if (i32.eq (local.get $mode) (i32.const 0))
      (then
        (memory.fill (local.get $tmp) (i32.const 0) (i32.const 128))
        (call $corner (local.get $c) (local.get $ldc) (local.get $rows) (local.get $cols) (local.get $tmp) (i32.const 1))))
    (call $tile (local.get $pa) (local.get $pb) (local.get $kc) (local.get $tmp) (i32.const 32) (local.get $lo) (local.get $hi)
      (local.get $bias) (local.get $mode))
    (call $corner (local.get $c) (local.get $ldc) (local.get $rows) (local.get $cols) (local.get $tmp) (i32.const 0)))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  ;; C (row stride ldc) = start + packed A · packed B, clamped to [lo, hi] after the last k block, where start is
  ;; by mode: 0 C itself, 1 bias[i] along each row, 2 bias[j] along each column, 3 zero (bias padded to whole tiles:
  ;; 4 rows, 8 columns). tmp: 128 scratch bytes.
  (func (export "gemm") (param $m i32) (param $n i32) (param $k i32) (param $pa i32) (param $pb i32) (param $c i32)
        (param $ldc i32) (param $lo f32) (param $hi f32) (param $tmp i32) (param $bias i32) (param $mode0 i32)
    (local $k0 i32) (local $kc i32) (local $ic i32) (local $ie i32) (local $i i32) (local $j i32)
    (local $blo f32) (local $bhi f32) (local $apan i32) (local $bpan i32) (local $cptr i32) (local $mode i32) (local $at i32)
    (local.set $mode (local.get $mode0))
    (loop $kblocks
      (local.set $kc (call $min (global.get $KC) (i32.sub (local.get $k) (local.get $k0))))
      (if (i32.eq (i32.add (local.get $k0) (local.get $kc)) (local.get $k))
        (then (local.set $blo (local.get $lo)) (local.set $bhi (local.get $hi)))
        (else (local.set $blo (f32.const -inf)) (local.set $bhi (f32.const inf))))
      (local.set $ic (i32.const 0))
      (block $iblocks_done (loop $iblocks
        (br_if $iblocks_done (i32.ge_s (local.get $ic) (local.get $m)))
        (local.set $ie (call $min (i32.add (local.get $ic) (global.get $MC)) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $cols_done (loop $cols
          (br_if $cols_done (i32.ge_s (local.get $j) (local.get $n)))
          (local.set $bpan (i32.add (local.get $pb)
            (i32.add (i32.shl (i32.mul (local.get $j) (local.get $k)) (i32.const 2)) (i32.shl (local.get $k0) (i32.const 5)))))
          (local.set $i (local.get $ic))
          (block $rows_done (loop $rows
            (br_if $rows_done (i32.ge_s (local.get $i) (local.get $ie)))
            (local.set $apan (i32.add (local.get $pa)
              (i32.add (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2)) (i32.shl (local.get $k0) (i32.const 4)))))
            (local.set $cptr (i32.add (local.get $c)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
            (local.set $at (i32.add (local.get $bias) (i32.shl
              (select (local.get $i) (local.get $j) (i32.eq (local.get $mode) (i32.const 1))) (i32.const 2))))
            (if (i32.and (i32.le_s (i32.add (local.get $i) (i32.const 4)) (local.get $m))
                         (i32.le_s (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
              (then (call $tile (local.get $apan) (local.get $bpan) (local.get $kc) (local.get $cptr)
                      (i32.shl (local.get $ldc) (i32.const 2)) (local.get $blo) (local.get $bhi) (local.get $at) (local.get $mode)))
              (else (call $edge_tile (local.get $apan) (local.get $bpan) (local.get $kc) (local.get $cptr) (local.get $ldc)
                      (call $min (i32.const 4) (i32.sub (local.get $m) (local.get $i)))
                      (call $min (i32.const 8) (i32.sub (local.get $n) (local.get $j)))
                      (local.get $blo) (local.get $bhi) (local.get $tmp) (local.get $at) (local.get $mode))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows)))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br $cols)))
        (local.set $ic (i32.add (local.get $ic) (global.get $MC)))
        (br $iblocks)))
      (local.set $k0 (i32.add (local.get $k0) (local.get $kc)))
      (local.set $mode (i32.const 0))
      (br_if $kblocks (i32.lt_s (local.get $k0) (local.get $k)))))
)
