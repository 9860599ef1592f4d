;; Binary float32 arithmetic on SIMD128 over an (outer × inner) walk: element (o, i) of each operand is at
;; base + 4·(o·so + i·si) with si 0 (one value repeated along the row) or 1 (contiguous), which covers equal
;; shapes, a scalar, a trailing vector ([..., n] with [n]) and a leading one ([m, 1] with [m, n]).
;; Each row's whole vectors run in one of twelve loops made for one op and one operand pattern (both contiguous,
;; b repeated, a repeated), picked once a row through a table: a loop that chose the op and each operand's load
;; per vector ran at a fifth of the speed. Both operands repeated, and the inner mod 4 tail, take the general path.
(module
  (import "env" "memory" (memory 1))
  (table 12 funcref)
  (elem (i32.const 0) $row_add_vv $row_add_vs $row_add_sv $row_sub_vv $row_sub_vs $row_sub_sv $row_mul_vv $row_mul_vs $row_mul_sv $row_div_vv $row_div_vs $row_div_sv)
  (type $row (func (param i32 i32 i32 i32)))

  (func $row_add_vv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $ra) (local.get $i))) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_add_vs (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $ra) (local.get $i))) (local.get $sb)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_add_sv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.add (local.get $sa) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_sub_vv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.sub (v128.load (i32.add (local.get $ra) (local.get $i))) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_sub_vs (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.sub (v128.load (i32.add (local.get $ra) (local.get $i))) (local.get $sb)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_sub_sv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.sub (local.get $sa) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_mul_vv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.mul (v128.load (i32.add (local.get $ra) (local.get $i))) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_mul_vs (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.mul (v128.load (i32.add (local.get $ra) (local.get $i))) (local.get $sb)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_mul_sv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.mul (local.get $sa) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_div_vv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.div (v128.load (i32.add (local.get $ra) (local.get $i))) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_div_vs (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.div (v128.load (i32.add (local.get $ra) (local.get $i))) (local.get $sb)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $row_div_sv (param $ra i32) (param $rb i32) (param $y i32) (param $bytes i32)
    (local $i i32) (local $sa v128) (local $sb v128)
    (local.set $sa (v128.load32_splat (local.get $ra)))
    (local.set $sb (v128.load32_splat (local.get $rb)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.div (local.get $sa) (v128.load (i32.add (local.get $rb) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $vapply (param $op i32) (param $a v128) (param $b v128) (result v128)
    (block $div (block $mul (block $sub (block $add
      (br_table $add $sub $mul $div (local.get $op)))
      (return (f32x4.add (local.get $a) (local.get $b))))
      (return (f32x4.sub (local.get $a) (local.get $b))))
      (return (f32x4.mul (local.get $a) (local.get $b))))
    (f32x4.div (local.get $a) (local.get $b)))

  (func $sapply (param $op i32) (param $a f32) (param $b f32) (result f32)
    (block $div (block $mul (block $sub (block $add
      (br_table $add $sub $mul $div (local.get $op)))
      (return (f32.add (local.get $a) (local.get $b))))
      (return (f32.sub (local.get $a) (local.get $b))))
      (return (f32.mul (local.get $a) (local.get $b))))
    (f32.div (local.get $a) (local.get $b)))

  ;; One operand's four lanes at element i of a row: a vector load, or its one value splat.
  (func $lanes (param $row i32) (param $si i32) (param $i i32) (result v128)
    (if (result v128) (local.get $si)
      (then (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
      (else (v128.load32_splat (local.get $row)))))

  ;; y[o·inner + i] = a(o, i) op b(o, i); op: 0 add, 1 sub, 2 mul, 3 div.
  (func (export "binary") (param $op i32) (param $a i32) (param $aso i32) (param $asi i32)
        (param $b i32) (param $bso i32) (param $bsi i32) (param $y i32) (param $outer i32) (param $inner i32)
    (local $o i32) (local $i i32) (local $ra i32) (local $rb i32)
    (block $o_done (loop $rows
      (br_if $o_done (i32.ge_s (local.get $o) (local.get $outer)))
      (local.set $ra (i32.add (local.get $a) (i32.shl (i32.mul (local.get $o) (local.get $aso)) (i32.const 2))))
      (local.set $rb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $o) (local.get $bso)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (if (i32.or (local.get $asi) (local.get $bsi)) (then
        (local.set $i (i32.and (local.get $inner) (i32.const -4)))
        (call_indirect (type $row) (local.get $ra) (local.get $rb) (local.get $y) (i32.shl (local.get $i) (i32.const 2))
          (i32.add (i32.mul (local.get $op) (i32.const 3))
            (select (i32.const 0) (select (i32.const 1) (i32.const 2) (local.get $asi)) (i32.and (local.get $asi) (local.get $bsi)))))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))))
      (block $v_done (loop $vectors
        (br_if $v_done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $inner)))
        (v128.store (local.get $y) (call $vapply (local.get $op)
          (call $lanes (local.get $ra) (local.get $asi) (local.get $i))
          (call $lanes (local.get $rb) (local.get $bsi) (local.get $i))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vectors)))
      (block $s_done (loop $scalars
        (br_if $s_done (i32.ge_s (local.get $i) (local.get $inner)))
        (f32.store (local.get $y) (call $sapply (local.get $op)
          (f32.load (i32.add (local.get $ra) (i32.shl (i32.mul (local.get $i) (local.get $asi)) (i32.const 2))))
          (f32.load (i32.add (local.get $rb) (i32.shl (i32.mul (local.get $i) (local.get $bsi)) (i32.const 2))))))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scalars)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $rows))))
)
