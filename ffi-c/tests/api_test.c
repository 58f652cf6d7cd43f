/* API discipline tests: NULL parameters, too-small buffers, outputs untouched on failure,
 * state misuse, result and check names, Signature-Error and Problem Details rendering, text
 * unescaping, the two-phase flow with a refetched JWKS, the token cache, revocation, replay
 * protection, the cached scheme's round trip, and the allocation counter itself. C99. */
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

static int all_bytes(const void *p, size_t n, unsigned char b) {
  const unsigned char *q = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; i++)
    if (q[i] != b) return 0;
  return 1;
}

static int text_is_str(const aauth_text *t, const char *want) {
  vb w;
  w.p = (const uint8_t *)want;
  w.n = strlen(want);
  w.has = 1;
  return text_is(t, w);
}

static uint16_t last_check(aauth_verifier *v) {
  uint16_t c = 0xffff;
  CHECK_RESULT(aauth_verifier_last_check(v, &c), AAUTH_RESULT_OK);
  return c;
}

static const char *last_check_name(aauth_verifier *v) {
  const char *n = aauth_check_name(last_check(v));
  return n ? n : "(none)";
}

static int last_refetch(aauth_verifier *v) {
  bool r = false;
  CHECK_RESULT(aauth_verifier_last_refetch(v, &r), AAUTH_RESULT_OK);
  return r;
}

static aauth_header hdrs[AAUTH_MAX_HEADERS + 1];
static aauth_slice reqd[AAUTH_MAX_REQUIRED];

static void test_results(void) {
  CHECK(strcmp(aauth_result_token(AAUTH_RESULT_INVALID_SIGNATURE), "invalid_signature") == 0);
  CHECK(strcmp(aauth_result_token(AAUTH_RESULT_ISSUER_MISMATCH), "issuer_mismatch") == 0);
  CHECK(strcmp(aauth_result_token(AAUTH_RESULT_REVOKED_JWT), "revoked_jwt") == 0);
  CHECK(strcmp(aauth_result_token(AAUTH_RESULT_CACHE_MISS), "cache_miss") == 0);
  CHECK(aauth_result_token(AAUTH_RESULT_OK) == NULL);
  CHECK(aauth_result_token(AAUTH_RESULT_NULL_PARAMETER) == NULL);
  CHECK(aauth_result_token(15) == NULL && aauth_result_token(999) == NULL);
  CHECK(strcmp(aauth_result_name(AAUTH_RESULT_OK), "ok") == 0);
  CHECK(strcmp(aauth_result_name(AAUTH_RESULT_INSUFFICIENT_SIZE), "insufficient_size") == 0);
  CHECK(strcmp(aauth_result_name(12345), "unknown") == 0);
  CHECK(aauth_result_is_verification_error(AAUTH_RESULT_INVALID_REQUEST));
  CHECK(aauth_result_is_verification_error(AAUTH_RESULT_CACHE_MISS));
  CHECK(!aauth_result_is_verification_error(AAUTH_RESULT_OK));
  CHECK(!aauth_result_is_verification_error(AAUTH_RESULT_PANIC));
  CHECK(aauth_result_status(AAUTH_RESULT_INVALID_KEY, true) == 401);
  CHECK(aauth_result_status(AAUTH_RESULT_INVALID_KEY, false) == 400);
  CHECK(aauth_result_status(AAUTH_RESULT_CLOCK_SKEW, false) == 401);
  CHECK(aauth_result_status(AAUTH_RESULT_OK, true) == 0 && aauth_result_status(AAUTH_RESULT_PANIC, true) == 0);
  /* Stable numbers: the new codes at the end of the verification range. */
  CHECK(AAUTH_RESULT_OK == 0 && AAUTH_RESULT_INVALID_REQUEST == 1 && AAUTH_RESULT_ISSUER_MISMATCH == 12);
  CHECK(AAUTH_RESULT_REVOKED_JWT == 13 && AAUTH_RESULT_CACHE_MISS == 14);
  CHECK(AAUTH_RESULT_NULL_PARAMETER == 1000 && AAUTH_RESULT_INSUFFICIENT_SIZE == 1001);
  CHECK(AAUTH_RESULT_PANIC == 1002 && AAUTH_RESULT_INVALID_PARAMETER == 1003);
  CHECK(AAUTH_RESULT_INVALID_STATE == 1004);
  CHECK(AAUTH_SCHEME_SELF_JWT == 7 && AAUTH_SCHEME_CACHED == 8 && AAUTH_SCHEMES_CACHED == 1u << 8);
  CHECK((AAUTH_SCHEMES_ALL & AAUTH_SCHEMES_CACHED) == 0);
  CHECK(strcmp(aauth_verify_version(), AAUTH_VERIFY_VERSION) == 0);
  CHECK(sizeof(aauth_verifier) == AAUTH_VERIFIER_SIZE);
  CHECK(sizeof(aauth_token_cache) == AAUTH_TOKEN_CACHE_SIZE);
  CHECK(sizeof(aauth_replay_cache) == AAUTH_REPLAY_CACHE_SIZE);
  /* Checks: stable numbers, names and details. */
  CHECK(aauth_check_name(0) == NULL && aauth_check_detail(0) == NULL);
  CHECK(aauth_check_name(9999) == NULL && aauth_check_detail(9999) == NULL);
  CHECK(strcmp(aauth_check_name(240), "signature_invalid") == 0);
  CHECK(strcmp(aauth_check_detail(240), "the Ed25519 signature does not verify") == 0);
  CHECK(strcmp(aauth_check_name(1), "signature_input_missing") == 0);
}

