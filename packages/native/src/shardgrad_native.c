// The native kernels of shardgrad: core's Kernels interface (packages/core/src/kernels/kernels.ts)
// as an N-API addon, with an AVX-512 and an AVX2+FMA variant chosen at run time. See
// docs/kernels.md ("Native kernels"). Shape letters as in kernels.ts: m rows, k inputs, n outputs.
//
// The bit rule: every output element is ONE chain of fused multiply-adds over the reduction index
// in increasing order, starting from its initial value (bias, zero, or what C holds) — exactly
// what the WebAssembly relaxed build computes, so both train to identical weights. Vectors run
// across output columns only (never across the reduction), the fmas are written explicitly, and
// the file is compiled with -ffp-contract=off so the compiler adds no contractions of its own.
// Blocking the reduction (KC) stores a partial sum as float32 and reloads it: that changes nothing.
//
// This file includes itself once per instruction set (SG_ISA below): the generic GEMM is written
// once, over a handful of vector helpers that each variant defines.
#ifndef SG_ISA

#define NAPI_VERSION 8
#include <node_api.h>
#include <immintrin.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/** how a tile's accumulators start */
enum { MODE_ZERO = 0, MODE_BIAS = 1, MODE_ACCUMULATE = 2 };
/** activation codes of the fused entry points (as packages/core/assembly/index.ts) */
enum { ACT_IDENTITY = 0, ACT_RELU = 1 };

/** Cache blocks (floats): a KC×NR panel of packed B stays in L1, an MC×KC block of A in L2. */
/** core's NOISE_BLOCK: parameters per block of the noise estimate's fixed blocking */
#define NOISE_BLOCK 1024
#define KC 256
#define MC 128
#define NC 1024

/** What the last K block does besides storing C: mask it by g'(vBelow), or also write g(C). */
typedef struct {
  const float *mask; /* (rows, cols) like C: C = mask > 0 ? C : 0 (ReLU'), or NULL */
  float *out;        /* (rows, cols) like C: out = relu ? max(C, 0) : C, or NULL */
  int relu;
  /* a reduction-tree store: C = pend[npend-1] + (… + (pend[0] + C)), the pending buffers shaped
     like C, innermost level first (C itself may be the last). Then K is not blocked: the whole sum
     stays in registers until the tree levels are added. NULL: a plain store. */
  const float *const *pend;
  int npend;
} Epilogue;

/** The most pending tree levels one leaf store finishes (a tree over 2^32 shards has fewer). */
#define MAX_PENDING 32

/** The most groups and slots of one gemmTNLeaves plan (a worker's shards of one batch). */
#define MAX_GROUPS 1024

/** A gemmTNLeaves plan, read and checked (packages/worker/src/step.ts writes it; Kernels.gemmTNLeaves). */
typedef struct {
  int groups, slots, published;
  size_t rows;                          /* all groups' rows, one after the other in y and dv */
  int32_t rowsL[MAX_GROUPS], rowsR[MAX_GROUPS]; /* per group: rows of the (left) leaf; of the right one, or -1 */
  int32_t dst[MAX_GROUPS], count[MAX_GROUPS];
  const int32_t *adds[MAX_GROUPS];      /* count[g] slot numbers, innermost first */
  const int32_t *pub;                   /* published slot numbers */
} Leaves;

/** Per-thread (per N-API environment) scratch for packed B: grown rarely, never per call. */
typedef struct {
  float *buf;
  size_t floats;
} Scratch;

static float *scratch_floats(Scratch *s, size_t floats) {
  if (floats <= s->floats) return s->buf;
  size_t want = floats + floats / 2;
  want = (want + 15) & ~(size_t)15;
  float *p = aligned_alloc(64, want * sizeof(float));
  if (p == NULL) return NULL;
  free(s->buf);
  s->buf = p;
  s->floats = want;
  return p;
}

#define SG_CAT2(a, b) a##_##b
#define SG_CAT(a, b) SG_CAT2(a, b)
#define SG_NAME(x) SG_CAT(SG_ISA, x)

// ---- AVX-512: 16 floats a vector, tiles of 8 rows × 32 columns (16 accumulators of 32 zmm) ----
#define SG_ISA avx512
#define SG_TARGET "avx512f"
#define VW 16
#define MR 8
typedef __m512 avx512_vec;
#define SG_HELPER static inline __attribute__((always_inline, target(SG_TARGET)))
SG_HELPER __mmask16 avx512_mask(int valid) { return valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1u); }
SG_HELPER __m512 avx512_zero(void) { return _mm512_setzero_ps(); }
SG_HELPER __m512 avx512_set1(float x) { return _mm512_set1_ps(x); }
SG_HELPER __m512 avx512_fma(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
SG_HELPER __m512 avx512_add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
SG_HELPER __m512 avx512_load_aligned(const float *p) { return _mm512_load_ps(p); }
SG_HELPER __m512 avx512_loadn(const float *p, int valid) { return valid >= 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(avx512_mask(valid), p); }
SG_HELPER void avx512_storen(float *p, __m512 v, int valid) {
  if (valid >= 16) _mm512_storeu_ps(p, v);
  else _mm512_mask_storeu_ps(p, avx512_mask(valid), v);
}
/** select > 0 ? x : +0 (also +0 where select is NaN): ReLU when select is x, ReLU' ⊙ x otherwise */
SG_HELPER __m512 avx512_where_positive(__m512 select, __m512 x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(select, _mm512_setzero_ps(), _CMP_GT_OQ), x); }
#include "shardgrad_native.c"
#undef SG_ISA
#undef SG_TARGET
#undef VW
#undef MR
#undef SG_HELPER

// ---- AVX2 + FMA: 8 floats a vector, tiles of 6 rows × 16 columns (12 accumulators of 16 ymm) ----
#define SG_ISA avx2
#define SG_TARGET "avx2,fma"
#define VW 8
#define MR 6
typedef __m256 avx2_vec;
#define SG_HELPER static inline __attribute__((always_inline, target(SG_TARGET)))
static const int32_t avx2_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
SG_HELPER __m256i avx2_mask(int valid) { return _mm256_loadu_si256((const __m256i *)(avx2_mask_table + 8 - valid)); }
SG_HELPER __m256 avx2_zero(void) { return _mm256_setzero_ps(); }
SG_HELPER __m256 avx2_set1(float x) { return _mm256_set1_ps(x); }
SG_HELPER __m256 avx2_fma(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
SG_HELPER __m256 avx2_add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
SG_HELPER __m256 avx2_load_aligned(const float *p) { return _mm256_load_ps(p); }
SG_HELPER __m256 avx2_loadn(const float *p, int valid) { return valid >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, avx2_mask(valid)); }
SG_HELPER void avx2_storen(float *p, __m256 v, int valid) {
  if (valid >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, avx2_mask(valid), v);
}
SG_HELPER __m256 avx2_where_positive(__m256 select, __m256 x) { return _mm256_and_ps(x, _mm256_cmp_ps(select, _mm256_setzero_ps(), _CMP_GT_OQ)); }
#include "shardgrad_native.c"
#undef SG_ISA
#undef SG_TARGET
#undef VW
#undef MR
#undef SG_HELPER

