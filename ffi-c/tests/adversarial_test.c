/* The C API against a hostile or careless caller (issue 12, "an adversarial test module per
 * surface: the C API"). Each test names what it pins. Run by `make test-c`, and under valgrind
 * by `make test-c VALGRIND=1` (and `make test`): every case must return a result, never read
 * or write outside what it was given, and allocate nothing. C99. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "test_common.h"
#include <stddef.h>

static aauth_slice cs(const char *t) {
  aauth_slice v;
  v.data = (const uint8_t *)t;
  v.len = strlen(t);
  return v;
}

#define SK "sig=hwk;kty=\"OKP\";crv=\"Ed25519\";x=\"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs\";alg=\"Ed25519\""
#define SI "sig=(\"@method\" \"@authority\" \"@path\" \"signature-key\");created=1730217600"
#define SIG "sig=:puQwGqlektSkNVskiaY9MZJcXFRWrc2T8sO9WBJ7tL9i9u9cWwbtDPRe9FzOnViBwwFq1FUQ/a0WZnuiWwHkCw==:"
#define NOW 1730217600

/* The RFC 9421 B.1.4 key signing an hwk GET (set A1 of tests/vectors). */
static aauth_header a1_headers[3];
static aauth_request a1(void) {
  aauth_request r;
  a1_headers[0].name = cs("Signature-Key");
  a1_headers[0].value = cs(SK);
  a1_headers[1].name = cs("Signature-Input");
  a1_headers[1].value = cs(SI);
  a1_headers[2].name = cs("Signature");
  a1_headers[2].value = cs(SIG);
  memset(&r, 0, sizeof r);
  r.method = cs("GET");
  r.scheme = cs("https");
  r.authority = cs("resource.example");
  r.path = cs("/api/data");
  r.headers = a1_headers;
  r.headers_len = 3;
  return r;
}

/* Memory that was never initialised by aauth_verifier_init: random bytes are refused with
 * INVALID_STATE by every call that reads a verifier, and nothing is written through it;
 * zeroed memory is a fresh verifier (the documented contract), which has nothing to finish. */
static void test_uninitialised_verifier(void) {
  aauth_request r = a1();
  aauth_policy p;
  aauth_plan plan;
  aauth_identity id;
  aauth_key_source inl;
  uint8_t buf[256];
  size_t n;
  uint16_t check;
  int fill;
  aauth_verifier *v = (aauth_verifier *)malloc(sizeof *v);
  CHECK(v != NULL);
  if (v == NULL) return;
  memset(&inl, 0, sizeof inl);
  inl.kind = AAUTH_KEY_KIND_INLINE;
  aauth_policy_default(AAUTH_PROFILE_STRICT, &p);
  for (fill = 1; fill < 3; fill++) {
    if (fill == 1) memset(v, 0xA5, sizeof *v);
    if (fill == 2) {
      size_t i;
      for (i = 0; i < sizeof *v; i++) ((uint8_t *)v)[i] = (uint8_t)(rand() | 1);
    }
    n = 7;
    check = 7;
    CHECK_RESULT(aauth_verifier_parse(v, &r, &p, NOW, &plan), AAUTH_RESULT_INVALID_STATE);
    CHECK_RESULT(aauth_verifier_finish(v, &inl, &id), AAUTH_RESULT_INVALID_STATE);
    CHECK_RESULT(aauth_verifier_plan(v, &plan), AAUTH_RESULT_INVALID_STATE);
    CHECK_RESULT(aauth_verifier_metadata_url(v, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_STATE);
    CHECK_RESULT(aauth_verifier_last_check(v, &check), AAUTH_RESULT_INVALID_STATE);
    CHECK(n == 7 && check == 7);
  }
  memset(v, 0, sizeof *v);
  check = 7;
  CHECK_RESULT(aauth_verifier_finish(v, &inl, &id), AAUTH_RESULT_INVALID_STATE);
  CHECK_RESULT(aauth_verifier_last_check(v, &check), AAUTH_RESULT_OK);
  CHECK(check == 0);
  /* After init the same memory works. */
  CHECK_RESULT(aauth_verifier_init(v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_parse(v, &r, &p, NOW, &plan), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_finish(v, &inl, &id), AAUTH_RESULT_OK);
  free(v);
}

/* Phase 2 before phase 1, and phase 1 again after a failure: INVALID_STATE, then a clean
 * second use. A verifier is reusable for any number of requests. */
static void test_call_order(void) {
  aauth_request r = a1();
  aauth_policy p;
  aauth_plan plan;
  aauth_identity id;
  aauth_key_source inl;
  aauth_verifier v;
  int i;
  memset(&inl, 0, sizeof inl);
  inl.kind = AAUTH_KEY_KIND_INLINE;
  aauth_policy_default(AAUTH_PROFILE_STRICT, &p);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_finish(&v, &inl, &id), AAUTH_RESULT_INVALID_STATE);
  /* A stale request fails, then the same verifier verifies a fresh one. */
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW + 3600, &plan), AAUTH_RESULT_INVALID_SIGNATURE);
  for (i = 0; i < 3; i++) {
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_OK);
    CHECK_RESULT(aauth_verifier_finish(&v, &inl, &id), AAUTH_RESULT_OK);
    /* finish again on the same parsed signature: allowed (a host retries after a refetch) */
    CHECK_RESULT(aauth_verifier_finish(&v, &inl, &id), AAUTH_RESULT_OK);
  }
}