static void test_policy_and_render(void) {
  aauth_policy p;
  aauth_request_facts none, all;
  uint8_t buf[512];
  size_t n = 7;
  memset(&none, 0, sizeof none);
  all.authorization = all.body = all.query = true;
  memset(&p, 0xAA, sizeof p);
  CHECK_RESULT(aauth_policy_default(2, &p), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK(all_bytes(&p, sizeof p, 0xAA));
  CHECK_RESULT(aauth_policy_default(AAUTH_PROFILE_STRICT, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_policy_default(AAUTH_PROFILE_STRICT, &p), AAUTH_RESULT_OK);
  CHECK(p.window == 60 && p.required_len == 4 && p.schemes == AAUTH_SCHEMES_ALL);
  CHECK(p.require_signature_key && !p.compat.alg_less_keys && p.label.data == NULL);
  CHECK(p.jwt_types_len == 1 && p.max_validity == 0 && !p.require_query);

  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_SIGNATURE, &p, &none, buf, sizeof buf, &n),
               AAUTH_RESULT_OK);
  CHECK(n == strlen("error=invalid_signature") && memcmp(buf, "error=invalid_signature", n) == 0);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_INPUT, &p, &all, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  {
    /* The strict policy requires authorization when present; content-digest and @query only
     * when the policy says so. */
    const char *want =
        "error=invalid_input, required_input=(\"@method\" \"@authority\" \"@path\" \"signature-key\" "
        "\"authorization\")";
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
  }
  {
    aauth_policy q = p;
    const char *want =
        "error=invalid_input, required_input=(\"@method\" \"@authority\" \"@path\" \"signature-key\" "
        "\"authorization\" \"content-digest\" \"@query\")";
    q.require_content_digest_with_body = true;
    q.require_query = true;
    CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_INPUT, &q, &all, buf, sizeof buf, &n), AAUTH_RESULT_OK);
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
  }
  /* Too small: n untouched. */
  n = 7;
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_INPUT, &p, &none, buf, 10, &n),
               AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 7);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_OK, &p, &none, buf, sizeof buf, &n),
               AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_PANIC, &p, &none, buf, sizeof buf, &n),
               AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, NULL, &none, buf, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, &p, NULL, buf, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, &p, &none, NULL, 5, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, &p, &none, buf, sizeof buf, NULL),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, &p, &none, NULL, 0, &n),
               AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 7);

  /* Problem Details: the check's detail, the status given. */
  CHECK_RESULT(aauth_problem_details(AAUTH_RESULT_UNKNOWN_KEY, 157, 401, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  {
    const char *want =
        "{\"type\":\"urn:ietf:params:sig-error:unknown_key\",\"title\":\"Unknown key\",\"status\":401,"
        "\"detail\":\"no JWKS key has the requested kid\",\"error\":\"unknown_key\"}";
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
  }
  n = 7;
  CHECK_RESULT(aauth_problem_details(AAUTH_RESULT_UNKNOWN_KEY, 0, 401, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_problem_details(AAUTH_RESULT_OK, 157, 401, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_problem_details(AAUTH_RESULT_UNKNOWN_KEY, 157, 401, buf, 20, &n), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK_RESULT(aauth_problem_details(AAUTH_RESULT_UNKNOWN_KEY, 157, 401, buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK(n == 7);

  CHECK_RESULT(aauth_accept_signature_scheme(AAUTH_SCHEMES_ALL, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == strlen("hwk, jwks_uri, jwks, jwt, jkt-jwt, self-jwt") &&
        memcmp(buf, "hwk, jwks_uri, jwks, jwt, jkt-jwt, self-jwt", n) == 0);
  CHECK_RESULT(aauth_accept_signature_scheme(AAUTH_SCHEMES_JWT | AAUTH_SCHEMES_CACHED, buf, sizeof buf, &n),
               AAUTH_RESULT_OK);
  CHECK(n == strlen("jwt, cached") && memcmp(buf, "jwt, cached", n) == 0);
  CHECK_RESULT(aauth_accept_signature_scheme(1u, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_accept_signature_scheme(1u << 9, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_accept_signature_scheme(AAUTH_SCHEMES_JWT, buf, 2, &n), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK_RESULT(aauth_accept_signature_alg(buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == 7 && memcmp(buf, "Ed25519", 7) == 0);
  CHECK_RESULT(aauth_accept_signature_alg(buf, 3, &n), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK_RESULT(aauth_accept_signature_alg(buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);

  /* The facts of a request, as the core reads them. */
  {
    const struct vec_case *c = find("hwk-get-a1");
    aauth_request r = request_of(c, hdrs);
    aauth_request_facts f;
    memset(&f, 0xAA, sizeof f);
    CHECK_RESULT(aauth_request_facts_of(NULL, &f), AAUTH_RESULT_NULL_PARAMETER);
    CHECK_RESULT(aauth_request_facts_of(&r, NULL), AAUTH_RESULT_NULL_PARAMETER);
    CHECK_RESULT(aauth_request_facts_of(&r, &f), AAUTH_RESULT_OK);
    CHECK(!f.authorization && !f.body && !f.query);
    r.query = cstr("a=1");
    r.body = cstr("x");
    CHECK_RESULT(aauth_request_facts_of(&r, &f), AAUTH_RESULT_OK);
    CHECK(!f.authorization && f.body && f.query);
  }

  /* Bad policies. */
  {
    const struct vec_case *c = find("hwk-get-a1");
    aauth_request r = request_of(c, hdrs);
    aauth_verifier v;
    aauth_plan plan;
    aauth_policy bad = p;
    aauth_slice not_utf8;
    static const uint8_t bytes[] = {0xff, 0xfe};
    memset(&v, 0, sizeof v);
    bad.schemes = 1u; /* bit 0 is no scheme */
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &plan), AAUTH_RESULT_INVALID_PARAMETER);
    bad.schemes = 1u << 9;
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &plan), AAUTH_RESULT_INVALID_PARAMETER);
    bad = p;
    bad.required = NULL; /* with required_len 4 */
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &plan), AAUTH_RESULT_NULL_PARAMETER);
    bad = p;
    not_utf8.data = bytes;
    not_utf8.len = sizeof bytes;
    bad.required = &not_utf8;
    bad.required_len = 1;
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &plan), AAUTH_RESULT_INVALID_PARAMETER);
    bad = p;
    bad.required = reqd;
    bad.required_len = AAUTH_MAX_REQUIRED + 1;
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &plan), AAUTH_RESULT_INVALID_PARAMETER);
    /* max_validity: the hwk vector has no expires, so a cap does not refuse it. */
    bad = p;
    bad.max_validity = 1;
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &plan), AAUTH_RESULT_OK);
  }
}

static void test_text_unescape(void) {
  static const uint8_t sf[] = "a\\\"b\\\\c";   /* a\"b\\c -> a"b\c */
  static const uint8_t js[] = "https:\\/\\/x\\u0041"; /* https:\/\/x\u0041 -> https://xA */
  static const uint8_t bad_sf[] = "a\\b";     /* \b is no sf-string escape */
  static const uint8_t bad_json[] = "a\\q";   /* nor \q a JSON one */
  aauth_text t;
  uint8_t buf[64];
  size_t n = 99;
  t.data = sf;
  t.len = sizeof sf - 1;
  t.escapes = AAUTH_ESCAPES_SF;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == 5 && memcmp(buf, "a\"b\\c", 5) == 0);
  n = 99;
  CHECK_RESULT(aauth_text_unescape(&t, buf, 4, &n), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 99);
  t.data = js;
  t.len = sizeof js - 1;
  t.escapes = AAUTH_ESCAPES_JSON;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == 10 && memcmp(buf, "https://xA", 10) == 0);
  t.escapes = AAUTH_ESCAPES_NONE;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == sizeof js - 1);
  /* An escapes value outside aauth_escapes, and bytes that are not valid for theirs. */
  n = 99;
  t.escapes = 3;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  t.escapes = 0xffffffffu;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  t.data = bad_sf;
  t.len = sizeof bad_sf - 1;
  t.escapes = AAUTH_ESCAPES_SF;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  t.data = bad_json;
  t.len = sizeof bad_json - 1;
  t.escapes = AAUTH_ESCAPES_JSON;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK(n == 99);
  t.data = NULL;
  t.len = 0;
  t.escapes = AAUTH_ESCAPES_NONE;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
  t.len = 3;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_text_unescape(NULL, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
}