// ---- the live noise estimate's partials (not a GEMM: written once per instruction set here) ----

/*
 * The partials of blocks [b0, b1) from the root's two halves a (rowsA rows) and b (rowsB rows):
 * core's noiseHalvesPartials, whose order defines the bits — inside a block of NOISE_BLOCK
 * parameters, parameter lo + j in lane j mod 8, two float64 sums per lane, of u² (u = a + b) and v²
 * (v = a/rowsA − b/rowsB); every multiply and add a separate IEEE operation (no FMA), the lanes
 * added ((0+1)+(2+3))+((4+5)+(6+7)). Here the 8 lanes are one zmm (AVX-512) or two ymm (AVX2)
 * registers per sum; the tail of a block (fewer than 8) goes through the same lanes one by one.
 */
#define SG_NOISE_PROLOGUE                                                                                   \
  const double invA = rowsA > 0 ? 1.0 / (double)rowsA : 0.0, invB = rowsB > 0 ? 1.0 / (double)rowsB : 0.0; \
  const double invT = 1.0 / (double)(rowsA + rowsB), weight = (double)rowsA * (double)rowsB * invT;
#define SG_NOISE_EPILOGUE                                                \
  for (int l = 0; i + (size_t)l < hi; l++) {                             \
    const double x = a[i + l], y = b[i + l];                             \
    const double u = x + y, v = x * invA - y * invB;                     \
    su[l] += u * u;                                                      \
    sv[l] += v * v;                                                      \
  }                                                                      \
  partials[2 * blk] = SG_LANES(su) * invT * invT;                        \
  partials[2 * blk + 1] = weight * SG_LANES(sv);
#define SG_LANES(s) ((((s)[0] + (s)[1]) + ((s)[2] + (s)[3])) + (((s)[4] + (s)[5]) + ((s)[6] + (s)[7])))

__attribute__((target("avx512f"))) static void avx512_noise_halves(const float *a, const float *b, size_t rowsA, size_t rowsB, size_t P, size_t b0, size_t b1, double *partials) {
  SG_NOISE_PROLOGUE
  const __m512d vA = _mm512_set1_pd(invA), vB = _mm512_set1_pd(invB);
  for (size_t blk = b0; blk < b1; blk++) {
    const size_t lo = blk * NOISE_BLOCK, hi = lo + NOISE_BLOCK < P ? lo + NOISE_BLOCK : P;
    __m512d accU = _mm512_setzero_pd(), accV = accU;
    size_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      const __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(a + i)), y = _mm512_cvtps_pd(_mm256_loadu_ps(b + i));
      const __m512d u = _mm512_add_pd(x, y), v = _mm512_sub_pd(_mm512_mul_pd(x, vA), _mm512_mul_pd(y, vB));
      accU = _mm512_add_pd(accU, _mm512_mul_pd(u, u));
      accV = _mm512_add_pd(accV, _mm512_mul_pd(v, v));
    }
    double su[8], sv[8];
    _mm512_storeu_pd(su, accU);
    _mm512_storeu_pd(sv, accV);
    SG_NOISE_EPILOGUE
  }
}

__attribute__((target("avx2"))) static void avx2_noise_halves(const float *a, const float *b, size_t rowsA, size_t rowsB, size_t P, size_t b0, size_t b1, double *partials) {
  SG_NOISE_PROLOGUE
  const __m256d vA = _mm256_set1_pd(invA), vB = _mm256_set1_pd(invB);
  for (size_t blk = b0; blk < b1; blk++) {
    const size_t lo = blk * NOISE_BLOCK, hi = lo + NOISE_BLOCK < P ? lo + NOISE_BLOCK : P;
    __m256d accU[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()}, accV[2] = {accU[0], accU[0]};
    size_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      for (int h = 0; h < 2; h++) {
        const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(a + i + 4 * h)), y = _mm256_cvtps_pd(_mm_loadu_ps(b + i + 4 * h));
        const __m256d u = _mm256_add_pd(x, y), v = _mm256_sub_pd(_mm256_mul_pd(x, vA), _mm256_mul_pd(y, vB));
        accU[h] = _mm256_add_pd(accU[h], _mm256_mul_pd(u, u));
        accV[h] = _mm256_add_pd(accV[h], _mm256_mul_pd(v, v));
      }
    }
    double su[8], sv[8];
    for (int h = 0; h < 2; h++) {
      _mm256_storeu_pd(su + 4 * h, accU[h]);
      _mm256_storeu_pd(sv + 4 * h, accV[h]);
    }
    SG_NOISE_EPILOGUE
  }
}
#undef SG_NOISE_PROLOGUE
#undef SG_NOISE_EPILOGUE
#undef SG_LANES

// ---- the N-API side ----

/** One instruction set's entry points; an exported function carries a pointer to one as its data. */
typedef struct {
  const char *name;
  int (*gemm_bias)(Scratch *, float *, const float *, const float *, const float *, size_t, size_t, size_t, const Epilogue *);
  int (*gemm_nt)(Scratch *, float *, const float *, const float *, size_t, size_t, size_t, const Epilogue *);
  int (*gemm_tn_acc)(Scratch *, float *, float *, const float *, const float *, size_t, size_t, size_t);
  int (*gemm_tn_tree)(Scratch *, float *, float *, const float *, const float *, size_t, size_t, size_t, const float *const *, const float *const *, int);
  int (*gemm_tn_leaves)(Scratch *, float *, float *, size_t, const float *, const float *, size_t, size_t, const Leaves *);
  void (*noise_halves)(const float *, const float *, size_t, size_t, size_t, size_t, size_t, double *);
} Isa;

static const Isa ISA_AVX512 = {"avx512", avx512_gemm_bias, avx512_gemm_nt, avx512_gemm_tn_acc, avx512_gemm_tn_tree, avx512_gemm_tn_leaves, avx512_noise_halves};
static const Isa ISA_AVX2 = {"avx2", avx2_gemm_bias, avx2_gemm_nt, avx2_gemm_tn_acc, avx2_gemm_tn_tree, avx2_gemm_tn_leaves, avx2_noise_halves};

static int has_avx512(void) { return __builtin_cpu_supports("avx512f"); }
static int has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

#define MAX_ARGS 10

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  const Isa *isa;
  Scratch *scratch;
  int ok;
} Call;

