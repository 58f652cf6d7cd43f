/* Gateway calls (what the nginx module needs on top of the two phases): a JWKS decoded once
 * into keys a host keeps and finishes with (AAUTH_KEY_KIND_DECODED), phase 2 before the body
 * with the body fed in pieces, and egress admission. Every answer must be the core's: the
 * same as finishing with the documents. No allocation. C99. */
#include "test_common.h"
#include "vectors.h"

static const struct vec_case *find(const char *name) {
  size_t i;
  for (i = 0; i < VECTOR_COUNT; i++)
    if (strcmp(VECTORS[i].name, name) == 0) return &VECTORS[i];
  fprintf(stderr, "vector %s not found\n", name);
  checks_failed++;
  return &VECTORS[0];
}

static aauth_header hdrs[AAUTH_MAX_HEADERS + 1];
static aauth_slice reqd[AAUTH_MAX_REQUIRED];

static const char *check_name(aauth_verifier *v) {
  uint16_t c = 0;
  const char *n;
  CHECK_RESULT(aauth_verifier_last_check(v, &c), AAUTH_RESULT_OK);
  n = aauth_check_name(c);
  return n ? n : "(none)";
}

/* The decoded entry for `kid`, or NULL. */
static const aauth_jwks_key *entry_for(const aauth_jwks_key *keys, size_t n, const uint8_t *kid, size_t kid_len) {
  size_t i;
  for (i = 0; i < n; i++)
    if (keys[i].kid_len == kid_len && memcmp(keys[i].kid, kid, kid_len) == 0) return &keys[i];
  return NULL;
}

/* A JWKS decoded once: each kid gives what finishing with the document gives. */
static void test_decoded_keys(void) {
  const struct vec_case *c = find("jwks-uri-v4-strict");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd), compat;
  aauth_key_source docs = source_of(c), kept;
  static aauth_jwks_key keys[AAUTH_MAX_JWKS_KIDS];
  aauth_jwks_key forged;
  const aauth_jwks_key *e;
  aauth_verifier v;
  aauth_plan plan;
  aauth_identity a, b;
  size_t n = 99, kn = 0;
  uint8_t kid[256];
  static const char dup[] =
      "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"Ed25519\",\"kid\":\"k\","
      "\"x\":\"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs\"},"
      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"Ed25519\",\"kid\":\"k\","
      "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";

  CHECK_RESULT(aauth_jwks_decode(&p, c->jwks.p, c->jwks.n, keys, 0, &n), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 99);
  CHECK_RESULT(aauth_jwks_decode(&p, (const uint8_t *)"{\"keys\":7}", 10, keys, AAUTH_MAX_JWKS_KIDS, &n),
               AAUTH_RESULT_INVALID_KEY);
  CHECK(n == 99);
  CHECK_RESULT(aauth_jwks_decode(&p, c->jwks.p, c->jwks.n, keys, AAUTH_MAX_JWKS_KIDS, &n), AAUTH_RESULT_OK);
  CHECK(n >= 1);

  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_text_unescape(&plan.kid, kid, sizeof kid, &kn), AAUTH_RESULT_OK);
  e = entry_for(keys, n, kid, kn);
  CHECK(e != NULL && e->result == AAUTH_RESULT_OK && e->alg == AAUTH_KEY_ALG_ED25519);
  if (e == NULL) return;
  CHECK_RESULT(aauth_verifier_finish(&v, &docs, &a), AAUTH_RESULT_OK);
  memset(&kept, 0, sizeof kept);
  kept.kind = AAUTH_KEY_KIND_DECODED;
  CHECK_RESULT(aauth_verifier_finish(&v, &kept, &b), AAUTH_RESULT_NULL_PARAMETER);
  kept.decoded = e;
  CHECK_RESULT(aauth_verifier_finish(&v, &kept, &b), AAUTH_RESULT_OK);
  CHECK(strcmp(a.thumbprint, b.thumbprint) == 0 && a.scheme == b.scheme && memcmp(a.public_key, b.public_key, 32) == 0);

  /* Decoded under other key rules: refused as misuse. */
  CHECK_RESULT(aauth_policy_default(AAUTH_PROFILE_COMPAT, &compat), AAUTH_RESULT_OK);
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &compat, c->now, &plan), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_finish(&v, &kept, &b), AAUTH_RESULT_INVALID_PARAMETER);

  /* A point that is not on the curve: refused as when decoded from text. */
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
  forged = *e;
  memset(forged.x, 0, sizeof forged.x);
  kept.decoded = &forged;
  CHECK_RESULT(aauth_verifier_finish(&v, &kept, &b), AAUTH_RESULT_INVALID_KEY);
  forged = *e;
  forged.alg = 77;
  CHECK_RESULT(aauth_verifier_finish(&v, &kept, &b), AAUTH_RESULT_INVALID_PARAMETER);

  /* A kid with two different keys: the stored failure is select_jwk's, check included. */
  CHECK_RESULT(aauth_jwks_decode(&p, (const uint8_t *)dup, sizeof dup - 1, keys, AAUTH_MAX_JWKS_KIDS, &n),
               AAUTH_RESULT_OK);
  CHECK(n == 1 && keys[0].kid_len == 1 && keys[0].result == AAUTH_RESULT_INVALID_KEY);
  CHECK(strcmp(aauth_check_name(keys[0].check), "jwks_kid_duplicate") == 0);
  kept.decoded = &keys[0];
  CHECK_RESULT(aauth_verifier_finish(&v, &kept, &b), AAUTH_RESULT_INVALID_KEY);
  CHECK(strcmp(check_name(&v), "jwks_kid_duplicate") == 0);
}