/* Values outside an enumeration are refused, not trusted: profile, key kind, replay mode,
 * text escapes (finding 12: "aauth_text_unescape returns OK for an unknown escapes value"). */
static void test_out_of_range_enums(void) {
  aauth_request r = a1();
  aauth_policy p;
  aauth_plan plan;
  aauth_identity id;
  aauth_key_source bad;
  aauth_verifier v;
  aauth_text t;
  uint8_t buf[16];
  size_t n = 3;
  uint32_t k;
  CHECK_RESULT(aauth_policy_default(99, &p), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK_RESULT(aauth_policy_default(UINT32_MAX, &p), AAUTH_RESULT_INVALID_PARAMETER);
  aauth_policy_default(AAUTH_PROFILE_STRICT, &p);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  CHECK_RESULT(aauth_verifier_set_replay(&v, 77, NULL), AAUTH_RESULT_INVALID_PARAMETER);
  for (k = 6; k < 10; k++) {
    CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_OK);
    memset(&bad, 0, sizeof bad);
    bad.kind = k == 9 ? UINT32_MAX : k;
    CHECK_RESULT(aauth_verifier_finish(&v, &bad, &id), AAUTH_RESULT_INVALID_PARAMETER);
  }
  t.data = (const uint8_t *)"abc";
  t.len = 3;
  t.escapes = 3;
  CHECK_RESULT(aauth_text_unescape(&t, buf, sizeof buf, &n), AAUTH_RESULT_INVALID_PARAMETER);
  CHECK(n == 3);
}

/* Lengths no object can have, and NULL with a length, are refused before anything is read:
 * a slice longer than PTRDIFF_MAX, a header array NULL with a count, a count far beyond the
 * array (the conversion stops at AAUTH_MAX_HEADERS + 1 lines; valgrind proves nothing past
 * them is read). */
static void test_impossible_lengths(void) {
  aauth_request r = a1();
  aauth_policy p;
  aauth_plan plan;
  aauth_verifier v;
  aauth_header many[AAUTH_MAX_HEADERS + 1];
  size_t i;
  aauth_policy_default(AAUTH_PROFILE_STRICT, &p);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);

  r.path.len = (size_t)PTRDIFF_MAX + 1;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_INVALID_PARAMETER);
  r = a1();
  r.path.data = NULL; /* NULL with a length */
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_NULL_PARAMETER);
  r = a1();
  r.headers = NULL;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_NULL_PARAMETER);
  r = a1();
  a1_headers[1].value.len = SIZE_MAX;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_INVALID_PARAMETER);

  /* A header array of AAUTH_MAX_HEADERS + 1 lines, with a count of SIZE_MAX: one line more
   * than the limit is read, then the request is refused as a verification failure. */
  r = a1();
  for (i = 0; i < AAUTH_MAX_HEADERS + 1; i++) {
    many[i].name = cs("x-filler");
    many[i].value = cs("1");
  }
  r.headers = many;
  r.headers_len = AAUTH_MAX_HEADERS + 1;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_INVALID_REQUEST);
  r.headers_len = SIZE_MAX;
  CHECK(aauth_result_is_verification_error(aauth_verifier_parse(&v, &r, &p, NOW, &plan)) ||
        aauth_verifier_parse(&v, &r, &p, NOW, &plan) == AAUTH_RESULT_INVALID_PARAMETER);
}

