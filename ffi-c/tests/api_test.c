/* API discipline tests: NULL parameters, too-small buffers, outputs untouched on failure,
 * state misuse, result names and tokens, Signature-Error rendering, text unescaping, the
 * two-phase flow with a refetched JWKS, and the allocation counter itself. C99. */
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

static aauth_header hdrs[AAUTH_MAX_HEADERS + 1];
static aauth_slice reqd[AAUTH_MAX_REQUIRED];

static void test_results(void) {
  CHECK(strcmp(aauth_result_token(AAUTH_RESULT_INVALID_SIGNATURE), "invalid_signature") == 0);
  CHECK(strcmp(aauth_result_token(AAUTH_RESULT_ISSUER_MISMATCH), "issuer_mismatch") == 0);
  CHECK(aauth_result_token(AAUTH_RESULT_OK) == NULL);
  CHECK(aauth_result_token(AAUTH_RESULT_NULL_PARAMETER) == NULL);
  CHECK(aauth_result_token(999) == NULL);
  CHECK(strcmp(aauth_result_name(AAUTH_RESULT_OK), "ok") == 0);
  CHECK(strcmp(aauth_result_name(AAUTH_RESULT_INSUFFICIENT_SIZE), "insufficient_size") == 0);
  CHECK(strcmp(aauth_result_name(12345), "unknown") == 0);
  CHECK(aauth_result_is_verification_error(AAUTH_RESULT_INVALID_REQUEST));
  CHECK(aauth_result_is_verification_error(AAUTH_RESULT_ISSUER_MISMATCH));
  CHECK(!aauth_result_is_verification_error(AAUTH_RESULT_OK));
  CHECK(!aauth_result_is_verification_error(AAUTH_RESULT_PANIC));
  /* Stable numbers. */
  CHECK(AAUTH_RESULT_OK == 0 && AAUTH_RESULT_INVALID_REQUEST == 1 && AAUTH_RESULT_ISSUER_MISMATCH == 12);
  CHECK(AAUTH_RESULT_NULL_PARAMETER == 1000 && AAUTH_RESULT_INSUFFICIENT_SIZE == 1001);
  CHECK(AAUTH_RESULT_PANIC == 1002 && AAUTH_RESULT_INVALID_PARAMETER == 1003);
  CHECK(AAUTH_RESULT_INVALID_STATE == 1004);
  CHECK(strcmp(aauth_verify_version(), AAUTH_VERIFY_VERSION) == 0);
  CHECK(sizeof(aauth_verifier) == AAUTH_VERIFIER_SIZE);
}