static int call_begin(napi_env env, napi_callback_info info, Call *c, size_t want) {
  size_t argc = MAX_ARGS;
  void *data;
  c->env = env;
  c->ok = 0;
  if (napi_get_cb_info(env, info, &argc, c->argv, NULL, &data) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "shardgrad native: too few arguments");
    return 0;
  }
  c->isa = (const Isa *)data;
  if (napi_get_instance_data(env, (void **)&c->scratch) != napi_ok || c->scratch == NULL) {
    napi_throw_error(env, NULL, "shardgrad native: no per-thread scratch");
    return 0;
  }
  c->ok = 1;
  return 1;
}

/** `value` as a Float32Array of at least `need` elements: its data pointer, in place (byteOffset honoured). */
static float *f32_of(Call *c, napi_value value, size_t need, const char *what) {
  if (!c->ok) return NULL;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(c->env, value, &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_float32_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "shardgrad native: %s must be a Float32Array", what);
    napi_throw_type_error(c->env, NULL, msg);
    c->ok = 0;
    return NULL;
  }
  if (length < need) {
    char msg[128];
    snprintf(msg, sizeof msg, "shardgrad native: %s has %zu elements, the shape needs %zu", what, length, need);
    napi_throw_range_error(c->env, NULL, msg);
    c->ok = 0;
    return NULL;
  }
  return (float *)data;
}

static float *arg_f32(Call *c, int i, size_t need, const char *what) { return f32_of(c, c->argv[i], need, what); }

static size_t arg_size(Call *c, int i, const char *what) {
  if (!c->ok) return 0;
  int64_t x;
  // below 2^32, so a product of two sizes cannot wrap
  if (napi_get_value_int64(c->env, c->argv[i], &x) != napi_ok || x < 0 || x > (int64_t)UINT32_MAX) {
    char msg[96];
    snprintf(msg, sizeof msg, "shardgrad native: %s must be an integer in [0, 2^32)", what);
    napi_throw_type_error(c->env, NULL, msg);
    c->ok = 0;
    return 0;
  }
  return (size_t)x;
}

static int arg_act(Call *c, int i) {
  size_t act = arg_size(c, i, "act");
  if (c->ok && act != ACT_IDENTITY && act != ACT_RELU) {
    napi_throw_range_error(c->env, NULL, "shardgrad native: act must be 0 (identity) or 1 (relu)");
    c->ok = 0;
  }
  return (int)act;
}

static napi_value out_of_memory(napi_env env) {
  napi_throw_error(env, NULL, "shardgrad native: out of memory for packing scratch");
  return NULL;
}

/**
 * gemmBias(v, y, W, b, m, k, n): v(m,n) = y(m,k)·W(k,n) + b(n); fused, denseForward(v, out, y, W, b,
 * m, k, n, act) also writes out = g(v), g = identity (0) or ReLU (1), in the same store.
 */
static napi_value forward(napi_env env, napi_callback_info info, int fused) {
  Call c;
  if (!call_begin(env, info, &c, fused ? 9 : 7)) return NULL;
  const int o = fused; // arguments after v shift by one where `out` is given
  size_t m = arg_size(&c, 4 + o, "m"), k = arg_size(&c, 5 + o, "k"), n = arg_size(&c, 6 + o, "n");
  int act = fused ? arg_act(&c, 8) : ACT_IDENTITY;
  float *v = arg_f32(&c, 0, m * n, "v"), *out = fused ? arg_f32(&c, 1, m * n, "out") : NULL;
  const float *y = arg_f32(&c, 1 + o, m * k, "y"), *W = arg_f32(&c, 2 + o, k * n, "W"), *b = arg_f32(&c, 3 + o, n, "b");
  if (!c.ok) return NULL;
  Epilogue e = {NULL, out, act == ACT_RELU, NULL, 0};
  if (!c.isa->gemm_bias(c.scratch, v, y, W, b, m, k, n, &e)) return out_of_memory(env);
  return NULL;
}

/**
 * gemmNT(dy, dv, W, m, n, k): dy(m,k) = dv(m,n)·W(k,n)ᵀ; fused, denseBackwardInput(dvBelow, dv, W,
 * vBelow, m, n, k, act) masks it by g'(vBelow) (ReLU: 1 where vBelow > 0) in the same store.
 */
static napi_value backward_input(napi_env env, napi_callback_info info, int fused) {
  Call c;
  if (!call_begin(env, info, &c, fused ? 8 : 6)) return NULL;
  const int o = fused; // m, n, k shift by one where vBelow is given
  size_t m = arg_size(&c, 3 + o, "m"), n = arg_size(&c, 4 + o, "n"), k = arg_size(&c, 5 + o, "k");
  int act = fused ? arg_act(&c, 7) : ACT_IDENTITY;
  float *dy = arg_f32(&c, 0, m * k, fused ? "dvBelow" : "dy");
  const float *dv = arg_f32(&c, 1, m * n, "dv"), *W = arg_f32(&c, 2, k * n, "W");
  const float *vb = fused ? arg_f32(&c, 3, m * k, "vBelow") : NULL;
  if (!c.ok) return NULL;
  Epilogue e = {act == ACT_RELU ? vb : NULL, NULL, 0, NULL, 0};
  if (!c.isa->gemm_nt(c.scratch, dy, dv, W, m, n, k, &e)) return out_of_memory(env);
  return NULL;
}

static napi_value js_gemm_bias(napi_env env, napi_callback_info info) { return forward(env, info, 0); }
static napi_value js_dense_forward(napi_env env, napi_callback_info info) { return forward(env, info, 1); }
static napi_value js_gemm_nt(napi_env env, napi_callback_info info) { return backward_input(env, info, 0); }
static napi_value js_dense_backward_input(napi_env env, napi_callback_info info) { return backward_input(env, info, 1); }

/** The operands (dW, db, y, dv, m, k, n) that lead gemmTNAcc's and gemmTNTree's arguments. */
typedef struct {
  float *dW, *db;
  const float *y, *dv;
  size_t m, k, n;
} WeightGradient;

static int weight_gradient_args(Call *c, WeightGradient *g) {
  g->m = arg_size(c, 4, "m"), g->k = arg_size(c, 5, "k"), g->n = arg_size(c, 6, "n");
  g->dW = arg_f32(c, 0, g->k * g->n, "dW"), g->db = arg_f32(c, 1, g->n, "db");
  g->y = arg_f32(c, 2, g->m * g->k, "y"), g->dv = arg_f32(c, 3, g->m * g->n, "dv");
  return c->ok;
}

/** gemmTNAcc(dW, db, y, dv, m, k, n): dW(k,n) += y(m,k)ᵀ·dv(m,n), db(n) += Σ rows of dv */
static napi_value js_gemm_tn_acc(napi_env env, napi_callback_info info) {
  Call c;
  WeightGradient g;
  if (!call_begin(env, info, &c, 7) || !weight_gradient_args(&c, &g)) return NULL;
  if (!c.isa->gemm_tn_acc(c.scratch, g.dW, g.db, g.y, g.dv, g.m, g.k, g.n)) return out_of_memory(env);
  return NULL;
}

