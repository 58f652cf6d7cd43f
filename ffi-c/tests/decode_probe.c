/* The token is decoded once per request, on every C path: this program runs every ok token
 * vector (jwt, jkt-jwt, self-jwt, and the cached scheme's resolved assertions) through one C
 * flow and prints how many requests carried a token; decode_count.py runs it under callgrind
 * against the debug library (no inlining) and compares that number with the calls of the
 * core's decoding functions (aauth_verify::token::split, which base64url-decodes a token's
 * header and payload, and aauth_verify::token::parse_json, which reads their JSON).
 *
 * Usage: decode_probe FLOW   FLOW: two-phase | two-phase-cache | one-shot | one-shot-cache
 *
 * The two-phase flows call everything a host may call between the phases: the plan again, the
 * metadata URL, the metadata check, the signature base. The cache flows attach one token cache
 * and verify every vector twice (the second time from the cache). C99. */
#include "test_common.h"
#include "vectors.h"

static uint8_t base_buf[64 * 1024];

/* Everything a host may ask between the phases (none of it may decode the token again). */
static int between(const struct vec_case *c, aauth_verifier *v, const aauth_plan *plan) {
  aauth_plan again;
  size_t n = 0;
  (void)c;
  (void)plan;
  if (aauth_verifier_plan(v, &again) != AAUTH_RESULT_OK) return 0;
  if (aauth_verifier_signature_base(v, base_buf, sizeof base_buf, &n) != AAUTH_RESULT_OK) return 0;
  return 1;
}

int main(int argc, char **argv) {
  static aauth_header headers[AAUTH_MAX_HEADERS];
  static aauth_slice required[AAUTH_MAX_REQUIRED];
  static aauth_token_cache cache;
  const char *flow = argc > 1 ? argv[1] : "";
  int two = strncmp(flow, "two-phase", 9) == 0, one = strncmp(flow, "one-shot", 8) == 0;
  int cached = strstr(flow, "-cache") != NULL;
  unsigned long requests = 0, failures = 0;
  size_t i;
  int round;
  if (!two && !one) {
    fprintf(stderr, "usage: decode_probe two-phase|two-phase-cache|one-shot|one-shot-cache\n");
    return 2;
  }
  if (aauth_token_cache_init(&cache) != AAUTH_RESULT_OK) return 1;
  for (round = 0; round < (cached ? 2 : 1); round++) {
    for (i = 0; i < VECTOR_COUNT; i++) {
      const struct vec_case *c = &VECTORS[i];
      aauth_request request;
      aauth_policy policy;
      aauth_verifier v;
      aauth_identity id;
      aauth_key_source src;
      aauth_result r;
      int checks = 1;
      if (!c->expect_ok || !(c->r_token || c->key_type == KEY_ASSERTION)) continue;
      /* One call cannot resolve a cached assertion. */
      if (one && c->key_type == KEY_ASSERTION) continue;
      request = request_of(c, headers);
      policy = policy_of(c, required);
      src = source_of(c);
      memset(&v, 0, sizeof v);
      if (cached && aauth_verifier_set_token_cache(&v, &cache) != AAUTH_RESULT_OK) return 1;
      if (two) {
        r = two_phase(&v, c, &request, &policy, between, &checks, &id);
      } else {
        r = aauth_verify(&v, &request, &policy, c->now, &src, &id);
      }
      requests++;
      if (r != AAUTH_RESULT_OK || !checks) {
        fprintf(stderr, "%s: %s: %s\n", flow, c->name, aauth_result_name(r));
        failures++;
      }
    }
  }
  printf("requests %lu\n", requests);
  return failures ? 1 : 0;
}