static void test_policy_and_render(void) {
  aauth_policy p;
  uint8_t buf[512];
  size_t n = 7;
  memset(&p, 0xAA, sizeof p);
  CHECK_RESULT(aauth_policy_default(2, &p), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK(all_bytes(&p, sizeof p, 0xAA));
  CHECK_RESULT(aauth_policy_default(AAUTH_PROFILE_STRICT, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_policy_default(AAUTH_PROFILE_STRICT, &p), AAUTH_RESULT_OK);
  CHECK(p.window == 60 && p.required_len == 4 && p.schemes == AAUTH_SCHEMES_ALL);
  CHECK(p.require_signature_key && !p.compat.alg_less_keys && p.label.data == NULL);
  CHECK(p.jwt_types_len == 1);

  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_SIGNATURE, &p, false, buf, sizeof buf, &n),
               AAUTH_RESULT_OK);
  CHECK(n == strlen("error=invalid_signature") && memcmp(buf, "error=invalid_signature", n) == 0);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_INPUT, &p, true, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  {
    const char *want =
        "error=invalid_input, required_input=(\"@method\" \"@authority\" \"@path\" \"signature-key\" "
        "\"authorization\")";
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
  }
  /* Too small: nothing written, n untouched. */
  n = 7;
  memset(buf, 0xAA, sizeof buf);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_INPUT, &p, false, buf, 10, &n),
               AAUTH_RESULT_INSUFFICIENT_SIZE);
  CHECK(n == 7);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_OK, &p, false, buf, sizeof buf, &n),
               AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_PANIC, &p, false, buf, sizeof buf, &n),
               AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, NULL, false, buf, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, &p, false, NULL, 5, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, &p, false, buf, sizeof buf, NULL),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_signature_error(AAUTH_RESULT_INVALID_KEY, &p, false, NULL, 0, &n),
               AAUTH_RESULT_INSUFFICIENT_SIZE);

  CHECK_RESULT(aauth_accept_signature_scheme(AAUTH_SCHEMES_ALL, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == strlen("hwk, jwks_uri, jwks, jwt, jkt-jwt, self-jwt") &&
        memcmp(buf, "hwk, jwks_uri, jwks, jwt, jkt-jwt, self-jwt", n) == 0);
  CHECK_RESULT(aauth_accept_signature_scheme(1u, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_accept_signature_scheme(AAUTH_SCHEMES_JWT, buf, 2, &n), AAUTH_RESULT_INSUFFICIENT_SIZE);

  /* Bad policies. */
  {
    const struct vec_case *c = find("hwk-get-a1");
    aauth_request r = request_of(c, hdrs);
    aauth_verifier v;
    aauth_key_requirement req;
    aauth_policy bad = p;
    aauth_slice not_utf8;
    static const uint8_t bytes[] = {0xff, 0xfe};
    memset(&v, 0, sizeof v);
    bad.schemes = 1u; /* bit 0 is no scheme */
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &req), AAUTH_RESULT_INVALID_PARAMETER);
    bad = p;
    bad.required = NULL; /* with required_len 4 */
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &req), AAUTH_RESULT_NULL_PARAMETER);
    bad = p;
    not_utf8.data = bytes;
    not_utf8.len = sizeof bytes;
    bad.required = &not_utf8;
    bad.required_len = 1;
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &req), AAUTH_RESULT_INVALID_PARAMETER);
    bad = p;
    bad.required = reqd;
    bad.required_len = AAUTH_MAX_REQUIRED + 1;
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &bad, c->now, &req), AAUTH_RESULT_INVALID_PARAMETER);
  }
}

