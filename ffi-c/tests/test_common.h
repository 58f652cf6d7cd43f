/* Helpers shared by the C tests: checks, the allocation counter, policy and request setup
 * from a vector. C99. */
#ifndef TEST_COMMON_H
#define TEST_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aauth_verify.h"
#include "vector_types.h"

/* ---- allocation counter -------------------------------------------------------------------
 * With -DCOUNT_ALLOCS the test links with -Wl,--wrap=malloc,... so that every allocation by
 * the test and by the static library goes through these wrappers. */
static volatile unsigned long alloc_calls;
static volatile int alloc_counting;

#ifdef COUNT_ALLOCS
#include <stdlib.h>
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);

void *__wrap_malloc(size_t n) {
  if (alloc_counting) alloc_calls++;
  return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m) {
  if (alloc_counting) alloc_calls++;
  return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n) {
  if (alloc_counting) alloc_calls++;
  return __real_realloc(p, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
  if (alloc_counting) alloc_calls++;
  return __real_posix_memalign(p, a, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n) {
  if (alloc_counting) alloc_calls++;
  return __real_aligned_alloc(a, n);
}
#define ALLOC_COUNTING 1
#else
#define ALLOC_COUNTING 0
#endif

/* ---- checks -------------------------------------------------------------------------------- */
static unsigned long checks_failed;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      checks_failed++;                                                     \
    }                                                                      \
  } while (0)

#define CHECK_RESULT(got, want)                                            \
  do {                                                                     \
    aauth_result got_ = (got);                                             \
    aauth_result want_ = (want);                                           \
    if (got_ != want_) {                                                   \
      fprintf(stderr, "%s:%d: %s: got %s, want %s\n", __FILE__, __LINE__, #got, \
              aauth_result_name(got_), aauth_result_name(want_));          \
      checks_failed++;                                                     \
    }                                                                      \
  } while (0)

static inline aauth_slice slice_of(vb b) {
  aauth_slice s;
  s.data = b.has ? b.p : NULL;
  s.len = b.has ? b.n : 0;
  return s;
}

static inline aauth_slice cstr(const char *s) {
  aauth_slice out;
  out.data = (const uint8_t *)s;
  out.len = strlen(s);
  return out;
}

/* Whether `t` (unescaped) equals `want`. */
static inline int text_eq(const aauth_text *t, vb want) {
  uint8_t buf[4096];
  size_t n = 0;
  if (!want.has) return 1;
  if (t->data == NULL) return 0;
  if (aauth_text_unescape(t, buf, sizeof buf, &n) != AAUTH_RESULT_OK) return 0;
  return n == want.n && memcmp(buf, want.p, n) == 0;
}

static inline int slice_eq(aauth_slice s, vb want) {
  if (!want.has) return 1;
  return s.data != NULL && s.len == want.n && memcmp(s.data, want.p, s.len) == 0;
}

/* The expected scheme name (either the wire token or the stable name) matches `s`. */
static inline int scheme_eq(aauth_scheme s, vb want) {
  static const char *const tokens[] = {"", "hwk", "jwks_uri", "jwks", "jwks", "jwt", "jkt-jwt",
                                       "self-jwt"};
  static const char *const names[] = {"", "hwk", "jwks_uri", "jwks", "legacy-jwks", "jwt",
                                      "jkt-jwt", "self-jwt"};
  if (!want.has) return s == AAUTH_SCHEME_NONE;
  if (s > AAUTH_SCHEME_SELF_JWT) return 0;
  return (strlen(tokens[s]) == want.n && memcmp(tokens[s], want.p, want.n) == 0) ||
         (strlen(names[s]) == want.n && memcmp(names[s], want.p, want.n) == 0);
}

/* A vector's request. `headers` must have room for the vector's header lines. */
static inline aauth_request request_of(const struct vec_case *c, aauth_header *headers) {
  aauth_request r;
  size_t i;
  r.method = slice_of(c->method);
  r.scheme = slice_of(c->scheme);
  r.authority = slice_of(c->authority);
  r.path = slice_of(c->path);
  r.query = slice_of(c->query);
  for (i = 0; i < c->headers_len; i++) {
    headers[i].name = slice_of(c->headers[i].name);
    headers[i].value = slice_of(c->headers[i].value);
  }
  r.headers = c->headers_len ? headers : NULL;
  r.headers_len = c->headers_len;
  r.body = slice_of(c->body);
  return r;
}

/* A vector's policy. `required` must have room for AAUTH_MAX_REQUIRED slices. */
static inline aauth_policy policy_of(const struct vec_case *c, aauth_slice *required) {
  aauth_policy p;
  size_t i;
  aauth_result r = aauth_policy_default(c->compat ? AAUTH_PROFILE_COMPAT : AAUTH_PROFILE_STRICT, &p);
  CHECK_RESULT(r, AAUTH_RESULT_OK);
  if (c->has_window) p.window = c->window;
  if (c->has_required) {
    for (i = 0; i < c->required_len; i++) required[i] = slice_of(c->required[i]);
    p.required = c->required_len ? required : NULL;
    p.required_len = c->required_len;
  }
  if (c->has_require_signature_key) p.require_signature_key = c->require_signature_key != 0;
  if (c->has_schemes) p.schemes = c->schemes;
  if (c->has_base64url) p.base64url_signatures = c->base64url != 0;
  p.label = slice_of(c->label);
  return p;
}

#endif