/**
 * gemmTNTree(dW, db, y, dv, m, k, n, pendW, pendB): one leaf of the reduction tree, finishing the
 * pending levels (arrays of Float32Arrays shaped like dW / db, innermost first) in the same store.
 */
static napi_value js_gemm_tn_tree(napi_env env, napi_callback_info info) {
  Call c;
  WeightGradient g;
  if (!call_begin(env, info, &c, 9) || !weight_gradient_args(&c, &g)) return NULL;
  uint32_t count = 0, countB = 0;
  if (napi_get_array_length(env, c.argv[7], &count) != napi_ok || napi_get_array_length(env, c.argv[8], &countB) != napi_ok || count != countB || count > MAX_PENDING) {
    napi_throw_range_error(env, NULL, "shardgrad native: pendW and pendB must be arrays of the same length (at most 32)");
    return NULL;
  }
  const float *pendW[MAX_PENDING], *pendB[MAX_PENDING];
  for (uint32_t l = 0; l < count; l++) {
    napi_value w, b;
    if (napi_get_element(env, c.argv[7], l, &w) != napi_ok || napi_get_element(env, c.argv[8], l, &b) != napi_ok) return NULL;
    pendW[l] = f32_of(&c, w, g.k * g.n, "a pending dW level");
    pendB[l] = f32_of(&c, b, g.n, "a pending db level");
    if (!c.ok) return NULL;
  }
  if (!c.isa->gemm_tn_tree(c.scratch, g.dW, g.db, g.y, g.dv, g.m, g.k, g.n, pendW, pendB, (int)count)) return out_of_memory(env);
  return NULL;
}

/** Reads and checks a gemmTNLeaves plan of `len` words; 0 (with a RangeError thrown) when it is malformed. */
static int read_leaves(napi_env env, const int32_t *plan, size_t len, Leaves *L) {
  size_t at = 2;
  L->rows = 0;
  if (len < 2 || plan[0] < 0 || plan[0] > MAX_GROUPS || plan[1] < 0 || plan[1] > MAX_GROUPS || len < 2 + 2 * (size_t)plan[0]) goto bad;
  L->groups = plan[0];
  L->slots = plan[1];
  for (int g = 0; g < L->groups; g++, at += 2) {
    L->rowsL[g] = plan[at];
    L->rowsR[g] = plan[at + 1];
    if (L->rowsL[g] < 0 || L->rowsR[g] < -1) goto bad;
    L->rows += (size_t)L->rowsL[g] + (size_t)(L->rowsR[g] > 0 ? L->rowsR[g] : 0);
  }
  if (L->rows > INT32_MAX) goto bad;
  for (int g = 0; g < L->groups; g++) {
    if (at + 2 > len) goto bad;
    L->dst[g] = plan[at];
    L->count[g] = plan[at + 1];
    L->adds[g] = plan + at + 2;
    if (L->dst[g] < 0 || L->dst[g] >= L->slots || L->count[g] < 0 || L->count[g] > MAX_PENDING || at + 2 + (size_t)L->count[g] > len) goto bad;
    for (int c = 0; c < L->count[g]; c++)
      if (L->adds[g][c] < 0 || L->adds[g][c] >= L->slots) goto bad;
    at += 2 + (size_t)L->count[g];
  }
  if (at + 1 > len || plan[at] < 0 || at + 1 + (size_t)plan[at] > len) goto bad;
  L->published = plan[at];
  L->pub = plan + at + 1;
  for (int q = 0; q < L->published; q++)
    if (L->pub[q] < 0 || L->pub[q] >= L->slots) goto bad;
  return 1;
bad:
  napi_throw_range_error(env, NULL, "shardgrad native: a malformed gemmTNLeaves plan");
  return 0;
}

/**
 * gemmTNLeaves(dW0, db0, slotStride, y, dv, k, n, plan, bytesW, bytesB): every leaf of a worker's
 * subtree for one layer (Kernels.gemmTNLeaves); slot s of dW / db lies s·slotStride bytes after
 * dW0 / db0, and bytesW / bytesB bytes are addressable from them (checked against the plan).
 */
static napi_value js_gemm_tn_leaves(napi_env env, napi_callback_info info) {
  Call c;
  if (!call_begin(env, info, &c, 10)) return NULL;
  size_t strideBytes = arg_size(&c, 2, "slotStride"), k = arg_size(&c, 5, "k"), n = arg_size(&c, 6, "n");
  size_t bytesW = arg_size(&c, 8, "bytesW"), bytesB = arg_size(&c, 9, "bytesB");
  if (!c.ok) return NULL;
  napi_typedarray_type type;
  size_t len, offset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, c.argv[7], &type, &len, &data, &buffer, &offset) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "shardgrad native: plan must be an Int32Array");
    return NULL;
  }
  static __thread Leaves L; /* 24 KB: per thread, off the stack */
  if (!read_leaves(env, (const int32_t *)data, len, &L)) return NULL;
  const size_t stride = strideBytes / 4, last = L.slots > 0 ? (size_t)L.slots - 1 : 0;
  if (strideBytes % 4 != 0 || (L.slots > 0 && (last * strideBytes + k * n * 4 > bytesW || last * strideBytes + n * 4 > bytesB))) {
    napi_throw_range_error(env, NULL, "shardgrad native: the plan's slots reach past the memory of dW0 / db0");
    return NULL;
  }
  float *dW0 = arg_f32(&c, 0, k * n, "dW0"), *db0 = arg_f32(&c, 1, n, "db0");
  const float *y = arg_f32(&c, 3, L.rows * k, "y"), *dv = arg_f32(&c, 4, L.rows * n, "dv");
  if (!c.ok) return NULL;
  if (!c.isa->gemm_tn_leaves(c.scratch, dW0, db0, stride, y, dv, k, n, &L)) return out_of_memory(env);
  return NULL;
}

/**
 * gatherRows(x, t, X, Y, order, from, rows, n0, nL): rows r < rows of the batch, x(r, ·) = X(order[from + r], ·)
 * and t(r, ·) = Y(order[from + r], ·) — a memcpy a row (the same values as core's plain gatherRows, the
 * wasm fallback). Every index is checked against X's and Y's lengths first; nothing is written otherwise.
 */
