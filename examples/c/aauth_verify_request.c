/*
 * aauth_verify_request: verify one raw HTTP/1.1 request against a trusted JWKS.
 *
 *   aauth_verify_request [options] REQUEST_FILE|- JWKS_FILE
 *
 *   --authority HOST[:PORT]  the service's canonical authority (default: the Host header;
 *                            a real proxy must use its own configured name, never Host)
 *   --scheme https|http      @scheme (default https)
 *   --metadata FILE          the signer's (or token issuer's) metadata document, checked
 *                            for jwks_uri, legacy jwks with id, jwt and self-jwt; without
 *                            it, JWKS_FILE is trusted for whichever signer the plan names
 *   --now SECONDS            the clock (default: time(NULL))
 *   --compat                 the compatibility profile (older peers)
 *
 * Prints the plan, the verdict and the agent identity. Exit status: 0 verified, 1 rejected,
 * 2 usage or I/O error. Copy it: it shows the whole API flow a proxy needs, with no heap
 * allocation (static buffers only) — parse, read the plan the library made, supply what it
 * names, finish.
 *
 * Build against an installed library (`make install PREFIX=...`), with a run path so that it
 * finds libaauth_verify.so.0 when PREFIX/lib is not in the loader's paths:
 *   cc -std=c99 aauth_verify_request.c $(pkg-config --cflags --libs aauth-verify) \
 *     -Wl,-rpath,$(pkg-config --variable=libdir aauth-verify)
 * or statically (no run-time dependency on the library):
 *   cc -std=c99 aauth_verify_request.c $(pkg-config --cflags aauth-verify) \
 *     $(pkg-config --variable=libdir aauth-verify)/libaauth_verify.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aauth_verify.h"

#define MAX_REQUEST (64 * 1024)
#define MAX_DOC (16 * 1024)

static uint8_t request_buf[MAX_REQUEST];
static uint8_t jwks_buf[MAX_DOC];
static uint8_t metadata_buf[MAX_DOC];
static aauth_header headers[AAUTH_MAX_HEADERS];

/* Reads a whole file ("-" = stdin) into buf; returns the length or -1. */
static long read_file(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  size_t n;
  if (f == NULL) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  n = fread(buf, 1, cap, f);
  if (!feof(f)) {
    fprintf(stderr, "%s: larger than %lu bytes\n", path, (unsigned long)cap);
    n = (size_t)-1;
  }
  if (f != stdin) fclose(f);
  return n == (size_t)-1 ? -1 : (long)n;
}

static aauth_slice mk(const uint8_t *p, size_t n) {
  aauth_slice s;
  s.data = p;
  s.len = n;
  return s;
}

/* Finds the end of the line starting at `p` (before CRLF or LF); sets *next past it. */
static const uint8_t *line_end(const uint8_t *p, const uint8_t *end, const uint8_t **next) {
  const uint8_t *q = memchr(p, '\n', (size_t)(end - p));
  if (q == NULL) return NULL;
  *next = q + 1;
  return (q > p && q[-1] == '\r') ? q - 1 : q;
}

static int ieq(aauth_slice s, const char *lit) {
  size_t i, n = strlen(lit);
  if (s.len != n) return 0;
  for (i = 0; i < n; i++) {
    int a = s.data[i], b = (unsigned char)lit[i];
    if (a >= 'A' && a <= 'Z') a += 32;
    if (a != b) return 0;
  }
  return 1;
}

