/* Thread safety: several threads verify every shared vector at the same time, each with its own
 * aauth_verifier and its own request view over the shared (read-only) vector data, and every
 * thread must get exactly the outcome a single thread gets. The header documents the library
 * as reentrant with no global mutable state; this exercises that claim. Run under valgrind's
 * default tool too (make test-c VALGRIND=1). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "test_common.h"
#include "vectors.h"

#define THREADS 4
#define ROUNDS 3

/* The outcome of one vector through the two-phase flow (cached assertions resolved). */
static aauth_result run_one(const struct vec_case *c, aauth_header *headers, aauth_slice *required,
                            char thumbprint[64]) {
  aauth_verifier v;
  aauth_identity id;
  aauth_request request = request_of(c, headers);
  aauth_policy policy = policy_of(c, required);
  aauth_result r;
  int checks = 1;
  memset(&v, 0, sizeof v);
  memset(&id, 0, sizeof id);
  r = two_phase(&v, c, &request, &policy, NULL, &checks, &id);
  thumbprint[0] = '\0';
  if (r == AAUTH_RESULT_OK) {
    memcpy(thumbprint, id.thumbprint, sizeof id.thumbprint < 64 ? sizeof id.thumbprint : 64);
    thumbprint[63] = '\0';
  }
  return r;
}

static aauth_result expected[VECTOR_COUNT];
static char expected_thumb[VECTOR_COUNT][64];

struct worker {
  unsigned long mismatches;
  unsigned long runs;
};

static void *work(void *arg) {
  struct worker *w = arg;
  static _Thread_local aauth_header headers[AAUTH_MAX_HEADERS];
  static _Thread_local aauth_slice required[AAUTH_MAX_REQUIRED];
  size_t i, round;
  for (round = 0; round < ROUNDS; round++) {
    for (i = 0; i < VECTOR_COUNT; i++) {
      char thumb[64];
      const struct vec_case *c = &VECTORS[i];
      aauth_result r;
      if (c->headers_len > AAUTH_MAX_HEADERS) continue;
      r = run_one(c, headers, required, thumb);
      w->runs++;
      if (r != expected[i] || strcmp(thumb, expected_thumb[i]) != 0) {
        fprintf(stderr, "FAIL %s/%s: thread got %s, single thread got %s\n", c->file, c->name,
                aauth_result_name(r), aauth_result_name(expected[i]));
        w->mismatches++;
      }
    }
  }
  return NULL;
}

int main(void) {
  static aauth_header headers[AAUTH_MAX_HEADERS];
  static aauth_slice required[AAUTH_MAX_REQUIRED];
  pthread_t threads[THREADS];
  struct worker workers[THREADS];
  unsigned long passed = 0, failed = 0, runs = 0;
  size_t i;
  int t;

  /* Reference outcomes, one thread. */
  for (i = 0; i < VECTOR_COUNT; i++) {
    if (VECTORS[i].headers_len > AAUTH_MAX_HEADERS) continue;
    expected[i] = run_one(&VECTORS[i], headers, required, expected_thumb[i]);
  }
  memset(workers, 0, sizeof workers);
  for (t = 0; t < THREADS; t++) {
    if (pthread_create(&threads[t], NULL, work, &workers[t]) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 1;
    }
  }
  for (t = 0; t < THREADS; t++) {
    pthread_join(threads[t], NULL);
    runs += workers[t].runs;
    if (workers[t].mismatches == 0) passed++;
    else failed++;
  }
  printf("threads: %d threads x %d rounds, %lu concurrent verifications\n", THREADS, ROUNDS, runs);
  printf("%lu passed, %lu failed\n", passed, failed);
  return failed == 0 && runs == (unsigned long)THREADS * ROUNDS * VECTOR_COUNT ? 0 : 1;
}