static napi_value js_gather_rows(napi_env env, napi_callback_info info) {
  Call c;
  if (!call_begin(env, info, &c, 9)) return NULL;
  const size_t from = arg_size(&c, 5, "from"), rows = arg_size(&c, 6, "rows"), n0 = arg_size(&c, 7, "n0"), nL = arg_size(&c, 8, "nL");
  float *x = arg_f32(&c, 0, rows * n0, "x");
  float *t = arg_f32(&c, 1, rows * nL, "t");
  size_t lenX = 0, lenY = 0, lenOrder = 0;
  const float *X = NULL, *Y = NULL;
  const uint32_t *order = NULL;
  if (c.ok) {
    napi_typedarray_type type;
    void *data;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, c.argv[2], &type, &lenX, &data, &buffer, &offset) != napi_ok || type != napi_float32_array) c.ok = 0;
    X = (const float *)data;
    if (c.ok && (napi_get_typedarray_info(env, c.argv[3], &type, &lenY, &data, &buffer, &offset) != napi_ok || type != napi_float32_array)) c.ok = 0;
    Y = (const float *)data;
    if (c.ok && (napi_get_typedarray_info(env, c.argv[4], &type, &lenOrder, &data, &buffer, &offset) != napi_ok || type != napi_uint32_array)) c.ok = 0;
    order = (const uint32_t *)data;
    if (!c.ok) {
      napi_throw_type_error(env, NULL, "shardgrad native: gatherRows takes Float32Array X, Y and a Uint32Array order");
      return NULL;
    }
  }
  if (!c.ok) return NULL;
  if (from + rows > lenOrder) {
    napi_throw_range_error(env, NULL, "shardgrad native: gatherRows reads past the order");
    return NULL;
  }
  for (size_t r = 0; r < rows; r++) {
    const size_t s = order[from + r];
    if ((s + 1) * n0 > lenX || (s + 1) * nL > lenY) {
      napi_throw_range_error(env, NULL, "shardgrad native: gatherRows: a row index past X or Y");
      return NULL;
    }
  }
  for (size_t r = 0; r < rows; r++) {
    const size_t s = order[from + r];
    memcpy(x + r * n0, X + s * n0, n0 * sizeof(float));
    memcpy(t + r * nL, Y + s * nL, nL * sizeof(float));
  }
  return NULL;
}

/**
 * noiseHalves(a, b, rowsA, rowsB, P, b0, b1, partials): the noise partials of blocks [b0, b1)
 * (core's noiseHalvesPartials, same bits). a and b hold P floats, partials 2 float64s a block.
 */
static napi_value js_noise_halves(napi_env env, napi_callback_info info) {
  Call c;
  if (!call_begin(env, info, &c, 8)) return NULL;
  const size_t rowsA = arg_size(&c, 2, "rowsA"), rowsB = arg_size(&c, 3, "rowsB"), P = arg_size(&c, 4, "P"), b0 = arg_size(&c, 5, "b0"), b1 = arg_size(&c, 6, "b1");
  const float *a = arg_f32(&c, 0, P, "a");
  const float *b = arg_f32(&c, 1, P, "b");
  if (!c.ok) return NULL;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, c.argv[7], &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_float64_array) {
    napi_throw_type_error(env, NULL, "shardgrad native: noiseHalves: partials must be a Float64Array");
    return NULL;
  }
  if (rowsA + rowsB == 0 || b0 > b1 || (b1 > b0 && ((b1 - 1) * NOISE_BLOCK >= P || 2 * b1 > length))) {
    napi_throw_range_error(env, NULL, "shardgrad native: noiseHalves: blocks past P or the partials, or no rows");
    return NULL;
  }
  c.isa->noise_halves(a, b, rowsA, rowsB, P, b0, b1, (double *)data);
  return NULL;
}

/** kernels(isa): an object of the five entry points for "avx512" or "avx2" (one this CPU has). */
static napi_value js_kernels(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  char name[16] = "";
  size_t len;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (argc < 1 || napi_get_value_string_utf8(env, arg, name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "shardgrad native: kernels(isa) takes \"avx512\" or \"avx2\"");
    return NULL;
  }
  const Isa *isa = NULL;
  if (strcmp(name, "avx512") == 0 && has_avx512()) isa = &ISA_AVX512;
  if (strcmp(name, "avx2") == 0 && has_avx2()) isa = &ISA_AVX2;
  if (isa == NULL) {
    napi_throw_range_error(env, NULL, "shardgrad native: this CPU does not run that instruction set");
    return NULL;
  }
  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"gemmBias", js_gemm_bias}, {"gemmNT", js_gemm_nt}, {"gemmTNAcc", js_gemm_tn_acc}, {"gemmTNTree", js_gemm_tn_tree}, {"gemmTNLeaves", js_gemm_tn_leaves}, {"denseForward", js_dense_forward}, {"denseBackwardInput", js_dense_backward_input}, {"gatherRows", js_gather_rows}, {"noiseHalves", js_noise_halves}};
  napi_value obj, fn, str;
  napi_create_object(env, &obj);
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, (void *)isa, &fn);
    napi_set_named_property(env, obj, fns[i].name, fn);
  }
  napi_create_string_utf8(env, isa->name, NAPI_AUTO_LENGTH, &str);
  napi_set_named_property(env, obj, "isa", str);
  return obj;
}

static void scratch_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Scratch *s = data;
  free(s->buf);
  free(s);
}

/** Module init, once per environment (main thread and each worker): isas (best first) and kernels(). */
NAPI_MODULE_INIT() {
  Scratch *s = calloc(1, sizeof(Scratch));
  if (s == NULL || napi_set_instance_data(env, s, scratch_finalize, NULL) != napi_ok) {
    free(s);
    napi_throw_error(env, NULL, "shardgrad native: cannot set up per-thread scratch");
    return NULL;
  }
  napi_value isas, str, fn;
  napi_create_array(env, &isas);
  uint32_t count = 0;
  if (has_avx512()) {
    napi_create_string_utf8(env, "avx512", NAPI_AUTO_LENGTH, &str);
    napi_set_element(env, isas, count++, str);
  }
  if (has_avx2()) {
    napi_create_string_utf8(env, "avx2", NAPI_AUTO_LENGTH, &str);
    napi_set_element(env, isas, count++, str);
  }
  napi_set_named_property(env, exports, "isas", isas);
  napi_create_function(env, "kernels", NAPI_AUTO_LENGTH, js_kernels, NULL, &fn);
  napi_set_named_property(env, exports, "kernels", fn);
  return exports;
}

#else // ---- the generic GEMM, once per instruction set (SG_ISA, SG_TARGET, VW, MR, helpers) ----

#define VEC SG_NAME(vec)
#define NR (2 * VW)
#define SG_FN static __attribute__((target(SG_TARGET)))

/**
 * One register tile: C(mr, up to NR) = init + A(mr, kc)·Bp(kc, NR), mr ≤ MR and nv ∈ {1, 2} vectors
 * of columns, both constants where this is inlined so the accumulators live in registers.
 * A(r, p) is read at a[r·ars + p·aps] (so A may be stored transposed); Bp is packed, NR floats a
 * row, zero-padded. `cols` of the NR columns are real; `last` is the epilogue on the final K block.
 */
