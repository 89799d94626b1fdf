/* The input and output transforms of cyconv's Winograd F(3x3, 3x3) method
 * (see _winograd.pxi), applied across five rows at a time.
 *
 * In C for `restrict`: each loop reads five rows and writes five (or three),
 * and without the no-alias promise GCC either does not vectorise it or adds
 * more run-time overlap checks than it allows.  Each input value is loaded
 * once for all outputs, which halved the transforms' time against one loop
 * per output row.  No reassociation: the results are the same on every path
 * (the last tile of a row, done apart, uses the same macro).
 */
#ifndef CYCONV_WINOGRAD_H
#define CYCONV_WINOGRAD_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define CYCONV_RESTRICT __restrict__
#else
#define CYCONV_RESTRICT
#endif

/* The two transforms, written once: BT = [[2,-1,-2,1,0], [0,2,1,-1,0],
   [0,-2,3,-1,0], [0,-1,0,1,0], [0,2,-1,-2,1]] (points 0, 1, -1, 2, inf; the
   rows' scale 1/2, 1/2, 1/6, 1/6, 1 is moved into G) takes five values to
   five, AT = [[1,1,1,1,0], [0,1,-1,2,0], [0,1,1,4,1]] five values to three. */
#define CYCONV_WINO_BT(e0, e1, e2, e3, e4, v0, v1, v2, v3, v4) do {          \
        v0 = 2 * (e0) - (e1) - 2 * (e2) + (e3);                              \
        v1 = 2 * (e1) + (e2) - (e3);                                         \
        v2 = 3 * (e2) - 2 * (e1) - (e3);                                     \
        v3 = (e3) - (e1);                                                    \
        v4 = 2 * (e1) - (e2) - 2 * (e3) + (e4);                              \
    } while (0)
#define CYCONV_WINO_AT(e0, e1, e2, e3, e4, y0, y1, y2) do {                  \
        y0 = (e0) + (e1) + (e2) + (e3);                                      \
        y1 = (e1) - (e2) + 2 * (e3);                                         \
        y2 = (e1) + (e2) + 4 * (e3) + (e4);                                  \
    } while (0)

/* v_a[i] = sum_j BT[a][j] f_j[i]: the input transform across five rows. */
static inline void cyconv_wino_bt(const double *CYCONV_RESTRICT f0,
                                  const double *CYCONV_RESTRICT f1,
                                  const double *CYCONV_RESTRICT f2,
                                  const double *CYCONV_RESTRICT f3,
                                  const double *CYCONV_RESTRICT f4,
                                  double *CYCONV_RESTRICT v0, double *CYCONV_RESTRICT v1,
                                  double *CYCONV_RESTRICT v2, double *CYCONV_RESTRICT v3,
                                  double *CYCONV_RESTRICT v4, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++)
        CYCONV_WINO_BT(f0[i], f1[i], f2[i], f3[i], f4[i], v0[i], v1[i], v2[i], v3[i], v4[i]);
}

/* y_u[i] = sum_a AT[u][a] m_a[i]: the output transform across five rows. */
static inline void cyconv_wino_at(const double *CYCONV_RESTRICT m0,
                                  const double *CYCONV_RESTRICT m1,
                                  const double *CYCONV_RESTRICT m2,
                                  const double *CYCONV_RESTRICT m3,
                                  const double *CYCONV_RESTRICT m4,
                                  double *CYCONV_RESTRICT y0, double *CYCONV_RESTRICT y1,
                                  double *CYCONV_RESTRICT y2, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++)
        CYCONV_WINO_AT(m0[i], m1[i], m2[i], m3[i], m4[i], y0[i], y1[i], y2[i]);
}

/* h_b[i] = sum_j BT[b][j] x[3 i + j] for i < n (x holds 3 n + 2 values): the
   horizontal input transform of a row, read straight from the row (GCC
   vectorises the stride-3 loads with shuffles; 2.5x faster than splitting
   the row by column modulo 3 first). */
static inline void cyconv_wino_bt_row(const double *CYCONV_RESTRICT x,
                                      double *CYCONV_RESTRICT h0, double *CYCONV_RESTRICT h1,
                                      double *CYCONV_RESTRICT h2, double *CYCONV_RESTRICT h3,
                                      double *CYCONV_RESTRICT h4, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++)
        CYCONV_WINO_BT(x[3 * i], x[3 * i + 1], x[3 * i + 2], x[3 * i + 3], x[3 * i + 4],
                       h0[i], h1[i], h2[i], h3[i], h4[i]);
}

/* out[3 i + u] = sum_b AT[u][b] m_b[i] for 3 i + u < n: the horizontal output
   transform, written straight into the output row. */
static inline void cyconv_wino_at_row(const double *CYCONV_RESTRICT m0,
                                      const double *CYCONV_RESTRICT m1,
                                      const double *CYCONV_RESTRICT m2,
                                      const double *CYCONV_RESTRICT m3,
                                      const double *CYCONV_RESTRICT m4,
                                      double *CYCONV_RESTRICT out, ptrdiff_t n)
{
    ptrdiff_t i, full = n / 3;
    double y0, y1, y2;
    for (i = 0; i < full; i++)
        CYCONV_WINO_AT(m0[i], m1[i], m2[i], m3[i], m4[i], out[3 * i], out[3 * i + 1],
                       out[3 * i + 2]);
    if (3 * full < n) {  /* the last, partial tile */
        CYCONV_WINO_AT(m0[full], m1[full], m2[full], m3[full], m4[full], y0, y1, y2);
        out[3 * full] = y0;
        if (3 * full + 1 < n)
            out[3 * full + 1] = y1;
        (void)y2;
    }
}

#endif  /* CYCONV_WINOGRAD_H */
