/* Runs every shared vector (tests/vectors/{signatures,tokens}.json, converted by
 * gen_vectors.py) through the C API twice: the two-phase flow (parse, report the requirement, "fetch" the documents, check
 * the metadata, finish) and the one-shot calls. Checks the outcome, the signature base, the
 * requirement and the identity. With -DCOUNT_ALLOCS, also asserts that the library performed
 * no heap allocation across all of it. */
#include "test_common.h"
#include "vectors.h"

static void report(const struct vec_case *c, const char *what, const char *detail) {
  fprintf(stderr, "FAIL %s/%s: %s%s%s\n", c->file, c->name, what, detail ? ": " : "",
          detail ? detail : "");
}

/* Compares an outcome with the expectation; returns 1 when it matches. */
static int outcome_ok(const struct vec_case *c, const char *flow, aauth_result r,
                      const aauth_identity *id) {
  char msg[256];
  if (c->expect_ok) {
    if (r != AAUTH_RESULT_OK) {
      snprintf(msg, sizeof msg, "want ok, got %s", aauth_result_name(r));
      report(c, flow, msg);
      return 0;
    }
    if (!slice_eq(id->label, c->e_label)) return report(c, flow, "label"), 0;
    if (c->e_scheme.has && !scheme_eq(id->scheme, c->e_scheme)) return report(c, flow, "scheme"), 0;
    if (c->e_thumbprint.has &&
        (strlen(id->thumbprint) != c->e_thumbprint.n ||
         memcmp(id->thumbprint, c->e_thumbprint.p, c->e_thumbprint.n) != 0))
      return report(c, flow, "thumbprint"), 0;
    if (!text_eq(&id->kid, c->e_kid)) return report(c, flow, "kid"), 0;
    if (c->has_created && (!id->has_created || id->created != c->created))
      return report(c, flow, "created"), 0;
    if (!text_eq(&id->token_type, c->t_typ)) return report(c, flow, "token typ"), 0;
    if (!text_eq(&id->issuer, c->t_iss)) return report(c, flow, "token iss"), 0;
    if (!text_eq(&id->subject, c->t_sub)) return report(c, flow, "token sub"), 0;
    return 1;
  }
  if (r == AAUTH_RESULT_OK) {
    snprintf(msg, sizeof msg, "verified, but want %s", c->expect_error);
    report(c, flow, msg);
    return 0;
  }
  if (c->expect_error[0] != '\0') {
    const char *tok = aauth_result_token(r);
    if (tok == NULL || strcmp(tok, c->expect_error) != 0) {
      snprintf(msg, sizeof msg, "want %s, got %s", c->expect_error, aauth_result_name(r));
      report(c, flow, msg);
      return 0;
    }
  }
  return 1;
}

static int requirement_ok(const struct vec_case *c, const aauth_key_requirement *req) {
  if (!c->has_requirement) return 1;
  if (c->r_scheme.has && !scheme_eq(req->scheme, c->r_scheme)) return report(c, "requirement", "scheme"), 0;
  if (!text_eq(&req->id, c->r_id)) return report(c, "requirement", "id"), 0;
  if (!text_eq(&req->dwk, c->r_dwk)) return report(c, "requirement", "dwk"), 0;
  if (!text_eq(&req->kid, c->r_kid)) return report(c, "requirement", "kid"), 0;
  if (!text_eq(&req->url, c->r_url)) return report(c, "requirement", "url"), 0;
  if (!text_eq(&req->jwt, c->r_jwt)) return report(c, "requirement", "jwt"), 0;
  return 1;
}

static uint8_t base_buf[64 * 1024];

/* The two-phase flow. */
static int run_two_phase(const struct vec_case *c, const aauth_request *request,
                         const aauth_policy *policy, aauth_token_cache *cache) {
  aauth_verifier v;
  aauth_key_requirement req;
  aauth_identity id;
  aauth_result r;
  int ok = 1;
  uint8_t uri[512];
  size_t n = 0;

  memset(&v, 0, sizeof v);
  memset(&id, 0, sizeof id);
  if (cache && aauth_verifier_set_token_cache(&v, cache) != AAUTH_RESULT_OK)
    return report(c, "two-phase", "attach cache"), 0;
  r = aauth_verifier_parse(&v, request, policy, c->now, &req);
  if (r != AAUTH_RESULT_OK) return outcome_ok(c, "two-phase parse", r, &id);
  ok &= requirement_ok(c, &req);
  if (c->e_base.has) {
    r = aauth_verifier_signature_base(&v, base_buf, sizeof base_buf, &n);
    if (r == AAUTH_RESULT_OK) {
      if (n != c->e_base.n || memcmp(base_buf, c->e_base.p, n) != 0) ok = 0, report(c, "base", "mismatch");
    } else if (c->expect_ok) {
      ok = 0, report(c, "base", aauth_result_name(r));
    }
  }
  switch (c->key_type) {
    case KEY_INLINE:
      r = aauth_verifier_finish_inline(&v, &id);
      break;
    case KEY_RAW:
      r = aauth_verifier_finish_raw_key(&v, c->raw_x, sizeof c->raw_x, &id);
      break;
    case KEY_JWK:
      r = aauth_verifier_finish_jwk(&v, c->jwk.p, c->jwk.n, &id);
      break;
    default: /* KEY_JWKS, KEY_JWT_ISSUER: the documents were "fetched" between the calls */
      if (c->metadata.has && req.needs_metadata) {
        r = aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, uri, sizeof uri, &n);
        if (r == AAUTH_RESULT_OK) r = aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, NULL, 0, &id);
      } else {
        r = aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, c->metadata.has ? c->metadata.p : NULL,
                                       c->metadata.n, &id);
      }
      break;
  }
  return outcome_ok(c, "two-phase", r, &id) && ok;
}