SG_HELPER void SG_NAME(tile)(const int mr, const int nv, size_t kc, const float *a, ptrdiff_t ars, ptrdiff_t aps, const float *bp, float *c, ptrdiff_t ldc,
                            int cols, int mode, const float *bias, const Epilogue *last, ptrdiff_t off) {
  VEC acc[MR][2];
  const int valid0 = cols < VW ? cols : VW;
  const int valid1 = cols - VW;
  for (int r = 0; r < mr; r++) {
    for (int v = 0; v < nv; v++) {
      const int valid = v == 0 ? valid0 : valid1;
      if (mode == MODE_ACCUMULATE) acc[r][v] = SG_NAME(loadn)(c + r * ldc + v * VW, valid);
      else if (mode == MODE_BIAS) acc[r][v] = SG_NAME(loadn)(bias + v * VW, valid);
      else acc[r][v] = SG_NAME(zero)();
    }
  }
  for (size_t p = 0; p < kc; p++) {
    const VEC b0 = SG_NAME(load_aligned)(bp);
    const VEC b1 = nv > 1 ? SG_NAME(load_aligned)(bp + VW) : b0;
    const float *ap = a + (ptrdiff_t)p * aps;
    for (int r = 0; r < mr; r++) {
      const VEC x = SG_NAME(set1)(ap[r * ars]);
      acc[r][0] = SG_NAME(fma)(x, b0, acc[r][0]);
      if (nv > 1) acc[r][1] = SG_NAME(fma)(x, b1, acc[r][1]);
    }
    bp += NR;
  }
  for (int r = 0; r < mr; r++) {
    for (int v = 0; v < nv; v++) {
      const int valid = v == 0 ? valid0 : valid1;
      const ptrdiff_t at = r * ldc + v * VW;
      VEC x = acc[r][v];
      if (last && last->mask) x = SG_NAME(where_positive)(SG_NAME(loadn)(last->mask + off + at, valid), x);
      if (last && last->pend)
        for (int l = 0; l < last->npend; l++) x = SG_NAME(add)(SG_NAME(loadn)(last->pend[l] + off + at, valid), x);
      SG_NAME(storen)(c + at, x, valid);
      if (last && last->out) SG_NAME(storen)(last->out + off + at, last->relu ? SG_NAME(where_positive)(x, x) : x, valid);
    }
  }
}

/** The tile for a run-time row count and column-vector count, each case with constants. */
SG_FN void SG_NAME(tile_any)(int mr, int nv, size_t kc, const float *a, ptrdiff_t ars, ptrdiff_t aps, const float *bp, float *c, ptrdiff_t ldc, int cols,
                             int mode, const float *bias, const Epilogue *last, ptrdiff_t off) {
#define SG_TILE(R, V) SG_NAME(tile)(R, V, kc, a, ars, aps, bp, c, ldc, cols, mode, bias, last, off)
#define SG_ROWS(R)                 \
  case R:                          \
    if (nv == 2) SG_TILE(R, 2);    \
    else SG_TILE(R, 1);            \
    return;
  switch (mr) {
    SG_ROWS(1) SG_ROWS(2) SG_ROWS(3) SG_ROWS(4) SG_ROWS(5) SG_ROWS(6)
#if MR > 6
    SG_ROWS(7) SG_ROWS(8)
#endif
  }
#undef SG_ROWS
#undef SG_TILE
}

/**
 * Packs rows p0..p0+kc of B(·, nc) into panels of NR columns (panel j: kc rows of NR floats,
 * zero-padded past nc). B(p, j) is read at b[p·brs + j·bcs]: row-major W, or Wᵀ read in place.
 */
SG_FN void SG_NAME(pack_b)(float *dst, const float *b, ptrdiff_t brs, ptrdiff_t bcs, size_t p0, size_t kc, size_t nc) {
  _Static_assert(NR == 2 * VW, "two vectors a panel row");
  for (size_t j0 = 0; j0 < nc; j0 += NR) {
    const size_t cols = nc - j0 < NR ? nc - j0 : NR;
    if (bcs == 1) {
      for (size_t p = 0; p < kc; p++) {
        const float *src = b + (ptrdiff_t)(p0 + p) * brs + (ptrdiff_t)j0;
        const int c0 = cols < VW ? (int)cols : VW;
        SG_NAME(storen)(dst + p * NR, SG_NAME(loadn)(src, c0), VW);
        SG_NAME(storen)(dst + p * NR + VW, cols > VW ? SG_NAME(loadn)(src + VW, (int)cols - VW) : SG_NAME(zero)(), VW);
      }
    } else {
      // transposed source (brs == 1): column j is a contiguous run of W; 4×4 blocks transposed in registers
      size_t j = 0;
      for (; j + 4 <= cols; j += 4) {
        const float *s0 = b + (ptrdiff_t)(j0 + j) * bcs + (ptrdiff_t)p0;
        size_t p = 0;
        for (; p + 4 <= kc; p += 4) {
          __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s0 + bcs + p), r2 = _mm_loadu_ps(s0 + 2 * bcs + p), r3 = _mm_loadu_ps(s0 + 3 * bcs + p);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_store_ps(dst + p * NR + j, r0);
          _mm_store_ps(dst + (p + 1) * NR + j, r1);
          _mm_store_ps(dst + (p + 2) * NR + j, r2);
          _mm_store_ps(dst + (p + 3) * NR + j, r3);
        }
        for (; p < kc; p++)
          for (size_t q = 0; q < 4; q++) dst[p * NR + j + q] = s0[(ptrdiff_t)q * bcs + (ptrdiff_t)p];
      }
      for (; j < cols; j++) {
        const float *src = b + (ptrdiff_t)(j0 + j) * bcs + (ptrdiff_t)p0;
        for (size_t p = 0; p < kc; p++) dst[p * NR + j] = src[p];
      }
      for (; j < NR; j++)
        for (size_t p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
    }
    dst += kc * NR;
  }
}

/**
 * C(M, N) = init + A(M, K)·B(K, N) with init by `mode` and the epilogue on the last K block.
 * Loops, outermost first: K blocks of KC, column blocks of NC (B packed: the KC×NR panel in use
 * stays in L1), row blocks of MC (that block of A stays in L2 across the panels), NR-column panels,
 * MR-row tiles. A is read in place: packing it too was measured slower here (docs/kernels.md).
 */
