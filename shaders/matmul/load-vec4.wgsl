// matmul.wgsl's tile loads as vec4s (A [M, K] and B [K, N] row-major, K and N multiples of 4; offsets in vec4s):
// one vec4 of A (4 k of one row, spread over 4 slices) and one of B (4 columns of one k) a thread.
    {
      let mm = li / 4u;
      let kq = li % 4u;
      let gm = row0 + mm;
      let gk = k0 + kq * 4u;
      var v = vec4<f32>(0.0);
      if (gm < M && gk < K) { v = a[(a_off + gm * K + gk) / 4u]; }
      for (var c = 0u; c < 4u; c++) { a_tile[(kq * 4u + c) * 16u + mm / 4u][mm % 4u] = v[c]; }
      let kb = li / 16u;
      let nq = li % 16u;
      let gkb = k0 + kb;
      let gn = col0 + nq * 4u;
      var w = vec4<f32>(0.0);
      if (gkb < K && gn < N) { w = b[(b_off + gkb * N + gn) / 4u]; }
      b_tile[kb * 16u + nq] = w;
    }
