;; Convolution pieces on SIMD128 (NCHW, one image, 2-D; 1-D convs come as H = 1):
;; - im2col_pack writes the im2col matrix [C·kh·kw × OH·OW] straight into gemm.wat's 8-column B panels
;;   (the implicit GEMM: no unpacked im2col matrix is ever stored);
;; - depthwise computes a one-channel-per-group conv directly, four outputs of a row per vector.
;; Pointers are byte addresses in the imported memory; everything else counts elements.
(module
  (import "env" "memory" (memory 1))

  ;; x[ci, ih, iw], or 0 in the padding.
  (func $sample (param $plane i32) (param $H i32) (param $W i32) (param $ih i32) (param $iw i32) (result f32)
    (if (result f32) (i32.and (i32.lt_u (local.get $ih) (local.get $H)) (i32.lt_u (local.get $iw) (local.get $W)))
      (then (f32.load (i32.add (local.get $plane)
        (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $W)) (local.get $iw)) (i32.const 2)))))
      (else (f32.const 0))))

;; Panel of 8 output positions inside one output row: each im2col row is 8 inputs of one input row a stride
  ;; apart, read with whole-vector loads (two for stride 1, four and two shuffles for stride 2) when they are all
  ;; inside it, lane by lane otherwise.
  (func $row_panel (param $x i32) (param $C i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $oh i32) (param $ow0 i32) (param $dst i32) (result i32)
    (local $ci i32) (local $ky i32) (local $kx i32) (local $ih i32) (local $iw i32) (local $plane i32) (local $l i32) (local $from i32)
    (local $span i32)
    ;; Inputs one panel row reads: 8 for stride 1, 16 for stride 2 (the last vector's odd lane), 7·sw + 1 else.
    (local.set $span (select (i32.const 8) (select (i32.const 16) (i32.add (i32.mul (local.get $sw) (i32.const 7)) (i32.const 1))
      (i32.eq (local.get $sw) (i32.const 2))) (i32.eq (local.get $sw) (i32.const 1))))
    (block $c_done (loop $chan
      (br_if $c_done (i32.ge_s (local.get $ci) (local.get $C)))
      (local.set $plane (i32.add (local.get $x) (i32.shl (i32.mul (local.get $ci) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $ky (i32.const 0))
      (block $ky_done (loop $kys
        (br_if $ky_done (i32.ge_s (local.get $ky) (local.get $kh)))
        (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $pt)) (i32.mul (local.get $ky) (local.get $dh))))
        (local.set $kx (i32.const 0))
        (block $kx_done (loop $kxs
          (br_if $kx_done (i32.ge_s (local.get $kx) (local.get $kw)))
          (local.set $iw (i32.add (i32.sub (i32.mul (local.get $ow0) (local.get $sw)) (local.get $pl)) (i32.mul (local.get $kx) (local.get $dw))))
          (local.set $from (i32.add (local.get $plane)
            (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $W)) (local.get $iw)) (i32.const 2))))
          (if (i32.ge_u (local.get $ih) (local.get $H))
            (then
              (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
              (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0)))
            (else (if (i32.and (i32.ge_s (local.get $iw) (i32.const 0)) (i32.le_s (i32.add (local.get $iw) (local.get $span)) (local.get $W)))
              (then (if (i32.eq (local.get $sw) (i32.const 1))
                (then
                  (v128.store (local.get $dst) (v128.load (local.get $from)))
                  (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $from))))
                (else (if (i32.eq (local.get $sw) (i32.const 2))
                  (then
                    (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                      (v128.load (local.get $from)) (v128.load offset=16 (local.get $from))))
                    (v128.store offset=16 (local.get $dst) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                      (v128.load offset=32 (local.get $from)) (v128.load offset=48 (local.get $from)))))
                  (else
                    (local.set $l (i32.const 0))
                    (block $g_done (loop $gather
                      (br_if $g_done (i32.eq (local.get $l) (i32.const 8)))
                      (f32.store (i32.add (local.get $dst) (i32.shl (local.get $l) (i32.const 2)))
                        (f32.load (i32.add (local.get $from) (i32.shl (i32.mul (local.get $l) (local.get $sw)) (i32.const 2)))))
                      (local.set $l (i32.add (local.get $l) (i32.const 1)))
                      (br $gather))))))))
              (else
                (local.set $l (i32.const 0))
                (block $l_done (loop $lanes
                  (br_if $l_done (i32.eq (local.get $l) (i32.const 8)))
                  (f32.store (i32.add (local.get $dst) (i32.shl (local.get $l) (i32.const 2)))
                    (call $sample (local.get $plane) (local.get $H) (local.get $W) (local.get $ih)
                      (i32.add (local.get $iw) (i32.mul (local.get $l) (local.get $sw)))))
                  (local.set $l (i32.add (local.get $l) (i32.const 1)))
                  (br $lanes)))))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
          (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
          (br $kxs)))
        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
        (br $kys)))
      (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
      (br $chan)))
    (local.get $dst))

  ;; Any other panel: lane by lane (position j0 + l), zeros past P; K rows 32 bytes apart.
  (func $lane_panel (param $x i32) (param $C i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $OW i32) (param $P i32) (param $j0 i32) (param $dst i32) (param $K i32) (result i32)
    (local $l i32) (local $j i32) (local $ih0 i32) (local $iw0 i32) (local $ci i32) (local $ky i32) (local $kx i32)
    (local $plane i32) (local $at i32) (local $ih i32)
    (block $l_done (loop $lanes
      (br_if $l_done (i32.eq (local.get $l) (i32.const 8)))
      (local.set $j (i32.add (local.get $j0) (local.get $l)))
      (local.set $at (i32.add (local.get $dst) (i32.shl (local.get $l) (i32.const 2))))
      (if (i32.ge_s (local.get $j) (local.get $P))
        (then (local.set $ih0 (i32.const -1000000000)) (local.set $iw0 (i32.const 0)))
        (else
          (local.set $ih0 (i32.sub (i32.mul (i32.div_u (local.get $j) (local.get $OW)) (local.get $sh)) (local.get $pt)))
          (local.set $iw0 (i32.sub (i32.mul (i32.rem_u (local.get $j) (local.get $OW)) (local.get $sw)) (local.get $pl)))))
      (local.set $ci (i32.const 0))
      (block $c_done (loop $chan
        (br_if $c_done (i32.ge_s (local.get $ci) (local.get $C)))
        (local.set $plane (i32.add (local.get $x) (i32.shl (i32.mul (local.get $ci) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
        (local.set $ky (i32.const 0))
        (block $ky_done (loop $kys
          (br_if $ky_done (i32.ge_s (local.get $ky) (local.get $kh)))
          (local.set $ih (i32.add (local.get $ih0) (i32.mul (local.get $ky) (local.get $dh))))
          (local.set $kx (i32.const 0))
          (block $kx_done (loop $kxs
            (br_if $kx_done (i32.ge_s (local.get $kx) (local.get $kw)))
            (f32.store (local.get $at) (call $sample (local.get $plane) (local.get $H) (local.get $W) (local.get $ih)
              (i32.add (local.get $iw0) (i32.mul (local.get $kx) (local.get $dw)))))
            (local.set $at (i32.add (local.get $at) (i32.const 32)))
            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
            (br $kxs)))
          (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
          (br $kys)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $chan)))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $lanes)))
    (i32.add (local.get $dst) (i32.shl (local.get $K) (i32.const 5))))

  (func (export "im2col_pack") (param $x i32) (param $C i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $OH i32) (param $OW i32) (param $dst i32)
    (call $im2col_pack_cols (local.get $x) (local.get $C) (local.get $H) (local.get $W) (local.get $kh) (local.get $kw)
      (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl) (local.get $dh) (local.get $dw)
      (local.get $OH) (local.get $OW) (local.get $dst) (i32.const 0) (i32.mul (local.get $OH) (local.get $OW))))

  ;; The panels of output positions [j0, j1) only (j0 a multiple of 8), the first written at dst: one thread's
  ;; share of the B panels (src/backends/wasm/thread-pool.ts), the same bytes im2col_pack writes there.
  (func $im2col_pack_cols (export "im2col_pack_cols") (param $x i32) (param $C i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $OH i32) (param $OW i32) (param $dst i32) (param $j0 i32) (param $j1 i32)
    (local $P i32) (local $K i32) (local $j i32) (local $ow0 i32)
    (local.set $P (i32.mul (local.get $OH) (local.get $OW)))
    (local.set $K (i32.mul (local.get $C) (i32.mul (local.get $kh) (local.get $kw))))
    (local.set $j (local.get $j0))
    (block $done (loop $panels
      (br_if $done (i32.ge_s (local.get $j) (local.get $j1)))
      (local.set $ow0 (i32.rem_u (local.get $j) (local.get $OW)))
      (local.set $dst
        (if (result i32) (i32.and (i32.le_s (i32.add (local.get $j) (i32.const 8)) (local.get $P))
                                  (i32.le_s (i32.add (local.get $ow0) (i32.const 8)) (local.get $OW)))
          (then (call $row_panel (local.get $x) (local.get $C) (local.get $H) (local.get $W) (local.get $kh) (local.get $kw)
                  (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl) (local.get $dh) (local.get $dw)
                  (i32.div_u (local.get $j) (local.get $OW)) (local.get $ow0) (local.get $dst)))
          (else (call $lane_panel (local.get $x) (local.get $C) (local.get $H) (local.get $W) (local.get $kh) (local.get $kw)
                  (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl) (local.get $dh) (local.get $dw)
                  (local.get $OW) (local.get $P) (local.get $j) (local.get $dst) (local.get $K)))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $panels))))

;; Four outputs of row oh from ow on, every tap inside the row (the caller checked); taps whose row is padding
  ;; are skipped. Strides 1 and 2 (all of MobileNet's) read with whole-vector loads, others lane by lane.
  (func $dw_vector (param $plane i32) (param $w i32) (param $bias f32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $oh i32) (param $ow i32) (result v128)
    (local $acc v128) (local $ky i32) (local $kx i32) (local $ih i32) (local $p i32) (local $tap i32) (local $step i32)
    (local.set $acc (f32x4.splat (local.get $bias)))
    (local.set $step (i32.shl (local.get $dw) (i32.const 2)))
    (block $ky_done (loop $kys
      (br_if $ky_done (i32.ge_s (local.get $ky) (local.get $kh)))
      (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $pt)) (i32.mul (local.get $ky) (local.get $dh))))
      (if (i32.lt_u (local.get $ih) (local.get $H))
        (then
          (local.set $p (i32.add (local.get $plane)
            (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $W)) (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $pl))) (i32.const 2))))
          (local.set $tap (i32.add (local.get $w) (i32.shl (i32.mul (local.get $ky) (local.get $kw)) (i32.const 2))))
          (local.set $kx (local.get $kw))
          (if (i32.eq (local.get $sw) (i32.const 1))
            (then (loop $s1
              (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (local.get $tap)) (v128.load (local.get $p)))))
              (local.set $tap (i32.add (local.get $tap) (i32.const 4)))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (br_if $s1 (local.tee $kx (i32.sub (local.get $kx) (i32.const 1))))))
            (else (if (i32.eq (local.get $sw) (i32.const 2))
              (then (loop $s2
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (local.get $tap))
                  (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $p)) (v128.load offset=16 (local.get $p))))))
                (local.set $tap (i32.add (local.get $tap) (i32.const 4)))
                (local.set $p (i32.add (local.get $p) (local.get $step)))
                (br_if $s2 (local.tee $kx (i32.sub (local.get $kx) (i32.const 1))))))
              (else (loop $sn
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (local.get $tap))
                  (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (v128.load32_splat (local.get $p))
                    (f32.load (i32.add (local.get $p) (i32.shl (local.get $sw) (i32.const 2)))))
                    (f32.load (i32.add (local.get $p) (i32.shl (local.get $sw) (i32.const 3)))))
                    (f32.load (i32.add (local.get $p) (i32.mul (local.get $sw) (i32.const 12))))))))
                (local.set $tap (i32.add (local.get $tap) (i32.const 4)))
                (local.set $p (i32.add (local.get $p) (local.get $step)))
                (br_if $sn (local.tee $kx (i32.sub (local.get $kx) (i32.const 1)))))))))))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br $kys)))
    (local.get $acc))

  ;; One output at (oh, ow), taps in the padding skipped.
  (func $dw_scalar (param $plane i32) (param $w i32) (param $bias f32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $oh i32) (param $ow i32) (result f32)
    (local $acc f32) (local $ky i32) (local $kx i32) (local $ih i32) (local $iw i32)
    (local.set $acc (local.get $bias))
    (block $ky_done (loop $kys
      (br_if $ky_done (i32.ge_s (local.get $ky) (local.get $kh)))
      (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $pt)) (i32.mul (local.get $ky) (local.get $dh))))
      (if (i32.lt_u (local.get $ih) (local.get $H))
        (then
          (local.set $kx (i32.const 0))
          (block $kx_done (loop $kxs
            (br_if $kx_done (i32.ge_s (local.get $kx) (local.get $kw)))
            (local.set $iw (i32.add (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $pl)) (i32.mul (local.get $kx) (local.get $dw))))
            (if (i32.lt_u (local.get $iw) (local.get $W))
              (then (local.set $acc (f32.add (local.get $acc) (f32.mul
                (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)) (i32.const 2))))
                (f32.load (i32.add (local.get $plane) (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $W)) (local.get $iw)) (i32.const 2)))))))))
            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
            (br $kxs)))))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br $kys)))
    (local.get $acc))

  ;; Depthwise conv of one image: output channel oc reads input channel oc / mult with its own kh×kw taps and
  ;; bias, clamped to [lo, hi]. Outputs ow in [vlo, vhi) have every tap (and a stride-2 vector's odd lane past
  ;; the last one) inside the input row; four of them at a time go through the vector path.
  (func (export "depthwise") (param $x i32) (param $w i32) (param $b i32) (param $y i32) (param $C i32) (param $mult i32)
        (param $H i32) (param $W i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32)
        (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32) (param $OH i32) (param $OW i32)
        (param $vlo i32) (param $vhi i32) (param $lo f32) (param $hi f32)
    (local $oc i32) (local $plane i32) (local $taps i32) (local $bias f32) (local $oh i32) (local $ow i32)
    (local $out i32) (local $vmin v128) (local $vmax v128)
    ;; A 3×3 stride-1-along-rows undilated kernel keeps its nine taps in registers, and a row whose three input
    ;; rows are all inside the image takes them from there (same taps in the same order: the same sums).
    (local $k3 i32) (local $inside i32) (local $ih0 i32) (local $rowb i32) (local $p i32) (local $acc v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128) (local $w5 v128)
    (local $w6 v128) (local $w7 v128) (local $w8 v128)
    (local.set $k3 (i32.and (i32.and (i32.eq (local.get $kh) (i32.const 3)) (i32.eq (local.get $kw) (i32.const 3)))
      (i32.and (i32.eq (local.get $sw) (i32.const 1)) (i32.and (i32.eq (local.get $dh) (i32.const 1)) (i32.eq (local.get $dw) (i32.const 1))))))
    (local.set $vmin (f32x4.splat (local.get $lo)))
    (local.set $vmax (f32x4.splat (local.get $hi)))
    (block $oc_done (loop $chans
      (br_if $oc_done (i32.ge_s (local.get $oc) (i32.mul (local.get $C) (local.get $mult))))
      (local.set $plane (i32.add (local.get $x)
        (i32.shl (i32.mul (i32.div_u (local.get $oc) (local.get $mult)) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $taps (i32.add (local.get $w) (i32.shl (i32.mul (local.get $oc) (i32.mul (local.get $kh) (local.get $kw))) (i32.const 2))))
      (local.set $bias (f32.load (i32.add (local.get $b) (i32.shl (local.get $oc) (i32.const 2)))))
      (if (local.get $k3) (then
        (local.set $w0 (v128.load32_splat (local.get $taps)))
        (local.set $w1 (v128.load32_splat offset=4 (local.get $taps)))
        (local.set $w2 (v128.load32_splat offset=8 (local.get $taps)))
        (local.set $w3 (v128.load32_splat offset=12 (local.get $taps)))
        (local.set $w4 (v128.load32_splat offset=16 (local.get $taps)))
        (local.set $w5 (v128.load32_splat offset=20 (local.get $taps)))
        (local.set $w6 (v128.load32_splat offset=24 (local.get $taps)))
        (local.set $w7 (v128.load32_splat offset=28 (local.get $taps)))
        (local.set $w8 (v128.load32_splat offset=32 (local.get $taps)))))
      (local.set $oh (i32.const 0))
      (block $oh_done (loop $rows
        (br_if $oh_done (i32.ge_s (local.get $oh) (local.get $OH)))
        (local.set $ih0 (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $pt)))
        (local.set $inside (i32.and (local.get $k3)
          (i32.and (i32.ge_s (local.get $ih0) (i32.const 0)) (i32.lt_s (i32.add (local.get $ih0) (i32.const 2)) (local.get $H)))))
        (local.set $rowb (i32.add (local.get $plane) (i32.shl (i32.sub (i32.mul (local.get $ih0) (local.get $W)) (local.get $pl)) (i32.const 2))))
        (local.set $ow (i32.const 0))
        (block $ow_done (loop $cols
          (br_if $ow_done (i32.ge_s (local.get $ow) (local.get $OW)))
          (if (i32.and (i32.ge_s (local.get $ow) (local.get $vlo)) (i32.le_s (i32.add (local.get $ow) (i32.const 4)) (local.get $vhi)))
            (then
              (if (local.get $inside)
                (then
                  (local.set $p (i32.add (local.get $rowb) (i32.shl (local.get $ow) (i32.const 2))))
                  (local.set $acc (f32x4.add (f32x4.splat (local.get $bias)) (f32x4.mul (local.get $w0) (v128.load (local.get $p)))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w1) (v128.load offset=4 (local.get $p)))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w2) (v128.load offset=8 (local.get $p)))))
                  (local.set $p (i32.add (local.get $p) (i32.shl (local.get $W) (i32.const 2))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w3) (v128.load (local.get $p)))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w4) (v128.load offset=4 (local.get $p)))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w5) (v128.load offset=8 (local.get $p)))))
                  (local.set $p (i32.add (local.get $p) (i32.shl (local.get $W) (i32.const 2))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w6) (v128.load (local.get $p)))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w7) (v128.load offset=4 (local.get $p)))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $w8) (v128.load offset=8 (local.get $p)))))
                  (v128.store (local.get $y) (f32x4.min (f32x4.max (local.get $acc) (local.get $vmin)) (local.get $vmax))))
                (else
              (v128.store (local.get $y) (f32x4.min (f32x4.max
                (call $dw_vector (local.get $plane) (local.get $taps) (local.get $bias) (local.get $H) (local.get $W) (local.get $kh) (local.get $kw)
                  (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl) (local.get $dh) (local.get $dw) (local.get $oh) (local.get $ow))
                (local.get $vmin)) (local.get $vmax)))))
              (local.set $y (i32.add (local.get $y) (i32.const 16)))
              (local.set $ow (i32.add (local.get $ow) (i32.const 4))))
            (else
              (f32.store (local.get $y) (f32.min (f32.max
                (call $dw_scalar (local.get $plane) (local.get $taps) (local.get $bias) (local.get $H) (local.get $W) (local.get $kh) (local.get $kw)
                  (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl) (local.get $dh) (local.get $dw) (local.get $oh) (local.get $ow))
                (local.get $lo)) (local.get $hi)))
              (local.set $y (i32.add (local.get $y) (i32.const 4)))
              (local.set $ow (i32.add (local.get $ow) (i32.const 1)))))
          (br $cols)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $rows)))
      (local.set $oc (i32.add (local.get $oc) (i32.const 1)))
      (br $chans))))
)