/* The one-shot calls. */
static int run_one_shot(const struct vec_case *c, const aauth_request *request,
                        const aauth_policy *policy, aauth_token_cache *cache) {
  aauth_verifier v;
  aauth_identity id;
  aauth_result r;
  memset(&v, 0, sizeof v);
  memset(&id, 0, sizeof id);
  if (cache && aauth_verifier_set_token_cache(&v, cache) != AAUTH_RESULT_OK)
    return report(c, "one-shot", "attach cache"), 0;
  switch (c->key_type) {
    case KEY_INLINE:
      r = aauth_verify_inline(&v, request, policy, c->now, &id);
      break;
    case KEY_RAW:
      r = aauth_verify_with_raw_key(&v, request, policy, c->now, c->raw_x, sizeof c->raw_x, &id);
      break;
    case KEY_JWK:
      r = aauth_verify_with_jwk(&v, request, policy, c->now, c->jwk.p, c->jwk.n, &id);
      break;
    default:
      r = aauth_verify_with_jwks(&v, request, policy, c->now, c->jwks.p, c->jwks.n,
                                 c->metadata.has ? c->metadata.p : NULL, c->metadata.n, &id);
      break;
  }
  return outcome_ok(c, "one-shot", r, &id);
}

int main(int argc, char **argv) {
  static aauth_header headers[AAUTH_MAX_HEADERS];
  static aauth_slice required[AAUTH_MAX_REQUIRED];
  /* One verified-token cache shared by every vector and round: tokens recorded in one round
   * are hits in the next, and every answer must stay the vector's. */
  static aauth_token_cache cache;
  size_t i, cached = 0;
  unsigned long passed = 0, failed = 0, rounds = 3, round;
  (void)argc;
  (void)argv;

  printf("aauth-verify %s (header %s), %lu vectors%s\n", aauth_verify_version(), AAUTH_VERIFY_VERSION,
         (unsigned long)VECTOR_COUNT, ALLOC_COUNTING ? ", counting allocations" : "");
  if (strcmp(aauth_verify_version(), AAUTH_VERIFY_VERSION) != 0) {
    fprintf(stderr, "library and header versions differ\n");
    return 1;
  }
  if (aauth_token_cache_init(&cache) != AAUTH_RESULT_OK) return 1;
  /* Several rounds: the verifier must give the same answers every time, without allocating. */
  for (round = 0; round < rounds; round++) {
    for (i = 0; i < VECTOR_COUNT; i++) {
      const struct vec_case *c = &VECTORS[i];
      aauth_request request;
      aauth_policy policy;
      int ok;
      if (c->headers_len > AAUTH_MAX_HEADERS) {
        report(c, "setup", "too many headers for the test");
        failed++;
        continue;
      }
      request = request_of(c, headers);
      policy = policy_of(c, required);
      alloc_counting = 1;
      ok = run_two_phase(c, &request, &policy, NULL);
      ok &= run_one_shot(c, &request, &policy, NULL);
      ok &= run_two_phase(c, &request, &policy, &cache);
      ok &= run_one_shot(c, &request, &policy, &cache);
      alloc_counting = 0;
      if (round == rounds - 1 && c->expect_ok && c->r_jwt.has) {
        size_t n = 0;
        if (aauth_token_cache_len(&cache, c->now, &n) != AAUTH_RESULT_OK || n == 0)
          ok = 0, report(c, "cache", "a verified token is not held");
        cached++;
      }
      if (round == 0) {
        if (ok) passed++;
        else failed++;
      } else if (!ok) {
        failed++;
      }
    }
  }
  printf("token vectors verified from the cache: %lu\n", (unsigned long)cached);
  if (cached < 10) failed++;
  if (ALLOC_COUNTING) {
    printf("heap allocations during %lu verifications: %lu\n",
           (unsigned long)(rounds * VECTOR_COUNT * 4), alloc_calls);
    if (alloc_calls != 0) failed++;
  }
  if (checks_failed) failed += checks_failed;
  printf("%lu passed, %lu failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
