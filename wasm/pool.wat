;; MaxPool on SIMD128 (NCHW planes, 2-D; 1-D pools come as H = 1). The maximum follows the reference rule: the
;; first tap inside the image starts it, a later tap replaces it only when greater (so a NaN that starts a window
;; stays and a later NaN is passed over); a window with no tap inside is -inf.
(module
  (import "env" "memory" (memory 1))

  ;; Four outputs of row oh from ow on, every tap's column inside the row (the caller checked).
  (func $max_vector (param $plane i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $oh i32) (param $ow i32) (result v128)
    (local $acc v128) (local $v v128) (local $started i32) (local $ky i32) (local $kx i32) (local $ih i32) (local $p i32)
    (local.set $acc (f32x4.splat (f32.const -inf)))
    (block $ky_done (loop $kys
      (br_if $ky_done (i32.ge_s (local.get $ky) (local.get $kh)))
      (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sh)) (local.get $pt)) (i32.mul (local.get $ky) (local.get $dh))))
      (if (i32.lt_u (local.get $ih) (local.get $H))
        (then
          (local.set $p (i32.add (local.get $plane)
            (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $W)) (i32.sub (i32.mul (local.get $ow) (local.get $sw)) (local.get $pl))) (i32.const 2))))
          (local.set $kx (i32.const 0))
          (block $kx_done (loop $kxs
            (br_if $kx_done (i32.ge_s (local.get $kx) (local.get $kw)))
            (local.set $v
              (if (result v128) (i32.eq (local.get $sw) (i32.const 1))
                (then (v128.load (local.get $p)))
                (else (if (result v128) (i32.eq (local.get $sw) (i32.const 2))
                  (then (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $p)) (v128.load offset=16 (local.get $p))))
                  (else (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (v128.load32_splat (local.get $p))
                    (f32.load (i32.add (local.get $p) (i32.shl (local.get $sw) (i32.const 2)))))
                    (f32.load (i32.add (local.get $p) (i32.shl (local.get $sw) (i32.const 3)))))
                    (f32.load (i32.add (local.get $p) (i32.mul (local.get $sw) (i32.const 12))))))))))
            (local.set $acc (if (result v128) (local.get $started)
              (then (v128.bitselect (local.get $v) (local.get $acc) (f32x4.gt (local.get $v) (local.get $acc))))
              (else (local.get $v))))
            (local.set $started (i32.const 1))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $dw) (i32.const 2))))
            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
            (br $kxs)))))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br $kys)))
    (local.get $acc))

  ;; One output at (oh, ow), taps in the padding skipped.
  (func $max_scalar (param $plane i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32)
        (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $dh i32) (param $dw i32)
        (param $oh i32) (param $ow i32) (result f32)
    (local $acc f32) (local $v f32) (local $started i32) (local $ky i32) (local $kx i32) (local $ih i32) (local $iw i32)
    (local.set $acc (f32.const -inf))
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
              (then
                (local.set $v (f32.load (i32.add (local.get $plane) (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $W)) (local.get $iw)) (i32.const 2)))))
                (if (i32.or (i32.eqz (local.get $started)) (f32.gt (local.get $v) (local.get $acc)))
                  (then (local.set $acc (local.get $v))))
                (local.set $started (i32.const 1))))
            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
            (br $kxs)))))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br $kys)))
    (local.get $acc))

  ;; Outputs ow in [vlo, vhi) have every tap column (and a stride-2 vector's odd lane) inside the input row.
  (func (export "maxpool") (param $x i32) (param $y i32) (param $planes i32) (param $H i32) (param $W i32)
        (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
        (param $dh i32) (param $dw i32) (param $OH i32) (param $OW i32) (param $vlo i32) (param $vhi i32)
    (local $c i32) (local $plane i32) (local $oh i32) (local $ow i32)
    (block $c_done (loop $planes_loop
      (br_if $c_done (i32.ge_s (local.get $c) (local.get $planes)))
      (local.set $plane (i32.add (local.get $x) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $oh (i32.const 0))
      (block $oh_done (loop $rows
        (br_if $oh_done (i32.ge_s (local.get $oh) (local.get $OH)))
        (local.set $ow (i32.const 0))
        (block $ow_done (loop $cols
          (br_if $ow_done (i32.ge_s (local.get $ow) (local.get $OW)))
          (if (i32.and (i32.ge_s (local.get $ow) (local.get $vlo)) (i32.le_s (i32.add (local.get $ow) (i32.const 4)) (local.get $vhi)))
            (then
              (v128.store (local.get $y) (call $max_vector (local.get $plane) (local.get $H) (local.get $W) (local.get $kh) (local.get $kw)
                (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl) (local.get $dh) (local.get $dw) (local.get $oh) (local.get $ow)))
              (local.set $y (i32.add (local.get $y) (i32.const 16)))
              (local.set $ow (i32.add (local.get $ow) (i32.const 4))))
            (else
              (f32.store (local.get $y) (call $max_scalar (local.get $plane) (local.get $H) (local.get $W) (local.get $kh) (local.get $kw)
                (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl) (local.get $dh) (local.get $dw) (local.get $oh) (local.get $ow)))
              (local.set $y (i32.add (local.get $y) (i32.const 4)))
              (local.set $ow (i32.add (local.get $ow) (i32.const 1)))))
          (br $cols)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $rows)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $planes_loop))))
)