/* Phase 2 before the body, the body fed in pieces; the tampered body fails only at the end. */
static void test_before_body(void) {
  const struct vec_case *ok = find("aauth-signing-020-hwk-post-digest");
  const struct vec_case *bad = find("aauth-signing-020-hwk-post-digest-body-tampered");
  const struct vec_case *get = find("hwk-get-a1");
  const struct vec_case *cs[2];
  aauth_key_source inl;
  aauth_verifier v;
  aauth_plan plan;
  aauth_identity id, whole;
  bool needs = false;
  size_t i, k;
  memset(&inl, 0, sizeof inl);
  cs[0] = ok;
  cs[1] = bad;
  for (k = 0; k < 2; k++) {
    const struct vec_case *c = cs[k];
    aauth_request r = request_of(c, hdrs);
    aauth_policy p = policy_of(c, reqd);
    aauth_slice body = r.body;
    r.body.data = NULL; /* not read yet */
    r.body.len = 0;
    memset(&v, 0, sizeof v);
    CHECK_RESULT(aauth_verifier_body_update(&v, body.data, 1), AAUTH_RESULT_INVALID_STATE);
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_body_finish(&v, &id), AAUTH_RESULT_INVALID_STATE);
    CHECK_RESULT(aauth_verifier_finish_before_body(&v, &inl, &needs), AAUTH_RESULT_OK);
    CHECK(needs);
    for (i = 0; i < body.len; i++) CHECK_RESULT(aauth_verifier_body_update(&v, body.data + i, 1), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_body_finish(&v, &id), k == 0 ? AAUTH_RESULT_OK : AAUTH_RESULT_INVALID_SIGNATURE);
    if (k == 1) CHECK(strcmp(check_name(&v), "digest_mismatch") == 0);
    CHECK_RESULT(aauth_verifier_body_finish(&v, &id), AAUTH_RESULT_INVALID_STATE);
    if (k == 0) {
      r.body = body;
      CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, ok->now, &plan), AAUTH_RESULT_OK);
      CHECK_RESULT(aauth_verifier_finish(&v, &inl, &whole), AAUTH_RESULT_OK);
      CHECK(strcmp(id.thumbprint, whole.thumbprint) == 0 && id.scheme == whole.scheme);
    }
  }
  /* The signed body resent empty: checked as empty, never "not supplied". */
  {
    aauth_request r = request_of(ok, hdrs);
    aauth_policy p = policy_of(ok, reqd);
    r.body.data = NULL;
    r.body.len = 0;
    memset(&v, 0, sizeof v);
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, ok->now, &plan), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_finish_before_body(&v, &inl, &needs), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_body_finish(&v, &id), AAUTH_RESULT_INVALID_SIGNATURE);
  }
  /* No digest covered: nothing needed, the identity comes at the end. */
  {
    aauth_request r = request_of(get, hdrs);
    aauth_policy p = policy_of(get, reqd);
    memset(&v, 0, sizeof v);
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, get->now, &plan), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_finish_before_body(&v, &inl, &needs), AAUTH_RESULT_OK);
    CHECK(!needs);
    CHECK_RESULT(aauth_verifier_body_update(&v, (const uint8_t *)"x", 1), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_body_finish(&v, &id), AAUTH_RESULT_OK);
    CHECK(strcmp(id.thumbprint, get->e_thumbprint.has ? (const char *)get->e_thumbprint.p : id.thumbprint) == 0);
    /* A forged signature is refused before the body. */
    r.path = cstr("/elsewhere");
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, get->now, &plan), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_finish_before_body(&v, &inl, &needs), AAUTH_RESULT_INVALID_SIGNATURE);
    CHECK_RESULT(aauth_verifier_body_finish(&v, &id), AAUTH_RESULT_INVALID_STATE);
  }
}

