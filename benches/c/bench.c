/*
 * benches/c/bench.c: verifications per second on one core through the C API (issue 6 part 3).
 *
 * For each pre-built request (requests.h, from the shared vectors signed by aauth-signing
 * 0.2.0), calls the one-shot API in a loop: aauth_verify_inline for hwk, aauth_verify_with_jwks
 * (the JWKS and metadata document the host already holds) for jwks_uri and jwt. Every call
 * must return AAUTH_RESULT_OK; the loop is time-bounded: SLICES slices of SLICE_SECONDS each,
 * and the rate is the best slice (wall clock, one thread) with the thread CPU time beside it.
 * Prints one JSON document on stdout.
 *
 * Usage: bench [SLICE_SECONDS [SLICES]]   (defaults 0.4 and 5)
 */

#define _POSIX_C_SOURCE 199309L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aauth_verify.h"

#include "requests.h" /* struct bench_request and REQUESTS */

static double seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One verification through the one-shot API; returns the result. */
static aauth_result verify_once(aauth_verifier *v, const struct bench_request *r,
                                const aauth_policy *policy, aauth_identity *id) {
  if (r->jwks.data == NULL) {
    return aauth_verify_inline(v, &r->request, policy, r->now, id);
  }
  return aauth_verify_with_jwks(v, &r->request, policy, r->now, r->jwks.data, r->jwks.len,
                                r->metadata.data, r->metadata.len, id);
}

/* Times `r` in `slices` slices of `slice_seconds`; prints one JSON row (`label`, `scheme`). */
static int measure(aauth_verifier *verifier, const struct bench_request *r, const aauth_policy *policy,
                   const char *label, const char *scheme, double slice_seconds, int slices, int last) {
  aauth_identity id;
  double best = 0, total_calls = 0, total_wall = 0, total_cpu = 0;
  int s;
  aauth_result res = verify_once(verifier, r, policy, &id);
  if (res != AAUTH_RESULT_OK) {
    fprintf(stderr, "bench: %s does not verify: %s\n", label, aauth_result_name(res));
    return 1;
  }
  for (s = 0; s < slices; s++) {
    double t0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
    double t1 = t0, deadline = t0 + slice_seconds;
    long calls = 0;
    while (t1 < deadline) {
      int k;
      for (k = 0; k < 64; k++) { /* check the clock every 64 calls */
        if (verify_once(verifier, r, policy, &id) != AAUTH_RESULT_OK) {
          fprintf(stderr, "bench: %s failed during the loop\n", label);
          return 1;
        }
      }
      calls += 64;
      t1 = seconds(CLOCK_MONOTONIC);
    }
    total_cpu += seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
    total_wall += t1 - t0;
    total_calls += (double)calls;
    if ((double)calls / (t1 - t0) > best) best = (double)calls / (t1 - t0);
  }
  printf("    {\"request\": \"%s\", \"scheme\": \"%s\", \"calls\": %.0f, "
         "\"per_second_best_slice\": %.0f, \"per_second_wall\": %.0f, "
         "\"per_second_cpu\": %.0f, \"us_per_call_best_slice\": %.2f}%s\n",
         label, scheme, total_calls, best, total_calls / total_wall, total_calls / total_cpu,
         1e6 / best, last ? "" : ",");
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  double slice_seconds = argc > 1 ? atof(argv[1]) : 0.4;
  int slices = argc > 2 ? atoi(argv[2]) : 5;
  static aauth_verifier verifier;  /* 9 KiB, zeroed */
  static aauth_token_cache cache;  /* 10 KiB */
  size_t i;

  if (slice_seconds <= 0 || slices <= 0) {
    fprintf(stderr, "usage: bench [SLICE_SECONDS [SLICES]]\n");
    return 2;
  }
  printf("{\n  \"library_version\": \"%s\",\n  \"api\": \"one-shot aauth_verify_inline / "
         "aauth_verify_with_jwks\",\n  \"slice_seconds\": %.3f,\n  \"slices\": %d,\n"
         "  \"requests\": [\n",
         aauth_verify_version(), slice_seconds, slices);
  for (i = 0; i < REQUEST_COUNT; i++) {
    const struct bench_request *r = &REQUESTS[i];
    int token = strcmp(r->scheme, "jwt") == 0, last = i + 1 == REQUEST_COUNT;
    aauth_policy policy;
    char label[128];

    if (aauth_policy_default(r->profile, &policy) != AAUTH_RESULT_OK) {
      fprintf(stderr, "bench: aauth_policy_default failed\n");
      return 1;
    }
    if (measure(&verifier, r, &policy, r->name, r->scheme, slice_seconds, slices, last && !token)) return 1;
    if (!token) continue;
    /* The same requests with a verified-token cache attached (filled by the first call). */
    snprintf(label, sizeof label, "%s, warm token cache", r->name);
    if (aauth_token_cache_init(&cache) != AAUTH_RESULT_OK ||
        aauth_verifier_set_token_cache(&verifier, &cache) != AAUTH_RESULT_OK) {
      fprintf(stderr, "bench: token cache setup failed\n");
      return 1;
    }
    if (measure(&verifier, r, &policy, label, "jwt (warm token cache)", slice_seconds, slices, last))
      return 1;
    if (aauth_verifier_set_token_cache(&verifier, NULL) != AAUTH_RESULT_OK) return 1;
  }
  printf("  ]\n}\n");
  return 0;
}