SG_FN int SG_NAME(gemm)(Scratch *s, float *c, ptrdiff_t ldc, const float *a, ptrdiff_t ars, ptrdiff_t aps, const float *b, ptrdiff_t brs, ptrdiff_t bcs,
                         size_t M, size_t N, size_t K, int mode, const float *bias, const Epilogue *epi) {
  if (M == 0 || N == 0) return 1;
  const size_t kcBlock = epi && epi->pend ? (K > 0 ? K : 1) : KC; // a tree store needs the whole sum
  const size_t kcMax = K == 0 ? 1 : K < kcBlock ? K : kcBlock;
  const size_t ncMax = N < NC ? (N + NR - 1) / NR * NR : NC;
  float *packedB = scratch_floats(s, kcMax * ncMax);
  if (packedB == NULL) return 0;
  size_t p0 = 0;
  do {
    const size_t kc = K - p0 < kcBlock ? K - p0 : kcBlock;
    const int blockMode = p0 == 0 ? mode : MODE_ACCUMULATE;
    const Epilogue *last = p0 + kc >= K ? epi : NULL;
    for (size_t j0 = 0; j0 < N; j0 += NC) {
      const size_t nc = N - j0 < NC ? N - j0 : NC;
      SG_NAME(pack_b)(packedB, b + (ptrdiff_t)j0 * bcs, brs, bcs, p0, kc, nc);
      for (size_t i0 = 0; i0 < M; i0 += MC) {
        const size_t mc = M - i0 < MC ? M - i0 : MC;
        const float *ablock = a + (ptrdiff_t)i0 * ars + (ptrdiff_t)p0 * aps;
        for (size_t jp = 0; jp < nc; jp += NR) {
          const int cols = (int)(nc - jp < NR ? nc - jp : NR);
          const int nv = cols > VW ? 2 : 1;
          const float *bp = packedB + jp * kc;
          for (size_t ir = 0; ir < mc; ir += MR) {
            const int mr = (int)(mc - ir < MR ? mc - ir : MR);
            const ptrdiff_t off = (ptrdiff_t)(i0 + ir) * ldc + (ptrdiff_t)(j0 + jp);
            SG_NAME(tile_any)(mr, nv, kc, ablock + (ptrdiff_t)ir * ars, ars, aps, bp, c + off, ldc, cols, blockMode, bias ? bias + j0 + jp : NULL, last, off);
          }
        }
      }
    }
    p0 += kc;
  } while (p0 < K);
  return 1;
}

/** v(m, n) = y(m, k)·W(k, n) + b(n) */
SG_FN int SG_NAME(gemm_bias)(Scratch *s, float *v, const float *y, const float *W, const float *b, size_t m, size_t k, size_t n, const Epilogue *epi) {
  return SG_NAME(gemm)(s, v, (ptrdiff_t)n, y, (ptrdiff_t)k, 1, W, (ptrdiff_t)n, 1, m, n, k, MODE_BIAS, b, epi);
}

/** dy(m, k) = dv(m, n)·W(k, n)ᵀ: B(j, p) = W[p·n + j], packed from W in place */
SG_FN int SG_NAME(gemm_nt)(Scratch *s, float *dy, const float *dv, const float *W, size_t m, size_t n, size_t k, const Epilogue *epi) {
  return SG_NAME(gemm)(s, dy, (ptrdiff_t)k, dv, (ptrdiff_t)n, 1, W, 1, (ptrdiff_t)n, m, k, n, MODE_ZERO, NULL, epi);
}

/** dW(k, n) += y(m, k)ᵀ·dv(m, n) (A(p, i) = y[i·k + p], read in place) and db(n) += Σ_i dv(i, ·) in row order */
SG_FN int SG_NAME(gemm_tn_acc)(Scratch *s, float *dW, float *db, const float *y, const float *dv, size_t m, size_t k, size_t n) {
  if (!SG_NAME(gemm)(s, dW, (ptrdiff_t)n, y, 1, (ptrdiff_t)k, dv, (ptrdiff_t)n, 1, k, n, m, MODE_ACCUMULATE, NULL, NULL)) return 0;
  for (size_t j = 0; j < n; j += VW) {
    const int valid = (int)(n - j < VW ? n - j : VW);
    VEC sum = SG_NAME(loadn)(db + j, valid);
    for (size_t i = 0; i < m; i++) sum = SG_NAME(add)(sum, SG_NAME(loadn)(dv + i * n + j, valid));
    SG_NAME(storen)(db + j, sum, valid);
  }
  return 1;
}

/**
 * One leaf of the reduction tree: dW(k, n) = yᵀ·dv and db(n) = Σ_i dv(i, ·), each from zero over the
 * rows in order, then s = pending + s for each pending level (innermost first), stored in dW / db.
 */
SG_FN int SG_NAME(gemm_tn_tree)(Scratch *s, float *dW, float *db, const float *y, const float *dv, size_t m, size_t k, size_t n, const float *const *pendW,
                                const float *const *pendB, int npend) {
  const Epilogue tree = {NULL, NULL, 0, pendW, npend};
  if (!SG_NAME(gemm)(s, dW, (ptrdiff_t)n, y, 1, (ptrdiff_t)k, dv, (ptrdiff_t)n, 1, k, n, m, MODE_ZERO, NULL, &tree)) return 0;
  for (size_t j = 0; j < n; j += VW) {
    const int valid = (int)(n - j < VW ? n - j : VW);
    VEC sum = SG_NAME(zero)();
    for (size_t i = 0; i < m; i++) sum = SG_NAME(add)(sum, SG_NAME(loadn)(dv + i * n + j, valid));
    for (int l = 0; l < npend; l++) sum = SG_NAME(add)(SG_NAME(loadn)(pendB[l] + j, valid), sum);
    SG_NAME(storen)(db + j, sum, valid);
  }
  return 1;
}

/**
 * One group of leaves for a whole MR×NR tile (rows of y read down a column: A(r, p) = a[p·aps + r]),
 * in one loop with the accumulators in registers: the left leaf's chain from zero over its rl rows,
 * stored in `left`, then (a pair) the right leaf's chain from zero, s = left + s; then s = pend + s
 * for each pending slot, innermost first; stored in dst. The same operations in the same order as
 * tile() with its tree epilogue, without a call, a dispatch or a pass over memory per leaf.
 */
SG_HELPER void SG_NAME(leaf_chain)(VEC acc[MR][2], size_t rows, const float *a, ptrdiff_t aps, const float *bp) {
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = SG_NAME(zero)();
  for (size_t p = 0; p < rows; p++) {
    const VEC b0 = SG_NAME(load_aligned)(bp);
    const VEC b1 = SG_NAME(load_aligned)(bp + VW);
    const float *ap = a + (ptrdiff_t)p * aps;
    for (int r = 0; r < MR; r++) {
      const VEC x = SG_NAME(set1)(ap[r]);
      acc[r][0] = SG_NAME(fma)(x, b0, acc[r][0]);
      acc[r][1] = SG_NAME(fma)(x, b1, acc[r][1]);
    }
    bp += NR;
  }
}