static void test_egress(void) {
  static const char *http[] = {"127.0.0.1:8000", "backend.test:*"};
  static const char *priv[] = {"internal.example"};
  aauth_slice hs[2], ps[1];
  aauth_destination d;
  bool listed = false;
  uint8_t buf[2200];
  size_t n = 0;
  static const uint8_t lo[4] = {127, 0, 0, 1}, pub4[4] = {93, 184, 216, 34}, ten[4] = {10, 1, 2, 3};
  static const uint8_t v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  hs[0] = cstr(http[0]);
  hs[1] = cstr(http[1]);
  ps[0] = cstr(priv[0]);

  CHECK_RESULT(aauth_egress_check_pattern((const uint8_t *)"*.example.com:443", 17), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_egress_check_pattern((const uint8_t *)"https://x", 9), AAUTH_RESULT_INVALID_KEY);

  CHECK_RESULT(aauth_egress_admit_url((const uint8_t *)"http://127.0.0.1:8000/.well-known/aauth-agent", 45, hs, 2,
                                      ps, 1, &d),
               AAUTH_RESULT_OK);
  CHECK(d.admitted == AAUTH_ADMITTED_LISTED && !d.https && d.host_kind == AAUTH_HOST_IPV4 && d.port == 8000 &&
        memcmp(d.address, lo, 4) == 0 && d.target.len == 24 && memcmp(d.target.data, "/.well-known/aauth-agent", 24) == 0);
  /* http to a host nobody listed; a loopback literal; a private literal. */
  CHECK_RESULT(aauth_egress_admit_url((const uint8_t *)"http://127.0.0.1:9000/x", 23, hs, 2, ps, 1, &d),
               AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_egress_admit_url((const uint8_t *)"https://127.0.0.1/x", 19, hs, 2, ps, 1, &d),
               AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_egress_admit_url((const uint8_t *)"https://agent.example/jwks", 26, hs, 2, ps, 1, &d),
               AAUTH_RESULT_OK);
  CHECK(d.admitted == AAUTH_ADMITTED_RESOLVE && d.https && d.host_kind == AAUTH_HOST_NAME && d.port == 443 &&
        d.host.len == 13 && d.authority.len == 13 && d.origin.len == 21);
  CHECK_RESULT(aauth_egress_admit_url((const uint8_t *)"https://internal.example/jwks", 29, hs, 2, ps, 1, &d),
               AAUTH_RESULT_OK);
  CHECK(d.admitted == AAUTH_ADMITTED_LISTED);
  CHECK_RESULT(aauth_egress_admit_url((const uint8_t *)"https://Agent.example/x", 23, hs, 2, ps, 1, &d),
               AAUTH_RESULT_INVALID_KEY);
  CHECK_RESULT(aauth_egress_admit_url((const uint8_t *)"https://a.example/../x", 22, hs, 2, ps, 1, &d),
               AAUTH_RESULT_INVALID_KEY);

  CHECK_RESULT(aauth_egress_admit_address(lo, 4), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_egress_admit_address(ten, 4), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_egress_admit_address(v6lo, 16), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_egress_admit_address(pub4, 4), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_egress_admit_address(pub4, 5), AAUTH_RESULT_INVALID_PARAMETER);

  CHECK_RESULT(aauth_egress_listed(hs, 2, (const uint8_t *)"http://backend.test:81/x", 24, &listed), AAUTH_RESULT_OK);
  CHECK(listed);
  CHECK_RESULT(aauth_egress_listed(hs, 2, (const uint8_t *)"http://other.test:81/x", 22, &listed), AAUTH_RESULT_OK);
  CHECK(!listed);

  CHECK_RESULT(aauth_egress_check_jwks_uri((const uint8_t *)"https://a.example/jwks", 22,
                                           (const uint8_t *)"https://a.example/.well-known/x", 31, NULL, 0),
               AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_egress_check_jwks_uri((const uint8_t *)"https://keys.example/jwks", 25,
                                           (const uint8_t *)"https://a.example/.well-known/x", 31, NULL, 0),
               AAUTH_RESULT_UNKNOWN_KEY);
  ps[0] = cstr("keys.example");
  CHECK_RESULT(aauth_egress_check_jwks_uri((const uint8_t *)"https://keys.example/jwks", 25,
                                           (const uint8_t *)"https://a.example/.well-known/x", 31, ps, 1),
               AAUTH_RESULT_OK);

  CHECK_RESULT(aauth_egress_metadata_url((const uint8_t *)"https://a.example", 17, (const uint8_t *)"aauth-agent", 11,
                                         buf, sizeof buf, &n),
               AAUTH_RESULT_OK);
  CHECK(n == 41 && memcmp(buf, "https://a.example/.well-known/aauth-agent", 41) == 0);
  CHECK_RESULT(aauth_egress_metadata_url((const uint8_t *)"https://a.example/x", 19, (const uint8_t *)"aauth-agent",
                                         11, buf, sizeof buf, &n),
               AAUTH_RESULT_INVALID_KEY);
  CHECK_RESULT(aauth_egress_metadata_url((const uint8_t *)"https://a.example", 17, (const uint8_t *)"../x", 4, buf,
                                         sizeof buf, &n),
               AAUTH_RESULT_INVALID_KEY);
  n = 5;
  CHECK_RESULT(aauth_egress_metadata_url((const uint8_t *)"https://a.example", 17, (const uint8_t *)"aauth-agent", 11,
                                         buf, 10, &n),
               AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 5);
}

/* A host's own replay store found the key: the core's replayed verdict is recorded. */
static void test_replayed(void) {
  aauth_verifier v;
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_replayed(&v), AAUTH_RESULT_INVALID_SIGNATURE);
  CHECK(strcmp(check_name(&v), "replayed") == 0);
  CHECK_RESULT(aauth_verifier_replayed(NULL), AAUTH_RESULT_NULL_PARAMETER);
}

int main(void) {
  alloc_counting = 1;
  test_decoded_keys();
  test_before_body();
  test_egress();
  test_replayed();
  alloc_counting = 0;
  if (ALLOC_COUNTING) {
    printf("heap allocations in the gateway tests: %lu\n", alloc_calls);
    CHECK(alloc_calls == 0);
  }
  printf("gateway tests: %s (%lu failed checks)\n", checks_failed ? "FAILED" : "ok", checks_failed);
  return checks_failed ? 1 : 0;
}
