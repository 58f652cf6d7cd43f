/*
 * benches/c/instr.c: instructions per one-shot call through the C API, the stable companion of
 * bench.c's wall clock. Run under callgrind with --toggle-collect=aauth_instr_measure: only the
 * measured calls are counted, so the file's summary divided by CALLS is the cost of one call.
 *
 * Usage: instr INDEX CALLS [cache]
 *   INDEX  a request of requests.h (benches/c/gen_requests.py)
 *   CALLS  how many measured calls (after one unmeasured warm-up call)
 *   cache  attach an aauth_token_cache (filled by the warm-up call)
 *
 * The calls are the ones bench.c times: aauth_verify_inline for hwk, aauth_verify_with_jwks
 * with the JWKS and metadata document in memory otherwise. Every call must return
 * AAUTH_RESULT_OK. benches/c/instr.sh runs every row.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aauth_verify.h"

#include "requests.h" /* struct bench_request and REQUESTS */

aauth_result aauth_instr_measure(aauth_verifier *v, const struct bench_request *r,
                                 const aauth_policy *policy, aauth_identity *id);

/* Not static and not inlined: callgrind toggles collection on this symbol. */
__attribute__((noinline)) aauth_result aauth_instr_measure(aauth_verifier *v,
                                                           const struct bench_request *r,
                                                           const aauth_policy *policy,
                                                           aauth_identity *id) {
  if (r->jwks.data == NULL) return aauth_verify_inline(v, &r->request, policy, r->now, id);
  return aauth_verify_with_jwks(v, &r->request, policy, r->now, r->jwks.data, r->jwks.len,
                                r->metadata.data, r->metadata.len, id);
}

int main(int argc, char **argv) {
  static aauth_verifier verifier;
  static aauth_token_cache cache;
  const struct bench_request *r;
  aauth_policy policy;
  aauth_identity id;
  long i, calls;
  size_t index;

  if (argc < 3) {
    fprintf(stderr, "usage: instr INDEX CALLS [cache]\n");
    return 2;
  }
  index = (size_t)strtoul(argv[1], NULL, 10);
  calls = strtol(argv[2], NULL, 10);
  if (index >= REQUEST_COUNT || calls <= 0) {
    fprintf(stderr, "instr: INDEX < %lu, CALLS > 0\n", (unsigned long)REQUEST_COUNT);
    return 2;
  }
  r = &REQUESTS[index];
  if (aauth_policy_default(r->profile, &policy) != AAUTH_RESULT_OK) return 1;
  if (argc > 3 && strcmp(argv[3], "cache") == 0) {
    if (aauth_token_cache_init(&cache) != AAUTH_RESULT_OK ||
        aauth_verifier_set_token_cache(&verifier, &cache) != AAUTH_RESULT_OK)
      return 1;
  }
  /* Warm-up (unmeasured): fills the token cache when one is attached. */
  if (aauth_instr_measure(&verifier, r, &policy, &id) != AAUTH_RESULT_OK) {
    fprintf(stderr, "instr: %s does not verify\n", r->name);
    return 1;
  }
  for (i = 0; i < calls; i++) {
    if (aauth_instr_measure(&verifier, r, &policy, &id) != AAUTH_RESULT_OK) {
      fprintf(stderr, "instr: %s failed\n", r->name);
      return 1;
    }
  }
  printf("%s\n", r->name);
  return 0;
}