/* Every pointer parameter of every verifier function, NULL in turn; outputs untouched. */
static void test_null_parameters(void) {
  const struct vec_case *c = find("jwks-uri-v4-strict");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_key_source docs = source_of(c), bad_src;
  aauth_verifier v;
  aauth_plan plan;
  aauth_identity id;
  aauth_issued issued;
  uint8_t buf[512], random[16];
  size_t n = 42;
  uint16_t check = 42;
  bool refetch = true;

  memset(&v, 0, sizeof v);
  memset(random, 0, sizeof random);
  memset(&plan, 0xAA, sizeof plan);
  CHECK_RESULT(aauth_verifier_parse(NULL, &r, &p, c->now, &plan), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_parse(&v, NULL, &p, c->now, &plan), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, NULL, c->now, &plan), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK(all_bytes(&plan, sizeof plan, 0xAA));
  CHECK_RESULT(aauth_verifier_init(NULL), AAUTH_RESULT_NULL_PARAMETER);

  /* Before a parse: invalid state, outputs untouched; no last failure. */
  memset(&id, 0xAA, sizeof id);
  memset(&issued, 0xAA, sizeof issued);
  CHECK_RESULT(aauth_verifier_plan(&v, &plan), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_finish(&v, &docs, &id), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_metadata_url(&v, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_signature_base(&v, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_cache_miss(&v), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, buf, 3, AAUTH_SCHEME_JWT, &plan), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 60, &issued, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK(all_bytes(&id, sizeof id, 0xAA) && all_bytes(&issued, sizeof issued, 0xAA) && n == 42);
  CHECK(all_bytes(&plan, sizeof plan, 0xAA));
  CHECK(last_check(&v) == 0 && !last_refetch(&v));

  /* A request slice with data NULL and len > 0. */
  {
    aauth_request bad = r;
    bad.path.data = NULL;
    CHECK_RESULT(aauth_verifier_parse(&v, &bad, &p, c->now, &plan), AAUTH_RESULT_NULL_PARAMETER);
    bad = r;
    bad.headers = NULL;
    CHECK_RESULT(aauth_verifier_parse(&v, &bad, &p, c->now, &plan), AAUTH_RESULT_NULL_PARAMETER);
    bad = r;
    hdrs[0].value.data = NULL;
    CHECK_RESULT(aauth_verifier_parse(&v, &bad, &p, c->now, &plan), AAUTH_RESULT_NULL_PARAMETER);
    r = request_of(c, hdrs);
  }

  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
  CHECK(plan.scheme == AAUTH_SCHEME_JWKS_URI && plan.fetch == AAUTH_FETCH_METADATA);
  CHECK_RESULT(aauth_verifier_plan(NULL, &plan), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_plan(&v, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_metadata_url(NULL, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_metadata_url(&v, NULL, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_metadata_url(&v, buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_check_metadata(NULL, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, NULL, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, NULL, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, NULL),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish(NULL, &docs, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish(&v, NULL, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish(&v, &docs, NULL), AAUTH_RESULT_NULL_PARAMETER);
  /* Bad key sources: an unknown kind, NULL documents, a raw key that is not 32 bytes. */
  bad_src = docs;
  bad_src.kind = 77;
  CHECK_RESULT(aauth_verifier_finish(&v, &bad_src, &id), AAUTH_RESULT_INVALID_PARAMETER);
  bad_src = docs;
  bad_src.jwks.data = NULL;
  CHECK_RESULT(aauth_verifier_finish(&v, &bad_src, &id), AAUTH_RESULT_NULL_PARAMETER);
  bad_src = docs;
  bad_src.metadata.data = NULL; /* with a length */
  CHECK_RESULT(aauth_verifier_finish(&v, &bad_src, &id), AAUTH_RESULT_NULL_PARAMETER);
  bad_src.kind = AAUTH_KEY_KIND_RAW_KEY;
  bad_src.key.data = c->raw_x;
  bad_src.key.len = 31;
  CHECK_RESULT(aauth_verifier_finish(&v, &bad_src, &id), AAUTH_RESULT_INVALID_PARAMETER);
  bad_src.key.data = NULL;
  CHECK_RESULT(aauth_verifier_finish(&v, &bad_src, &id), AAUTH_RESULT_NULL_PARAMETER);
  bad_src.kind = AAUTH_KEY_KIND_JWK;
  CHECK_RESULT(aauth_verifier_finish(&v, &bad_src, &id), AAUTH_RESULT_NULL_PARAMETER);
  bad_src.kind = AAUTH_KEY_KIND_TRUSTED_JWKS;
  bad_src.jwks.data = NULL;
  CHECK_RESULT(aauth_verifier_finish(&v, &bad_src, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_signature_base(NULL, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_signature_base(&v, buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_detail(NULL, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_detail(&v, buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_last_check(NULL, &check), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_last_check(&v, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_last_refetch(NULL, &refetch), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_last_refetch(&v, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_revocation(NULL, NULL, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, NULL, 3, AAUTH_SCHEME_JWT, &plan), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, buf, 3, AAUTH_SCHEME_JWT, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, buf, 3, 99, &plan), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_issue_cid(&v, NULL, 16, 60, &issued, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 15, 60, &issued, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 60, NULL, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 60, &issued, buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_cache_miss(NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK(all_bytes(&id, sizeof id, 0xAA) && all_bytes(&issued, sizeof issued, 0xAA) && n == 42);
  CHECK(check == 42 && refetch);

  /* Steps that do not apply to this plan (a metadata plan, no assertion, no cache grant). */
  CHECK_RESULT(aauth_verifier_cache_miss(&v), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, buf, 3, AAUTH_SCHEME_JWT, &plan), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_finish(&v, &docs, &id), AAUTH_RESULT_OK);
  CHECK(!id.cache_requested);
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 60, &issued, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK(all_bytes(&issued, sizeof issued, 0xAA) && n == 42);
  {
    const struct vec_case *h = find("hwk-get-a1");
    aauth_request hr = request_of(h, hdrs);
    aauth_policy hp = policy_of(h, reqd);
    CHECK_RESULT(aauth_verifier_parse(&v, &hr, &hp, h->now, &plan), AAUTH_RESULT_OK);
    CHECK(plan.fetch == AAUTH_FETCH_NOTHING && plan.has_inline_key);
    CHECK_RESULT(aauth_verifier_metadata_url(&v, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_STATE);
    CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
                 AAUTH_RESULT_INVALID_STATE);
    CHECK(n == 42);
    r = request_of(c, hdrs);
  }

  /* One-shot calls. */
  CHECK_RESULT(aauth_verify(NULL, &r, &p, c->now, &docs, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify(&v, &r, &p, c->now, NULL, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify(&v, &r, &p, c->now, &bad_src, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_inline(NULL, &r, &p, c->now, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_inline(&v, NULL, &p, c->now, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_inline(&v, &r, NULL, c->now, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_raw_key(&v, &r, &p, c->now, NULL, 32, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_raw_key(&v, &r, &p, c->now, c->raw_x, 33, &id), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verify_with_jwk(&v, &r, &p, c->now, NULL, 3, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, c->now, NULL, 3, NULL, 0, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, c->now, c->jwks.p, c->jwks.n, NULL, 4, &id),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, c->now, c->jwks.p, c->jwks.n, c->metadata.p, c->metadata.n, NULL),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_trusted_jwks(&v, &r, &p, c->now, NULL, 3, &id), AAUTH_RESULT_NULL_PARAMETER);
  memset(&id, 0xAA, sizeof id);
  /* A metadata plan without the metadata document: unknown_key; with a trusted JWKS: ok. */
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, c->now, c->jwks.p, c->jwks.n, NULL, 0, &id),
               AAUTH_RESULT_UNKNOWN_KEY);
  CHECK(strcmp(last_check_name(&v), "metadata_not_supplied") == 0 && !last_refetch(&v));
  CHECK(all_bytes(&id, sizeof id, 0xAA));
  CHECK_RESULT(aauth_verify_with_trusted_jwks(&v, &r, &p, c->now, c->jwks.p, c->jwks.n, &id), AAUTH_RESULT_OK);
  CHECK(last_check(&v) == 0 && text_eq(&id.agent, c->r_id) && text_eq(&id.issuer, c->r_id));
  /* A refusal the host decides is recorded like the library's own. */
  CHECK_RESULT(aauth_verifier_host_refusal(&v, AAUTH_RESULT_UNKNOWN_KEY), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK(strcmp(last_check_name(&v), "key_unavailable") == 0 && !last_refetch(&v));
  CHECK_RESULT(aauth_verifier_host_refusal(&v, AAUTH_RESULT_INVALID_SIGNATURE), AAUTH_RESULT_INVALID_SIGNATURE);
  CHECK(strcmp(last_check_name(&v), "host_refused") == 0);
  CHECK_RESULT(aauth_verifier_host_refusal(&v, AAUTH_RESULT_OK), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_host_refusal(&v, AAUTH_RESULT_PANIC), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_host_refusal(NULL, AAUTH_RESULT_UNKNOWN_KEY), AAUTH_RESULT_NULL_PARAMETER);
  CHECK(strcmp(last_check_name(&v), "host_refused") == 0);
  /* A garbage state is refused, not trusted. */
  memset(&v, 0x5A, sizeof v);
  CHECK_RESULT(aauth_verifier_finish(&v, &docs, &id), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_last_check(&v, &check), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_finish(&v, &docs, &id), AAUTH_RESULT_INVALID_STATE);
}

/* The flow a proxy runs: parse, build the metadata URL, fetch and check the metadata, fetch
 * the JWKS (first a stale one without the key: the core says a refetch may help), finish;
 * then finish again after the "refetch", on a verifier moved in between. */
static void test_two_phase_refetch(void) {
  const struct vec_case *c = find("jwks-uri-v4-strict");
  static const uint8_t stale[] = "{\"keys\":[]}";
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_key_source src = source_of(c), old;
  aauth_verifier v, moved;
  aauth_plan plan;
  aauth_identity id;
  uint8_t buf[512], url[512];
  char detail[128];
  size_t n = 0, un = 0;

  CHECK(src.kind == AAUTH_KEY_KIND_DOCUMENTS);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
  CHECK(plan.fetch == AAUTH_FETCH_METADATA && text_eq(&plan.origin, c->r_id) &&
        text_eq(&plan.dwk, c->r_dwk) && text_eq(&plan.kid, c->r_kid) && text_eq(&plan.signer, c->r_id));
  /* {origin}/.well-known/{dwk}; too small first. */
  un = 77;
  CHECK_RESULT(aauth_verifier_metadata_url(&v, url, 8, &un), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(un == 77);
  CHECK_RESULT(aauth_verifier_metadata_url(&v, url, sizeof url, &un), AAUTH_RESULT_OK);
  CHECK(un == c->r_id.n + strlen("/.well-known/") + c->r_dwk.n && memcmp(url, c->r_id.p, c->r_id.n) == 0 &&
        memcmp(url + c->r_id.n, "/.well-known/", 13) == 0 &&
        memcmp(url + c->r_id.n + 13, c->r_dwk.p, c->r_dwk.n) == 0);
  /* Documents without the metadata: unknown_key (the metadata binds id to the key set). */
  memset(&id, 0xAA, sizeof id);
  old = src;
  old.metadata.data = NULL;
  old.metadata.len = 0;
  CHECK_RESULT(aauth_verifier_finish(&v, &old, &id), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK(all_bytes(&id, sizeof id, 0xAA));
  CHECK(strcmp(last_check_name(&v), "metadata_not_supplied") == 0 && !last_refetch(&v));
  CHECK_RESULT(aauth_verifier_detail(&v, (uint8_t *)detail, sizeof detail, &n), AAUTH_RESULT_OK);
  CHECK(n == strlen(aauth_check_detail(last_check(&v))) && memcmp(detail, aauth_check_detail(last_check(&v)), n) == 0);
  /* Too small for jwks_uri: nothing reported. */
  n = 77;
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, 4, &n),
               AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 77);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_OK);
  CHECK(n > 8 && memcmp(buf, "http", 4) == 0);
  /* The verifier may move between calls. */
  memcpy(&moved, &v, sizeof v);
  memset(&v, 0, sizeof v);
  old = src;
  old.jwks.data = stale;
  old.jwks.len = sizeof stale - 1;
  CHECK_RESULT(aauth_verifier_finish(&moved, &old, &id), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK(strcmp(last_check_name(&moved), "kid_not_in_jwks") == 0 && last_refetch(&moved));
  CHECK_RESULT(aauth_verifier_finish(&moved, &src, &id), AAUTH_RESULT_OK);
  CHECK(last_check(&moved) == 0 && !last_refetch(&moved));
  CHECK(id.scheme == AAUTH_SCHEME_JWKS_URI && text_eq(&id.agent, c->r_id) && text_eq(&id.issuer, c->r_id) &&
        id.subject.data == NULL && text_eq(&id.kid, c->r_kid) && !id.has_token && !id.has_replay_key);
  CHECK(strlen(id.thumbprint) == AAUTH_THUMBPRINT_LEN);
  /* Base: too small, then exact. */
  n = 5;
  CHECK_RESULT(aauth_verifier_signature_base(&moved, buf, 10, &n), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 5);
  {
    static uint8_t base[8192];
    CHECK_RESULT(aauth_verifier_signature_base(&moved, base, sizeof base, &n), AAUTH_RESULT_OK);
    CHECK(!c->e_base.has || (n == c->e_base.n && memcmp(base, c->e_base.p, n) == 0));
  }
  /* A key from the host that does not verify: the core says a refetch may help. */
  {
    const struct vec_case *w = find("jwks-uri-v4-wrong-key");
    aauth_request wr = request_of(w, hdrs);
    aauth_policy wp = policy_of(w, reqd);
    aauth_key_source ws = source_of(w);
    CHECK_RESULT(aauth_verify(&v, &wr, &wp, w->now, &ws, &id), AAUTH_RESULT_INVALID_SIGNATURE);
    CHECK(strcmp(last_check_name(&v), "signature_invalid") == 0 && last_refetch(&v));
  }
}

/* A request with more header lines than AAUTH_MAX_HEADERS is rejected as invalid_request. */
static void test_too_many_headers(void) {
  const struct vec_case *c = find("hwk-get-a1");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_verifier v;
  aauth_plan plan;
  uint8_t buf[128];
  size_t i, n = 0;
  for (i = c->headers_len; i < AAUTH_MAX_HEADERS + 1; i++) {
    hdrs[i].name = cstr("x-filler");
    hdrs[i].value = cstr("1");
  }
  r.headers_len = AAUTH_MAX_HEADERS + 1;
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_INVALID_REQUEST);
  CHECK_RESULT(aauth_verifier_detail(&v, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n > 0 && strcmp(last_check_name(&v), "too_many_header_lines") == 0);
  r.headers_len = AAUTH_MAX_HEADERS;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
  CHECK(plan.scheme == AAUTH_SCHEME_HWK && plan.has_inline_key && last_check(&v) == 0);
}

/* A jwt (agent token) in two phases: the issuer is learned from the decoded token. */
static void test_token_two_phase(void) {
  const struct vec_case *c = find("jwt-a3");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_key_source src = source_of(c), inline_src;
  aauth_verifier v;
  aauth_plan plan;
  aauth_identity id;
  uint8_t buf[512];
  size_t n = 0;
  memset(&v, 0, sizeof v);
  memset(&inline_src, 0, sizeof inline_src);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
  CHECK(plan.scheme == AAUTH_SCHEME_JWT && plan.fetch == AAUTH_FETCH_METADATA);
  CHECK(text_is_str(&plan.origin, "https://agent.example") && plan.dwk.data != NULL && plan.kid.data != NULL);
  CHECK_RESULT(aauth_verifier_metadata_url(&v, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == strlen("https://agent.example/.well-known/aauth-agent.json") &&
        memcmp(buf, "https://agent.example/.well-known/aauth-agent.json", n) == 0);
  CHECK_RESULT(aauth_verifier_finish(&v, &inline_src, &id), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_finish(&v, &src, &id), AAUTH_RESULT_OK);
  CHECK(id.scheme == AAUTH_SCHEME_JWT && id.token_scheme == AAUTH_SCHEME_JWT && id.has_token);
  CHECK(text_eq(&id.subject, c->t_sub) && text_eq(&id.agent, c->t_sub) && text_eq(&id.issuer, c->t_iss));
  CHECK(text_eq(&id.token_type, c->t_typ) && !all_bytes(id.token_key, sizeof id.token_key, 0));
  /* The issuer's JWKS as a trust store holds it too. */
  src.kind = AAUTH_KEY_KIND_TRUSTED_JWKS;
  CHECK_RESULT(aauth_verifier_finish(&v, &src, &id), AAUTH_RESULT_OK);
}

/* The verified-token cache: initialised before use, one record per token, every answer
 * unchanged, and a hit never vouches for a request the token's key did not sign. */
static void test_token_cache(void) {
  const struct vec_case *c = find("jwt-a3");
  const struct vec_case *bad = find("jwt-a3-body-mismatch");
  static aauth_token_cache cache, garbage;
  aauth_request r;
  aauth_policy p = policy_of(c, reqd);
  aauth_key_source src = source_of(c);
  aauth_verifier v;
  aauth_plan plan;
  aauth_identity id;
  size_t n = 99;
  int round, checks = 1;

  memset(&garbage, 0x5A, sizeof garbage);
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_token_cache_init(NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_token_cache(&v, &garbage), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_token_cache_len(&garbage, c->now, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_token_cache_len(NULL, c->now, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK(n == 99);
  CHECK_RESULT(aauth_token_cache_init(&cache), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_token_cache_len(&cache, c->now, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
  for (round = 0; round < 3; round++) {
    r = request_of(c, hdrs);
    CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_set_token_cache(&v, &cache), AAUTH_RESULT_OK);
    CHECK_RESULT(two_phase(&v, c, &r, &p, NULL, &checks, &id), AAUTH_RESULT_OK);
    CHECK(id.scheme == AAUTH_SCHEME_JWT && text_eq(&id.subject, c->t_sub) && text_eq(&id.issuer, c->t_iss));
    CHECK_RESULT(aauth_token_cache_len(&cache, c->now, &n), AAUTH_RESULT_OK);
    CHECK(n == 1);
  }
  /* The same token on a request whose body does not match: still invalid_signature. */
  r = request_of(bad, hdrs);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_set_token_cache(&v, &cache), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, bad->now, bad->jwks.p, bad->jwks.n, bad->metadata.p,
                                      bad->metadata.n, &id),
               AAUTH_RESULT_INVALID_SIGNATURE);
  /* Records end at the token's exp; init empties the cache. */
  CHECK_RESULT(aauth_token_cache_len(&cache, INT64_MAX, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
  CHECK_RESULT(aauth_token_cache_init(&cache), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_token_cache_len(&cache, c->now, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
  /* Memory reused while attached: the verifier notices (the tag is gone). */
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_set_token_cache(&v, &cache), AAUTH_RESULT_OK);
  memset(&cache, 0, sizeof cache);
  r = request_of(c, hdrs);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_token_cache_init(&cache), AAUTH_RESULT_OK);
  /* A cache overlapping its verifier is refused. */
  {
    static union {
      aauth_verifier v;
      aauth_token_cache c;
    } both;
    CHECK_RESULT(aauth_token_cache_init(&both.c), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_set_token_cache(&both.v, &both.c), AAUTH_RESULT_INVALID_PARAMETER);
  }
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_set_token_cache(&v, NULL), AAUTH_RESULT_OK);
  r = request_of(c, hdrs);
  CHECK_RESULT(aauth_verify(&v, &r, &p, c->now, &src, &id), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_token_cache_len(&cache, c->now, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
}

/* What the revocation callback saw. */
struct seen {
  unsigned calls;
  char iss[64], jti[64];
  bool answer;
};

static bool record_revoked(void *ctx, const uint8_t *iss, size_t iss_len, const uint8_t *jti, size_t jti_len) {
  struct seen *s = (struct seen *)ctx;
  s->calls++;
  if (iss_len < sizeof s->iss && jti_len < sizeof s->jti) {
    memcpy(s->iss, iss, iss_len);
    s->iss[iss_len] = '\0';
    memcpy(s->jti, jti, jti_len);
    s->jti[jti_len] = '\0';
  }
  return s->answer;
}

/* Revocation: the callback gets the token's unescaped iss and jti after its JWS verified; true
 * is revoked_jwt (never invalid_jwt); it stays set across parses until init. */
static void test_revocation(void) {
  const struct vec_case *c = find("jwt-a3-revoked");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_key_source src = source_of(c);
  aauth_verifier v;
  aauth_identity id;
  struct seen seen;
  memset(&seen, 0, sizeof seen);
  memset(&v, 0, sizeof v);
  seen.answer = true;
  CHECK_RESULT(aauth_verifier_set_revocation(&v, record_revoked, &seen), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verify(&v, &r, &p, c->now, &src, &id), AAUTH_RESULT_REVOKED_JWT);
  CHECK(seen.calls == 1 && strcmp(seen.iss, "https://agent.example") == 0 && strcmp(seen.jti, "at-1") == 0);
  CHECK(strcmp(last_check_name(&v), "revoked") == 0 && !last_refetch(&v));
  seen.answer = false;
  CHECK_RESULT(aauth_verify(&v, &r, &p, c->now, &src, &id), AAUTH_RESULT_OK);
  CHECK(seen.calls == 2);
  CHECK_RESULT(aauth_verifier_set_revocation(&v, NULL, NULL), AAUTH_RESULT_OK);
  seen.answer = true;
  CHECK_RESULT(aauth_verify(&v, &r, &p, c->now, &src, &id), AAUTH_RESULT_OK);
  CHECK(seen.calls == 2);
  CHECK_RESULT(aauth_verifier_set_revocation(&v, record_revoked, &seen), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verify(&v, &r, &p, c->now, &src, &id), AAUTH_RESULT_OK);
  CHECK(seen.calls == 2);
  /* An hwk request has no token: never asked. */
  {
    const struct vec_case *h = find("hwk-get-a1");
    aauth_request hr = request_of(h, hdrs);
    aauth_policy hp = policy_of(h, reqd);
    CHECK_RESULT(aauth_verifier_set_revocation(&v, record_revoked, &seen), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verify_inline(&v, &hr, &hp, h->now, &id), AAUTH_RESULT_OK);
    CHECK(seen.calls == 2);
  }
}

/* Replay: the key for a host's store, and the fixed-size store. */
static void test_replay(void) {
  const struct vec_case *c = find("hwk-get-a1");
  static aauth_replay_cache store, garbage;
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_verifier v;
  aauth_identity id, first;
  size_t n = 99;
  memset(&v, 0, sizeof v);
  memset(&garbage, 0x5A, sizeof garbage);
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, &id), AAUTH_RESULT_OK);
  CHECK(!id.has_replay_key && id.replay_until == 0);
  /* The key only: the same request gives the same key, every time. */
  CHECK_RESULT(aauth_verifier_set_replay(&v, AAUTH_REPLAY_KEY, NULL), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, &first), AAUTH_RESULT_OK);
  CHECK(first.has_replay_key && strlen(first.replay_key_text) == AAUTH_THUMBPRINT_LEN);
  CHECK(first.replay_until == c->created + 60 && !all_bytes(first.replay_key, 32, 0));
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, &id), AAUTH_RESULT_OK);
  CHECK(memcmp(id.replay_key, first.replay_key, 32) == 0);
  /* Bad arguments. */
  CHECK_RESULT(aauth_replay_cache_init(NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_replay(NULL, AAUTH_REPLAY_OFF, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_replay(&v, 7, NULL), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_replay(&v, AAUTH_REPLAY_STORE, NULL), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_replay(&v, AAUTH_REPLAY_KEY, &store), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_replay(&v, AAUTH_REPLAY_STORE, &garbage), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_replay_cache_len(&garbage, c->now, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK(n == 99);
  /* The store: the first request passes, the same one again is a replay until it is stale. */
  CHECK_RESULT(aauth_replay_cache_init(&store), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_set_replay(&v, AAUTH_REPLAY_STORE, &store), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, &id), AAUTH_RESULT_OK);
  CHECK(id.has_replay_key && memcmp(id.replay_key, first.replay_key, 32) == 0);
  CHECK_RESULT(aauth_replay_cache_len(&store, c->now, &n), AAUTH_RESULT_OK);
  CHECK(n == 1);
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, &id), AAUTH_RESULT_INVALID_SIGNATURE);
  CHECK(strcmp(last_check_name(&v), "replayed") == 0);
  CHECK_RESULT(aauth_replay_cache_len(&store, c->created + 61, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
  /* Memory reused while attached is noticed; overlap is refused. */
  memset(&store, 0, sizeof store);
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, &id), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_replay_cache_init(&store), AAUTH_RESULT_OK);
  {
    static union {
      aauth_verifier v;
      aauth_replay_cache c;
    } both;
    CHECK_RESULT(aauth_replay_cache_init(&both.c), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_set_replay(&both.v, AAUTH_REPLAY_STORE, &both.c), AAUTH_RESULT_INVALID_PARAMETER);
  }
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK); /* replay off again */
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, &id), AAUTH_RESULT_OK);
  CHECK(!id.has_replay_key);
}

/* The cached scheme end to end: a jkt-jwt presented with ;cache gets an identifier, the host
 * stores the assertion under it, and the next request (`cached;cid=…`) resolves it; a miss is
 * cache_miss, and a resolved assertion that fails is its own error, never cache_miss. */
static void test_cached_scheme(void) {
  const struct vec_case *grant = find("jkt-jwt-jti-with-cache");
  const struct vec_case *hit = find("cached-jkt-jwt-hit");
  const struct vec_case *miss = find("cached-miss");
  const struct vec_case *expired = find("cached-resolved-but-expired");
  static uint8_t stored[8192];
  size_t stored_len = 0;
  uint32_t stored_scheme;
  aauth_request r = request_of(grant, hdrs);
  aauth_policy p = policy_of(grant, reqd);
  aauth_key_source inline_src;
  aauth_verifier v;
  aauth_plan plan;
  aauth_identity id;
  aauth_issued issued;
  uint8_t random[16], header[512];
  size_t hn = 0;
  char want[256];
  memset(&v, 0, sizeof v);
  memset(&inline_src, 0, sizeof inline_src);
  memset(random, 0xAB, sizeof random);

  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, grant->now, &id), AAUTH_RESULT_OK);
  CHECK(id.cache_requested && id.cache_scheme == AAUTH_SCHEME_JKT_JWT && text_is_str(&id.cache_jti, "j-1"));
  CHECK(id.cache_exp == grant->c_exp && id.cache_assertion.len < sizeof stored);
  memcpy(stored, id.cache_assertion.data, id.cache_assertion.len);
  stored_len = id.cache_assertion.len;
  stored_scheme = id.cache_scheme;
  /* Too small for the header: nothing reported. */
  memset(&issued, 0xAA, sizeof issued);
  hn = 3;
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 3600, &issued, header, 10, &hn), AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(hn == 3 && all_bytes(&issued, sizeof issued, 0xAA));
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 3600, &issued, header, sizeof header, &hn), AAUTH_RESULT_OK);
  CHECK(strcmp(issued.cid, "q6urq6urq6urq6urq6urqw") == 0 && strlen(issued.cid) == AAUTH_CID_LEN);
  CHECK(issued.expires == grant->now + 3600 && issued.expires <= id.cache_exp);
  snprintf(want, sizeof want, "sig=\"%s\";jti=\"j-1\";expires=%lld", issued.cid, (long long)issued.expires);
  CHECK(hn == strlen(want) && memcmp(header, want, hn) == 0);
  /* Capped at the token's exp. */
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 10u * 24 * 3600, &issued, header, sizeof header, &hn),
               AAUTH_RESULT_OK);
  CHECK(issued.expires == id.cache_exp);

  /* The next request names the identifier; the host resolves it to what it stored. */
  r = request_of(hit, hdrs);
  p = policy_of(hit, reqd);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, hit->now, &plan), AAUTH_RESULT_OK);
  CHECK(plan.fetch == AAUTH_FETCH_ASSERTION && plan.scheme == AAUTH_SCHEME_CACHED && text_is_str(&plan.cid, issued.cid));
  CHECK_RESULT(aauth_verifier_finish(&v, &inline_src, &id), AAUTH_RESULT_INVALID_REQUEST); /* not resolved */
  CHECK(strcmp(last_check_name(&v), "no_assertion") == 0);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, stored, stored_len, 0, &plan), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, stored, stored_len, stored_scheme, &plan), AAUTH_RESULT_OK);
  CHECK(plan.fetch == AAUTH_FETCH_NOTHING && plan.scheme == AAUTH_SCHEME_CACHED);
  CHECK_RESULT(aauth_verifier_plan(&v, &plan), AAUTH_RESULT_OK);
  CHECK(plan.fetch == AAUTH_FETCH_NOTHING);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, stored, stored_len, stored_scheme, &plan), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_finish(&v, &inline_src, &id), AAUTH_RESULT_OK);
  CHECK(id.scheme == AAUTH_SCHEME_CACHED && id.token_scheme == AAUTH_SCHEME_JKT_JWT && !id.cache_requested);
  CHECK(scheme_is(id.scheme, hit->i_scheme) && text_is(&id.agent, hit->i_agent) && text_is(&id.kid, hit->i_kid));
  /* A verified cached request is no new grant. */
  CHECK_RESULT(aauth_verifier_issue_cid(&v, random, 16, 60, &issued, header, sizeof header, &hn), AAUTH_RESULT_INVALID_STATE);

  /* A miss, reported by the host. */
  r = request_of(miss, hdrs);
  p = policy_of(miss, reqd);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, miss->now, &plan), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_cache_miss(&v), AAUTH_RESULT_CACHE_MISS);
  CHECK(strcmp(last_check_name(&v), "cache_missed") == 0);
  CHECK(aauth_result_status(AAUTH_RESULT_CACHE_MISS, false) == 401);
  /* Resolved, then expired: expired_jwt, not cache_miss. */
  r = request_of(expired, hdrs);
  p = policy_of(expired, reqd);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, expired->now, &plan), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_resolve_assertion(&v, expired->assertion.p, expired->assertion.n,
                                                expired->assertion_scheme, &plan),
               AAUTH_RESULT_EXPIRED_JWT);
  CHECK(last_check(&v) != 0 && strcmp(last_check_name(&v), "cache_missed") != 0);
}

/* A caller that changes the request between the phases (against the contract) gets an error
 * from the thaw, never a dangling view: the kept positions are checked. */
static void test_request_changed_between_phases(void) {
  const struct vec_case *c = find("jwt-a3");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_key_source src = source_of(c);
  aauth_verifier v;
  aauth_plan plan;
  aauth_identity id;
  size_t i;
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &plan), AAUTH_RESULT_OK);
  for (i = 0; i < c->headers_len; i++) hdrs[i].value.len = 1;
  memset(&id, 0xAA, sizeof id);
  CHECK(aauth_result_is_verification_error(aauth_verifier_finish(&v, &src, &id)));
  CHECK(all_bytes(&id, sizeof id, 0xAA));
  r = request_of(c, hdrs);
  CHECK_RESULT(aauth_verifier_finish(&v, &src, &id), AAUTH_RESULT_OK);
}

static void test_alloc_counter_works(void) {
#ifdef COUNT_ALLOCS
  void *volatile p;
  unsigned long before = alloc_calls;
  alloc_counting = 1;
  p = malloc(16);
  alloc_counting = 0;
  free(p);
  CHECK(alloc_calls == before + 1);
  alloc_calls = before;
#endif
}

int main(void) {
  test_alloc_counter_works();
  alloc_counting = 1;
  test_token_cache();
  test_results();
  test_policy_and_render();
  test_text_unescape();
  test_null_parameters();
  test_two_phase_refetch();
  test_too_many_headers();
  test_token_two_phase();
  test_revocation();
  test_replay();
  test_cached_scheme();
  test_request_changed_between_phases();
  alloc_counting = 0;
  if (ALLOC_COUNTING) {
    printf("heap allocations in the API tests: %lu\n", alloc_calls);
    CHECK(alloc_calls == 0);
  }
  printf("api tests: %s (%lu failed checks)\n", checks_failed ? "FAILED" : "ok", checks_failed);
  return checks_failed ? 1 : 0;
}