SG_FN void SG_NAME(leaf_group)(size_t rl, int rr, const float *a, ptrdiff_t aps, const float *bp, float *left, float *dst, const float *const *pend, int npend) {
  VEC acc[MR][2];
  SG_NAME(leaf_chain)(acc, rl, a, aps, bp);
  if (rr >= 0) {
    for (int r = 0; r < MR; r++) {
      SG_NAME(storen)(left + r * NR, acc[r][0], VW);
      SG_NAME(storen)(left + r * NR + VW, acc[r][1], VW);
    }
    SG_NAME(leaf_chain)(acc, (size_t)rr, a + (ptrdiff_t)rl * aps, aps, bp + rl * NR);
    for (int r = 0; r < MR; r++) {
      acc[r][0] = SG_NAME(add)(SG_NAME(loadn)(left + r * NR, VW), acc[r][0]);
      acc[r][1] = SG_NAME(add)(SG_NAME(loadn)(left + r * NR + VW, VW), acc[r][1]);
    }
  }
  for (int l = 0; l < npend; l++)
    for (int r = 0; r < MR; r++) {
      acc[r][0] = SG_NAME(add)(SG_NAME(loadn)(pend[l] + r * NR, VW), acc[r][0]);
      acc[r][1] = SG_NAME(add)(SG_NAME(loadn)(pend[l] + r * NR + VW, VW), acc[r][1]);
    }
  for (int r = 0; r < MR; r++) {
    SG_NAME(storen)(dst + r * NR, acc[r][0], VW);
    SG_NAME(storen)(dst + r * NR + VW, acc[r][1], VW);
  }
}

/**
 * All of a worker's leaves of one layer (Kernels.gemmTNLeaves): per MR×NR tile of dW, each group's
 * value — a leaf's chain from zero over its rows, or a sibling pair's fl(left + right) — goes
 * through its pending slots (s = pending + s, innermost first) into its dst slot, all in an L1
 * scratch of slot tiles; then the published slots' tiles are stored at dW0 + slot·slotStride. The
 * bias blocks follow the same plan, in memory. `plan` is checked by the caller (Leaves).
 */
SG_FN int SG_NAME(gemm_tn_leaves)(Scratch *s, float *dW0, float *db0, size_t stride, const float *y, const float *dv, size_t k, size_t n, const Leaves *L) {
  const size_t tileFloats = MR * NR;
  float *packed = scratch_floats(s, (L->rows > 0 ? L->rows : 1) * NR + (size_t)(L->slots + 1) * tileFloats);
  if (packed == NULL) return 0;
  float *slotTiles = packed + (L->rows > 0 ? L->rows : 1) * NR, *left = slotTiles + (size_t)L->slots * tileFloats;
  for (size_t j0 = 0; j0 < n; j0 += NR) {
    const int cols = (int)(n - j0 < NR ? n - j0 : NR);
    const int nv = cols > VW ? 2 : 1;
    SG_NAME(pack_b)(packed, dv + j0, (ptrdiff_t)n, 1, 0, L->rows, (size_t)cols);
    for (size_t i0 = 0; i0 < k; i0 += MR) {
      const int mr = (int)(k - i0 < MR ? k - i0 : MR);
      size_t row = 0;
      for (int g = 0; g < L->groups; g++) {
        const int rl = L->rowsL[g], rr = L->rowsR[g];
        float *dst = slotTiles + (size_t)L->dst[g] * tileFloats;
        // the group's last leaf ends in the tree epilogue, in registers: s = pend + s for the left
        // leaf of a pair (fl(left + right)) and each pending slot, innermost first, stored in dst
        const float *pend[MAX_PENDING + 1];
        int np = 0;
        if (mr == MR && nv == 2) {
          // a whole tile: the group in one loop (the common case)
          for (int c = 0; c < L->count[g]; c++) pend[np++] = slotTiles + (size_t)L->adds[g][c] * tileFloats;
          SG_NAME(leaf_group)((size_t)rl, rr, y + row * k + i0, (ptrdiff_t)k, packed + row * NR, left, dst, pend, np);
          row += (size_t)rl + (size_t)(rr >= 0 ? rr : 0);
          continue;
        }
        if (rr >= 0) {
          SG_NAME(tile_any)(mr, nv, (size_t)rl, y + row * k + i0, 1, (ptrdiff_t)k, packed + row * NR, left, NR, nv * VW, MODE_ZERO, NULL, NULL, 0);
          row += (size_t)rl;
          pend[np++] = left;
        }
        for (int c = 0; c < L->count[g]; c++) pend[np++] = slotTiles + (size_t)L->adds[g][c] * tileFloats;
        const Epilogue tree = {NULL, NULL, 0, pend, np};
        const size_t rows = (size_t)(rr >= 0 ? rr : rl);
        SG_NAME(tile_any)(mr, nv, rows, y + row * k + i0, 1, (ptrdiff_t)k, packed + row * NR, dst, NR, nv * VW, MODE_ZERO, NULL, np > 0 ? &tree : NULL, 0);
        row += rows;
      }
      for (int q = 0; q < L->published; q++) {
        const float *from = slotTiles + (size_t)L->pub[q] * tileFloats;
        float *to = dW0 + (size_t)L->pub[q] * stride + i0 * n + j0;
        for (int r = 0; r < mr; r++) {
          SG_NAME(storen)(to + (size_t)r * n, SG_NAME(loadn)(from + (size_t)r * NR, VW), cols < VW ? cols : VW);
          if (nv > 1) SG_NAME(storen)(to + (size_t)r * n + VW, SG_NAME(loadn)(from + (size_t)r * NR + VW, VW), cols - VW);
        }
      }
    }
  }
  // the bias blocks: each leaf's column sums (plain adds over its rows, from zero), pairs added, the chain, in memory
  for (size_t j = 0; j < n; j += VW) {
    const int valid = (int)(n - j < VW ? n - j : VW);
    size_t row = 0;
    for (int g = 0; g < L->groups; g++) {
      const int rl = L->rowsL[g], rr = L->rowsR[g];
      VEC x = SG_NAME(zero)();
      for (int i = 0; i < rl; i++) x = SG_NAME(add)(x, SG_NAME(loadn)(dv + (row + (size_t)i) * n + j, valid));
      row += (size_t)rl;
      if (rr >= 0) {
        VEC r = SG_NAME(zero)();
        for (int i = 0; i < rr; i++) r = SG_NAME(add)(r, SG_NAME(loadn)(dv + (row + (size_t)i) * n + j, valid));
        row += (size_t)rr;
        x = SG_NAME(add)(x, r);
      }
      for (int c = 0; c < L->count[g]; c++) x = SG_NAME(add)(SG_NAME(loadn)(db0 + (size_t)L->adds[g][c] * stride + j, valid), x);
      SG_NAME(storen)(db0 + (size_t)L->dst[g] * stride + j, x, valid);
    }
  }
  return 1;
}

#undef VEC
#undef NR
#undef SG_FN
#endif
