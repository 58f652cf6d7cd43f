/* Runs every shared vector (tests/vectors/{signatures,tokens}.json, converted by
 * gen_vectors.py) through the C API four times: the two-phase flow (parse, check the plan and
 * the signature base, resolve a cached assertion or report the miss, build the metadata URL
 * and check the metadata, finish with the vector's key source) and the one-shot calls, each
 * without and with a verified-token cache; with the vector's revocation list as the
 * revocation check. Checks the outcome, the plan, the base, and for every ok vector all six
 * fields of expect.identity (scheme, agent, issuer, subject, kid, thumbprint) and the cache
 * grant, like core/tests/vectors.rs. With -DCOUNT_ALLOCS, also asserts that the library
 * performed no heap allocation across all of it. */
#include "test_common.h"
#include "vectors.h"

static unsigned long identities_checked, grants_checked;

static void report(const struct vec_case *c, const char *what, const char *detail) {
  fprintf(stderr, "FAIL %s/%s: %s%s%s\n", c->file, c->name, what, detail ? ": " : "",
          detail ? detail : "");
}

/* expect.identity, every field, and expect.cache. */
static int identity_ok(const struct vec_case *c, const char *flow, const aauth_identity *id) {
  if (!c->has_identity) return report(c, flow, "ok vector without expect.identity"), 0;
  if (!scheme_is(id->scheme, c->i_scheme)) return report(c, flow, "identity scheme"), 0;
  if (!text_is(&id->agent, c->i_agent)) return report(c, flow, "identity agent"), 0;
  if (!text_is(&id->issuer, c->i_issuer)) return report(c, flow, "identity issuer"), 0;
  if (!text_is(&id->subject, c->i_subject)) return report(c, flow, "identity subject"), 0;
  if (!text_is(&id->kid, c->i_kid)) return report(c, flow, "identity kid"), 0;
  if (!c->i_thumbprint.has || strlen(id->thumbprint) != c->i_thumbprint.n ||
      memcmp(id->thumbprint, c->i_thumbprint.p, c->i_thumbprint.n) != 0)
    return report(c, flow, "identity thumbprint"), 0;
  identities_checked++;
  if (c->has_cache != (int)id->cache_requested) return report(c, flow, "cache grant presence"), 0;
  if (c->has_cache) {
    if (!scheme_is(id->cache_scheme, c->c_scheme) || !text_is(&id->cache_jti, c->c_jti) ||
        id->cache_exp != c->c_exp || id->cache_assertion.data == NULL)
      return report(c, flow, "cache grant"), 0;
    grants_checked++;
  }
  return 1;
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
    if (!text_eq(&id->kid, c->e_kid)) return report(c, flow, "kid"), 0;
    if (c->has_created && (!id->has_created || id->created != c->created))
      return report(c, flow, "created"), 0;
    if (!text_eq(&id->token_type, c->t_typ)) return report(c, flow, "token typ"), 0;
    if (!text_eq(&id->issuer, c->t_iss)) return report(c, flow, "token iss"), 0;
    if (!text_eq(&id->subject, c->t_sub)) return report(c, flow, "token sub"), 0;
    return identity_ok(c, flow, id);
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

static uint8_t base_buf[64 * 1024];

/* The plan must name what the vector's requirement says (as core/tests/vectors.rs checks it),
 * and the signature base must be the vector's. */
static int after_parse(const struct vec_case *c, aauth_verifier *v, const aauth_plan *plan) {
  size_t n = 0;
  aauth_result r;
  if (c->has_requirement) {
    if (c->r_scheme.has && !scheme_eq(plan->scheme, c->r_scheme)) return report(c, "plan", "scheme"), 0;
    switch (plan->fetch) {
      case AAUTH_FETCH_METADATA:
        if (c->r_token) {
          if (!text_eq(&plan->origin, c->t_iss)) return report(c, "plan", "origin (token iss)"), 0;
        } else if (!text_eq(&plan->origin, c->r_id) || !text_eq(&plan->kid, c->r_kid)) {
          return report(c, "plan", "metadata origin/kid"), 0;
        }
        if (!text_eq(&plan->signer, c->r_token ? c->t_iss : c->r_id)) return report(c, "plan", "signer"), 0;
        break;
      case AAUTH_FETCH_JWKS:
        if (!text_eq(&plan->url, c->r_url) || !text_eq(&plan->kid, c->r_kid) ||
            !text_eq(&plan->signer, c->r_url))
          return report(c, "plan", "jwks url/kid"), 0;
        break;
      case AAUTH_FETCH_ASSERTION:
        if (!text_eq(&plan->cid, c->r_cid)) return report(c, "plan", "cid"), 0;
        break;
      default:
        break;
    }
  }
  if (c->e_base.has) {
    r = aauth_verifier_signature_base(v, base_buf, sizeof base_buf, &n);
    if (r == AAUTH_RESULT_OK) {
      if (n != c->e_base.n || memcmp(base_buf, c->e_base.p, n) != 0) return report(c, "base", "mismatch"), 0;
    } else if (c->expect_ok) {
      return report(c, "base", aauth_result_name(r)), 0;
    }
  }
  return 1;
}

/* The two-phase flow. */
static int run_two_phase(const struct vec_case *c, const aauth_request *request,
                         const aauth_policy *policy, aauth_token_cache *cache) {
  aauth_verifier v;
  aauth_identity id;
  aauth_result r;
  int checks = 1;
  memset(&v, 0, sizeof v);
  memset(&id, 0, sizeof id);
  if (cache && aauth_verifier_set_token_cache(&v, cache) != AAUTH_RESULT_OK)
    return report(c, "two-phase", "attach cache"), 0;
  r = two_phase(&v, c, request, policy, after_parse, &checks, &id);
  return outcome_ok(c, cache ? "two-phase, token cache" : "two-phase", r, &id) && checks;
}

/* The one-shot calls: `aauth_verify` with the vector's key source (`generic`), else the
 * shorthand for its kind. A cached signature needs its assertion resolved between the phases,
 * which one call cannot do: the library must refuse it. */
static int run_one_shot(const struct vec_case *c, const aauth_request *request,
                        const aauth_policy *policy, aauth_token_cache *cache, int generic) {
  const char *flow = generic ? "aauth_verify, token cache" : "one-shot shorthand";
  aauth_verifier v;
  aauth_identity id;
  aauth_key_source src = source_of(c);
  aauth_plan plan;
  aauth_result r;
  memset(&v, 0, sizeof v);
  memset(&id, 0, sizeof id);
  if (cache && aauth_verifier_set_token_cache(&v, cache) != AAUTH_RESULT_OK)
    return report(c, flow, "attach cache"), 0;
  if (aauth_verifier_set_revocation(&v, c->revoked_len ? vec_revoked : NULL, (void *)c) != AAUTH_RESULT_OK)
    return report(c, flow, "revocation"), 0;
  if (generic) {
    r = aauth_verify(&v, request, policy, c->now, &src, &id);
  } else {
    switch (src.kind) {
      case AAUTH_KEY_KIND_INLINE:
        r = aauth_verify_inline(&v, request, policy, c->now, &id);
        break;
      case AAUTH_KEY_KIND_RAW_KEY:
        r = aauth_verify_with_raw_key(&v, request, policy, c->now, src.key.data, src.key.len, &id);
        break;
      case AAUTH_KEY_KIND_JWK:
        r = aauth_verify_with_jwk(&v, request, policy, c->now, src.key.data, src.key.len, &id);
        break;
      case AAUTH_KEY_KIND_DOCUMENTS:
        r = aauth_verify_with_jwks(&v, request, policy, c->now, src.jwks.data, src.jwks.len,
                                   src.metadata.data, src.metadata.len, &id);
        break;
      default:
        r = aauth_verify_with_trusted_jwks(&v, request, policy, c->now, src.jwks.data, src.jwks.len, &id);
        break;
    }
  }
  if (aauth_verifier_plan(&v, &plan) == AAUTH_RESULT_OK && plan.fetch == AAUTH_FETCH_ASSERTION) {
    if (r != AAUTH_RESULT_INVALID_REQUEST) return report(c, flow, "a cached signature in one call"), 0;
    return 1;
  }
  return outcome_ok(c, flow, r, &id);
}

int main(int argc, char **argv) {
  static aauth_header headers[AAUTH_MAX_HEADERS];
  static aauth_slice required[AAUTH_MAX_REQUIRED];
  /* One verified-token cache shared by every vector and round: tokens recorded in one round
   * are hits in the next, and every answer must stay the vector's. */
  static aauth_token_cache cache;
  size_t i, cached = 0, ok_vectors = 0, ok_cached = 0;
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
  for (i = 0; i < VECTOR_COUNT; i++) {
    ok_vectors += VECTORS[i].expect_ok ? 1 : 0;
    ok_cached += VECTORS[i].expect_ok && VECTORS[i].key_type == KEY_ASSERTION ? 1 : 0;
  }
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
      ok &= run_one_shot(c, &request, &policy, NULL, 0);
      ok &= run_two_phase(c, &request, &policy, &cache);
      ok &= run_one_shot(c, &request, &policy, &cache, 1);
      alloc_counting = 0;
      if (round == rounds - 1 && c->expect_ok && c->r_token) {
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
  /* Every ok vector's identity, in the four flows of each round (the two one-shot flows do not
   * apply to cached signatures). */
  printf("identities checked (all six fields): %lu, for %lu ok vectors (%lu cached); cache grants: %lu\n",
         identities_checked, (unsigned long)ok_vectors, (unsigned long)ok_cached, grants_checked);
  if (identities_checked != rounds * (4 * ok_vectors - 2 * ok_cached)) failed++;
  if (grants_checked == 0) failed++;
  if (ALLOC_COUNTING) {
    printf("heap allocations during %lu verifications: %lu\n",
           (unsigned long)(rounds * VECTOR_COUNT * 4), alloc_calls);
    if (alloc_calls != 0) failed++;
  }
  if (checks_failed) failed += checks_failed;
  printf("%lu passed, %lu failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