/* Hostile header bytes: NUL, CR LF, bytes above 0x7f, a 1 MiB Signature-Input, 10 000
 * members. Each is a verification failure with a Signature-Error token, found in bounded
 * time. */
static void test_hostile_header_bytes(void) {
  static char huge[1 << 20];
  static char members[200000];
  const char *bad_values[] = {
      "sig=(\"@method\"\0\"@path\");created=1730217600",
      "sig=(\"@method\" \"@authority\" \"@path\" \"signature-key\");created=1730217600\r\nX-Evil: 1",
      "sig=(\"@m\xc3\xa9thod\");created=1730217600",
      "sig=(\"@method\" \"@authority\" \"@path\" \"signature-key\");created=99999999999999999999",
  };
  size_t lens[4];
  aauth_request r;
  aauth_policy p;
  aauth_plan plan;
  aauth_verifier v;
  size_t i, off = 0;
  lens[0] = 45;
  lens[1] = strlen(bad_values[1]);
  lens[2] = strlen(bad_values[2]);
  lens[3] = strlen(bad_values[3]);
  aauth_policy_default(AAUTH_PROFILE_STRICT, &p);
  CHECK_RESULT(aauth_verifier_init(&v), AAUTH_RESULT_OK);
  for (i = 0; i < 4; i++) {
    aauth_result got;
    r = a1();
    a1_headers[1].value.data = (const uint8_t *)bad_values[i];
    a1_headers[1].value.len = lens[i];
    got = aauth_verifier_parse(&v, &r, &p, NOW, &plan);
    CHECK(aauth_result_is_verification_error(got));
    CHECK(aauth_result_token(got) != NULL);
  }
  memset(huge, 'a', sizeof huge);
  memcpy(huge, "sig=(", 5);
  r = a1();
  a1_headers[1].value.data = (const uint8_t *)huge;
  a1_headers[1].value.len = sizeof huge;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_INVALID_REQUEST);
  for (i = 0; i < 10000 && off + 20 < sizeof members; i++) {
    off += (size_t)sprintf(members + off, "%sl%lu=()", i ? "," : "", (unsigned long)i);
  }
  r = a1();
  a1_headers[1].value.data = (const uint8_t *)members;
  a1_headers[1].value.len = off;
  CHECK_RESULT(aauth_verifier_parse(&v, &r, &p, NOW, &plan), AAUTH_RESULT_INVALID_REQUEST);
}

/* Output buffers of every size from 0 up: each call either fits and reports its length, or
 * says INSUFFICIENT_SIZE without writing past the buffer or reporting a length. */
static void test_small_output_buffers(void) {
  aauth_request r = a1();
  aauth_policy p;
  aauth_request_facts facts;
  uint8_t *buf;
  size_t len, n;
  aauth_policy_default(AAUTH_PROFILE_STRICT, &p);
  aauth_request_facts_of(&r, &facts);
  for (len = 0; len < 200; len++) {
    aauth_result got;
    buf = (uint8_t *)malloc(len ? len : 1); /* exact size: valgrind catches an overrun */
    n = SIZE_MAX;
    got = aauth_signature_error(AAUTH_RESULT_INVALID_INPUT, &p, &facts, len ? buf : NULL, len, &n);
    CHECK(got == AAUTH_RESULT_OK ? n <= len : (got == AAUTH_RESULT_INSUFFICIENT_SIZE && n == SIZE_MAX));
    n = SIZE_MAX;
    got = aauth_problem_details(AAUTH_RESULT_INVALID_KEY, 1, 401, len ? buf : NULL, len, &n);
    CHECK(got == AAUTH_RESULT_OK ? n <= len : (got == AAUTH_RESULT_INSUFFICIENT_SIZE && n == SIZE_MAX));
    free(buf);
  }
}

int main(void) {
  test_uninitialised_verifier();
  test_call_order();
  test_out_of_range_enums();
  test_impossible_lengths();
  test_hostile_header_bytes();
  test_small_output_buffers();
  if (checks_failed) {
    fprintf(stderr, "adversarial_test: %lu check(s) failed\n", checks_failed);
    return 1;
  }
  printf("adversarial_test: ok\n");
  return 0;
}
