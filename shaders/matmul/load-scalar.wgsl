// matmul.wgsl's tile loads through strides: 4 elements of A and 4 of B a thread for each K step of 16.
    for (var e = 0u; e < 4u; e++) {
      let flat = li + e * 256u;
      let kk = flat % 16u;
      let mm = flat / 16u;
      let gm = row0 + mm;
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < M && gk < K) { v = a[a_off + gm * u.a_strides.x + gk * u.a_strides.y]; }
      a_tile[kk * 16u + mm / 4u][mm % 4u] = v;
      let nn = flat % 64u;
      let kb = flat / 64u;
      let gn = col0 + nn;
      let gkb = k0 + kb;
      var w = 0.0;
      if (gn < N && gkb < K) { w = b[b_off + gkb * u.b_strides.x + gn * u.b_strides.y]; }
      b_tile[kb * 16u + nn / 4u][nn % 4u] = w;
    }
