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

/* Whether `t` (unescaped) equals `want`; an absent `want` matches anything. */
static inline int text_eq(const aauth_text *t, vb want) {
  uint8_t buf[4096];
  size_t n = 0;
  if (!want.has) return 1;
  if (t->data == NULL) return 0;
  if (aauth_text_unescape(t, buf, sizeof buf, &n) != AAUTH_RESULT_OK) return 0;
  return n == want.n && memcmp(buf, want.p, n) == 0;
}

/* Whether `t` is exactly `want`: absent when `want` is absent, else equal once unescaped. */
static inline int text_is(const aauth_text *t, vb want) {
  if (!want.has) return t->data == NULL;
  return text_eq(t, want);
}

static inline int slice_eq(aauth_slice s, vb want) {
  if (!want.has) return 1;
  return s.data != NULL && s.len == want.n && memcmp(s.data, want.p, s.len) == 0;
}

/* The core's stable scheme name (legacy jwks is "legacy-jwks"), or NULL for none. */
static inline const char *scheme_name(aauth_scheme s) {
  static const char *const names[] = {NULL, "hwk", "jwks_uri", "jwks", "legacy-jwks", "jwt",
                                      "jkt-jwt", "self-jwt", "cached"};
  return s <= AAUTH_SCHEME_CACHED ? names[s] : "?";
}

/* Whether scheme `s` is exactly the stable name `want` (absent: no scheme). */
static inline int scheme_is(aauth_scheme s, vb want) {
  const char *name = scheme_name(s);
  if (!want.has) return name == NULL;
  return name != NULL && strlen(name) == want.n && memcmp(name, want.p, want.n) == 0;
}

/* The expected scheme name (either the wire token or the stable name) matches `s`. */
static inline int scheme_eq(aauth_scheme s, vb want) {
  if (!want.has) return s == AAUTH_SCHEME_NONE;
  if (s == AAUTH_SCHEME_LEGACY_JWKS && want.n == 4 && memcmp(want.p, "jwks", 4) == 0) return 1;
  return scheme_is(s, want);
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
  p.max_validity = c->max_validity;
  p.require_query = c->require_query != 0;
  if (c->require_content_digest_with_body) p.require_content_digest_with_body = true;
  return p;
}

/* The key source a vector describes, as the Rust harness builds it: the request's own key, a
 * raw key or JWK the host holds, or the documents it fetched (a JWKS without a metadata
 * document is one the configuration trusts). */
static inline aauth_key_source source_of(const struct vec_case *c) {
  aauth_key_source s;
  memset(&s, 0, sizeof s);
  switch (c->key_type) {
    case KEY_INLINE:
      s.kind = AAUTH_KEY_KIND_INLINE;
      break;
    case KEY_RAW:
      s.kind = AAUTH_KEY_KIND_RAW_KEY;
      s.key.data = c->raw_x;
      s.key.len = sizeof c->raw_x;
      break;
    case KEY_JWK:
      s.kind = AAUTH_KEY_KIND_JWK;
      s.key = slice_of(c->jwk);
      break;
    default: /* KEY_JWKS, KEY_JWT_ISSUER, KEY_ASSERTION */
      if (!c->jwks.has) {
        s.kind = AAUTH_KEY_KIND_INLINE; /* a jkt-jwt assertion carries its key */
      } else if (c->metadata.has) {
        s.kind = AAUTH_KEY_KIND_DOCUMENTS;
        s.jwks = slice_of(c->jwks);
        s.metadata = slice_of(c->metadata);
      } else {
        s.kind = AAUTH_KEY_KIND_TRUSTED_JWKS;
        s.jwks = slice_of(c->jwks);
      }
      break;
  }
  return s;
}

/* The revocation check of a vector (`policy.revoked`): `ctx` is the case. */
static inline bool vec_revoked(void *ctx, const uint8_t *iss, size_t iss_len, const uint8_t *jti,
                        size_t jti_len) {
  const struct vec_case *c = (const struct vec_case *)ctx;
  size_t i;
  for (i = 0; i < c->revoked_len; i++) {
    const struct vec_revoked *r = &c->revoked[i];
    if (r->iss.n == iss_len && memcmp(r->iss.p, iss, iss_len) == 0 && r->jti.n == jti_len &&
        memcmp(r->jti.p, jti, jti_len) == 0)
      return true;
  }
  return false;
}

/* Checks run between the phases (the plan, the signature base); returns 1 when they pass. */
typedef int (*after_parse_fn)(const struct vec_case *c, aauth_verifier *v, const aauth_plan *plan);

/* The host's part of the two-phase flow for a vector, on a verifier set up by the caller:
 * parse; for an assertion plan, resolve the cid (or report the miss); for a metadata plan with
 * documents, build the metadata URL and check the document (its error is the outcome); then
 * finish with the vector's key source. `*checks_ok` is cleared when `after` fails. */
static inline aauth_result two_phase(aauth_verifier *v, const struct vec_case *c,
                                     const aauth_request *request, const aauth_policy *policy,
                                     after_parse_fn after, int *checks_ok, aauth_identity *id) {
  aauth_plan plan;
  aauth_key_source src = source_of(c);
  aauth_result r;
  uint8_t buf[512];
  size_t n = 0;
  r = aauth_verifier_set_revocation(v, c->revoked_len ? vec_revoked : NULL, (void *)c);
  if (r != AAUTH_RESULT_OK) return r;
  r = aauth_verifier_parse(v, request, policy, c->now, &plan);
  if (r != AAUTH_RESULT_OK) return r;
  if (after != NULL && !after(c, v, &plan)) *checks_ok = 0;
  if (plan.fetch == AAUTH_FETCH_ASSERTION) {
    if (!c->assertion.has) return aauth_verifier_cache_miss(v);
    r = aauth_verifier_resolve_assertion(v, c->assertion.p, c->assertion.n, c->assertion_scheme, &plan);
    if (r != AAUTH_RESULT_OK) return r;
  }
  if (plan.fetch == AAUTH_FETCH_METADATA && src.kind == AAUTH_KEY_KIND_DOCUMENTS) {
    r = aauth_verifier_metadata_url(v, buf, sizeof buf, &n);
    if (r != AAUTH_RESULT_OK) return r;
    r = aauth_verifier_check_metadata(v, src.metadata.data, src.metadata.len, buf, sizeof buf, &n);
    if (r != AAUTH_RESULT_OK) return r;
  }
  return aauth_verifier_finish(v, &src, id);
}

#endif