static void test_text_unescape(void) {
  static const uint8_t sf[] = "a\\\"b\\\\c";   /* a\"b\\c -> a"b\c */
  static const uint8_t js[] = "https:\\/\\/x\\u0041"; /* https:\/\/x\u0041 -> https://xA */
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
  t.data = NULL;
  t.len = 0;
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
  aauth_verifier v;
  aauth_key_requirement req;
  aauth_identity id;
  uint8_t buf[512];
  size_t n = 42;

  memset(&v, 0, sizeof v);
  memset(&req, 0xAA, sizeof req);
  CHECK_RESULT(aauth_verifier_parse(NULL, &r, &p, c->now, &req), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_parse(&v, NULL, &p, c->now, &req), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, NULL, c->now, &req), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK(all_bytes(&req, sizeof req, 0xAA));
  CHECK_RESULT(aauth_verifier_init(NULL), AAUTH_RESULT_NULL_PARAMETER);

  /* Before a parse: invalid state, outputs untouched. */
  memset(&id, 0xAA, sizeof id);
  CHECK_RESULT(aauth_verifier_finish_inline(&v, &id), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, NULL, 0, &id), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_signature_base(&v, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK(all_bytes(&id, sizeof id, 0xAA) && n == 42);

  /* A request slice with data NULL and len > 0. */
  {
    aauth_request bad = r;
    bad.path.data = NULL;
    CHECK_RESULT(aauth_verifier_parse(&v, &bad, &p, c->now, &req), AAUTH_RESULT_NULL_PARAMETER);
    bad = r;
    bad.headers = NULL;
    CHECK_RESULT(aauth_verifier_parse(&v, &bad, &p, c->now, &req), AAUTH_RESULT_NULL_PARAMETER);
    bad = r;
    hdrs[0].value.data = NULL;
    CHECK_RESULT(aauth_verifier_parse(&v, &bad, &p, c->now, &req), AAUTH_RESULT_NULL_PARAMETER);
    r = request_of(c, hdrs);
  }

  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &req), AAUTH_RESULT_OK);
  CHECK(req.scheme == AAUTH_SCHEME_JWKS_URI && req.needs_metadata);
  CHECK_RESULT(aauth_verifier_check_metadata(NULL, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, NULL, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, NULL, sizeof buf, &n),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, NULL),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_inline(NULL, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_inline(&v, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_raw_key(&v, NULL, 32, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_raw_key(&v, c->raw_x, 31, &id), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_jwk(&v, NULL, 10, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_jwks(&v, NULL, 10, NULL, 0, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, NULL, 5, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, NULL, 0, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_signature_base(NULL, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_signature_base(&v, buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_detail(NULL, buf, sizeof buf, &n), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_detail(&v, buf, sizeof buf, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK(all_bytes(&id, sizeof id, 0xAA) && n == 42);

  /* One-shot calls. */
  CHECK_RESULT(aauth_verify_inline(NULL, &r, &p, c->now, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_inline(&v, NULL, &p, c->now, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_inline(&v, &r, NULL, c->now, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_inline(&v, &r, &p, c->now, NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_raw_key(&v, &r, &p, c->now, NULL, 32, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_jwk(&v, &r, &p, c->now, NULL, 3, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, c->now, NULL, 3, NULL, 0, &id), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, c->now, c->jwks.p, c->jwks.n, c->metadata.p, c->metadata.n, NULL),
               AAUTH_RESULT_NULL_PARAMETER);
  CHECK(all_bytes(&id, sizeof id, 0xAA));
  /* A garbage state is refused, not trusted. */
  memset(&v, 0x5A, sizeof v);
  CHECK_RESULT(aauth_verifier_finish_inline(&v, &id), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_finish_inline(&v, &id), AAUTH_RESULT_INVALID_STATE);
}

/* The flow a proxy runs: parse, fetch metadata, check it, fetch the JWKS (first a stale one
 * without the key), finish; then finish again after a "refetch". */
static void test_two_phase_refetch(void) {
  const struct vec_case *c = find("jwks-uri-v4-strict");
  static const uint8_t stale[] = "{\"keys\":[]}";
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_verifier v, moved;
  aauth_key_requirement req;
  aauth_identity id;
  uint8_t buf[512];
  char detail[128];
  size_t n = 0;

  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &req), AAUTH_RESULT_OK);
  CHECK(text_eq(&req.id, c->r_id) && text_eq(&req.dwk, c->r_dwk) && text_eq(&req.kid, c->r_kid));
  /* JWKS before metadata: unknown_key (the metadata binds id to the key set). */
  memset(&id, 0xAA, sizeof id);
  CHECK_RESULT(aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, NULL, 0, &id), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK(all_bytes(&id, sizeof id, 0xAA));
  CHECK_RESULT(aauth_verifier_detail(&v, (uint8_t *)detail, sizeof detail, &n), AAUTH_RESULT_OK);
  CHECK(n > 0);
  /* Too small for jwks_uri: nothing written, metadata not marked checked. */
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
  CHECK_RESULT(aauth_verifier_finish_jwks(&moved, stale, sizeof stale - 1, NULL, 0, &id), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_verifier_finish_jwks(&moved, c->jwks.p, c->jwks.n, NULL, 0, &id), AAUTH_RESULT_OK);
  CHECK(id.scheme == AAUTH_SCHEME_JWKS_URI && text_eq(&id.signer, c->r_id) && text_eq(&id.kid, c->r_kid));
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
}

/* A request with more header lines than AAUTH_MAX_HEADERS is rejected as invalid_request. */
static void test_too_many_headers(void) {
  const struct vec_case *c = find("hwk-get-a1");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_verifier v;
  aauth_key_requirement req;
  uint8_t buf[128];
  size_t i, n = 0;
  for (i = c->headers_len; i < AAUTH_MAX_HEADERS + 1; i++) {
    hdrs[i].name = cstr("x-filler");
    hdrs[i].value = cstr("1");
  }
  r.headers_len = AAUTH_MAX_HEADERS + 1;
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &req), AAUTH_RESULT_INVALID_REQUEST);
  CHECK_RESULT(aauth_verifier_detail(&v, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n > 0);
  r.headers_len = AAUTH_MAX_HEADERS;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &req), AAUTH_RESULT_OK);
  CHECK(req.scheme == AAUTH_SCHEME_HWK && req.has_inline_key);
}

/* A jwt (agent token) in two phases: the issuer is learned from the token. */
static void test_token_two_phase(void) {
  const struct vec_case *c = find("jwt-a3");
  aauth_request r = request_of(c, hdrs);
  aauth_policy p = policy_of(c, reqd);
  aauth_verifier v;
  aauth_key_requirement req;
  aauth_identity id;
  uint8_t buf[512];
  size_t n = 0;
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &req), AAUTH_RESULT_OK);
  CHECK(req.scheme == AAUTH_SCHEME_JWT && req.needs_metadata);
  CHECK(req.iss.data != NULL && req.dwk.data != NULL && req.kid.data != NULL && req.jwt.data != NULL);
  CHECK_RESULT(aauth_text_unescape(&req.iss, buf, sizeof buf, &n), AAUTH_RESULT_OK);
  CHECK(n == strlen("https://agent.example") && memcmp(buf, "https://agent.example", n) == 0);
  CHECK_RESULT(aauth_verifier_finish_inline(&v, &id), AAUTH_RESULT_UNKNOWN_KEY);
  CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
               AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, NULL, 0, &id), AAUTH_RESULT_OK);
  CHECK(id.scheme == AAUTH_SCHEME_JWT && text_eq(&id.subject, c->t_sub) && text_eq(&id.issuer, c->t_iss));
}

/* The verified-token cache: initialised before use, one record per token, every answer
 * unchanged, and a hit never vouches for a request the token's key did not sign. */
static void test_token_cache(void) {
  const struct vec_case *c = find("jwt-a3");
  const struct vec_case *bad = find("jwt-a3-body-mismatch");
  static aauth_token_cache cache, garbage;
  aauth_request r;
  aauth_policy p = policy_of(c, reqd);
  aauth_verifier v;
  aauth_key_requirement req;
  aauth_identity id;
  uint8_t buf[512];
  size_t n = 99;
  int round;

  memset(&garbage, 0x5A, sizeof garbage);
  memset(&v, 0, sizeof v);
  CHECK_RESULT(aauth_token_cache_init(NULL), AAUTH_RESULT_NULL_PARAMETER);
  CHECK_RESULT(aauth_verifier_set_token_cache(&v, &garbage), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_token_cache_len(&garbage, c->now, &n), AAUTH_RESULT_INVALID_STATE);
  CHECK(n == 99);
  CHECK_RESULT(aauth_token_cache_init(&cache), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_token_cache_len(&cache, c->now, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
  for (round = 0; round < 3; round++) {
    r = request_of(c, hdrs);
    CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_set_token_cache(&v, &cache), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &req), AAUTH_RESULT_OK);
    CHECK(req.scheme == AAUTH_SCHEME_JWT && text_eq(&req.iss, c->t_iss));
    CHECK_RESULT(aauth_verifier_check_metadata(&v, c->metadata.p, c->metadata.n, buf, sizeof buf, &n),
                 AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, NULL, 0, &id), AAUTH_RESULT_OK);
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
  /* Records end at the token's exp; init empties the cache; NULL detaches. */
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
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, c->now, &req), AAUTH_RESULT_OK); /* no lookup */
  CHECK_RESULT(aauth_verifier_finish_jwks(&v, c->jwks.p, c->jwks.n, c->metadata.p, c->metadata.n, &id),
               AAUTH_RESULT_INVALID_STATE);
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
  CHECK_RESULT(aauth_verify_with_jwks(&v, &r, &p, c->now, c->jwks.p, c->jwks.n, c->metadata.p,
                                      c->metadata.n, &id),
               AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_token_cache_len(&cache, c->now, &n), AAUTH_RESULT_OK);
  CHECK(n == 0);
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
  test_token_cache();
  alloc_counting = 1;
  test_results();
  test_policy_and_render();
  test_text_unescape();
  test_null_parameters();
  test_two_phase_refetch();
  test_too_many_headers();
  test_token_two_phase();
  alloc_counting = 0;
  if (ALLOC_COUNTING) {
    printf("heap allocations in the API tests: %lu\n", alloc_calls);
    CHECK(alloc_calls == 0);
  }
  printf("api tests: %s (%lu failed checks)\n", checks_failed ? "FAILED" : "ok", checks_failed);
  return checks_failed ? 1 : 0;
}