/* Parses a raw HTTP/1.1 request into `r` (pointing into `buf`). Returns 0 on success. */
static int parse_http(const uint8_t *buf, size_t len, aauth_request *r, aauth_slice *host) {
  const uint8_t *p = buf, *end = buf + len, *next, *eol, *sp1, *sp2, *q;
  size_t n = 0, content_length = (size_t)-1;
  memset(r, 0, sizeof *r);
  host->data = NULL;
  host->len = 0;
  if ((eol = line_end(p, end, &next)) == NULL) return -1;
  if ((sp1 = memchr(p, ' ', (size_t)(eol - p))) == NULL) return -1;
  if ((sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL) return -1;
  r->method = mk(p, (size_t)(sp1 - p));
  q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
  if (q != NULL) {
    r->path = mk(sp1 + 1, (size_t)(q - sp1 - 1));
    r->query = mk(q + 1, (size_t)(sp2 - q - 1)); /* present, possibly empty */
  } else {
    r->path = mk(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  }
  for (p = next;;) {
    const uint8_t *colon;
    if ((eol = line_end(p, end, &next)) == NULL) return -1;
    if (eol == p) break; /* the empty line */
    if (n == AAUTH_MAX_HEADERS) return -1;
    if ((colon = memchr(p, ':', (size_t)(eol - p))) == NULL) return -1;
    headers[n].name = mk(p, (size_t)(colon - p));
    headers[n].value = mk(colon + 1, (size_t)(eol - colon - 1)); /* OWS is trimmed by the library */
    if (ieq(headers[n].name, "host")) *host = headers[n].value;
    if (ieq(headers[n].name, "content-length")) content_length = (size_t)strtoul((const char *)colon + 1, NULL, 10);
    n++;
    p = next;
  }
  r->headers = headers;
  r->headers_len = n;
  if (next < end || content_length != (size_t)-1) {
    size_t body = (size_t)(end - next);
    if (content_length != (size_t)-1 && content_length < body) body = content_length;
    r->body = mk(next, body);
  }
  /* Trim the Host value for use as a default authority. */
  while (host->len && (host->data[0] == ' ' || host->data[0] == '\t')) host->data++, host->len--;
  while (host->len && (host->data[host->len - 1] == ' ' || host->data[host->len - 1] == '\t')) host->len--;
  return 0;
}

static void print_text(const char *label, const aauth_text *t) {
  uint8_t buf[1024];
  size_t n = 0;
  if (t->data == NULL) return;
  if (aauth_text_unescape(t, buf, sizeof buf, &n) != AAUTH_RESULT_OK) return;
  printf("%s: %.*s\n", label, (int)n, (const char *)buf);
}

static const char *scheme_name(aauth_scheme s) {
  static const char *const names[] = {"none", "hwk", "jwks_uri", "jwks", "legacy-jwks", "jwt", "jkt-jwt",
                                      "self-jwt", "cached"};
  return s <= AAUTH_SCHEME_CACHED ? names[s] : "?";
}

int main(int argc, char **argv) {
  const char *authority = NULL, *scheme = "https", *metadata_path = NULL, *paths[2];
  int npaths = 0, compat = 0, i;
  long now = (long)time(NULL), req_len, jwks_len, metadata_len = 0;
  aauth_request request;
  aauth_slice host;
  aauth_policy policy;
  aauth_verifier verifier; /* 9 KiB, on the stack: no allocation anywhere */
  aauth_plan plan;
  aauth_key_source keys;
  aauth_identity id;
  aauth_result r;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--authority") == 0 && i + 1 < argc) authority = argv[++i];
    else if (strcmp(argv[i], "--scheme") == 0 && i + 1 < argc) scheme = argv[++i];
    else if (strcmp(argv[i], "--metadata") == 0 && i + 1 < argc) metadata_path = argv[++i];
    else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) now = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--compat") == 0) compat = 1;
    else if (npaths < 2 && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) paths[npaths++] = argv[i];
    else npaths = 3;
  }
  if (npaths != 2) {
    fprintf(stderr, "usage: %s [--authority A] [--scheme S] [--metadata FILE] [--now N] [--compat] "
                    "REQUEST_FILE|- JWKS_FILE\n", argv[0]);
    return 2;
  }
  if ((req_len = read_file(paths[0], request_buf, sizeof request_buf)) < 0) return 2;
  if ((jwks_len = read_file(paths[1], jwks_buf, sizeof jwks_buf)) < 0) return 2;
  if (metadata_path && (metadata_len = read_file(metadata_path, metadata_buf, sizeof metadata_buf)) < 0) return 2;
  if (parse_http(request_buf, (size_t)req_len, &request, &host) != 0) {
    fprintf(stderr, "%s: not an HTTP/1.1 request\n", paths[0]);
    return 2;
  }
  request.scheme = mk((const uint8_t *)scheme, strlen(scheme));
  request.authority = authority ? mk((const uint8_t *)authority, strlen(authority)) : host;

  if (aauth_policy_default(compat ? AAUTH_PROFILE_COMPAT : AAUTH_PROFILE_STRICT, &policy) != AAUTH_RESULT_OK)
    return 2;
  aauth_verifier_init(&verifier);

  /* Phase 1: offline checks; the library says what to fetch (the plan). */
  r = aauth_verifier_parse(&verifier, &request, &policy, (int64_t)now, &plan);
  if (r == AAUTH_RESULT_OK) {
    memset(&keys, 0, sizeof keys);
    printf("scheme: %s\n", scheme_name(plan.scheme));
    if (plan.fetch == AAUTH_FETCH_METADATA) {
      uint8_t url[1024];
      size_t n = 0;
      if (aauth_verifier_metadata_url(&verifier, url, sizeof url, &n) == AAUTH_RESULT_OK)
        printf("plan: metadata %.*s, then its jwks_uri\n", (int)n, (const char *)url);
    } else if (plan.fetch == AAUTH_FETCH_JWKS) {
      print_text("plan: jwks", &plan.url);
    }
    /* Phase 2: a proxy would now fetch what the plan names (asynchronously) and come back.
     * Here the documents come from files: the metadata document when given (it is checked),
     * else a JWKS trusted for whichever signer the plan names. */
    if (plan.fetch == AAUTH_FETCH_NOTHING) {
      keys.kind = AAUTH_KEY_KIND_INLINE;
    } else if (metadata_path) {
      keys.kind = AAUTH_KEY_KIND_DOCUMENTS;
      keys.metadata = mk(metadata_buf, (size_t)metadata_len);
    } else {
      keys.kind = AAUTH_KEY_KIND_TRUSTED_JWKS;
    }
    keys.jwks = mk(jwks_buf, (size_t)jwks_len);
    r = aauth_verifier_finish(&verifier, &keys, &id);
  }

  if (r == AAUTH_RESULT_OK) {
    printf("verdict: verified\n");
    printf("label: %.*s\n", (int)id.label.len, (const char *)id.label.data);
    print_text("agent", &id.agent);
    print_text("issuer", &id.issuer);
    print_text("subject", &id.subject);
    print_text("kid", &id.kid);
    printf("thumbprint: %s\n", id.thumbprint);
    if (id.has_created) printf("created: %lld\n", (long long)id.created);
    return 0;
  }
  if (aauth_result_is_verification_error(r)) {
    uint8_t out[512];
    size_t n = 0;
    uint16_t check = 0;
    aauth_request_facts facts;
    printf("verdict: rejected (%s)\n", aauth_result_token(r));
    if (aauth_request_facts_of(&request, &facts) == AAUTH_RESULT_OK &&
        aauth_signature_error(r, &policy, &facts, out, sizeof out, &n) == AAUTH_RESULT_OK)
      printf("Signature-Error: %.*s\n", (int)n, (const char *)out);
    if (aauth_verifier_last_check(&verifier, &check) == AAUTH_RESULT_OK && check != 0)
      printf("check: %s (%s)\n", aauth_check_name(check), aauth_check_detail(check));
    return 1;
  }
  fprintf(stderr, "error: %s\n", aauth_result_name(r));
  return 2;
}
