/*
 * ngx_http_aauth_module: verifies AAuth HTTP request signatures (RFC 9421, Ed25519, the
 * Signature-Key header) in nginx's access phase with libaauth_verify (include/aauth_verify.h,
 * the public C API only), and exposes the verified identity as variables.
 *
 * Every verification rule is the library's (the core decides); this file converts nginx's
 * request into the library's view, supplies keys (a static trust store decoded at
 * configuration load, keys discovered through nginx's own upstream machinery and kept in a
 * shared zone), reads the body only once the headers verified, and renders the library's
 * refusals.
 *
 * Memory: configuration lives in the cycle's pool; per request the module allocates from the
 * request pool only; shared state (replay cache, assertion cache, discovered keys) lives in
 * bounded shared-memory zones that evict their oldest entries when full. No blocking I/O on the
 * request path: the body is read by nginx's event loop and fed to the digest check as it
 * arrives; documents are fetched as subrequests.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/random.h>

#include "aauth_verify.h"


#define NGX_HTTP_AAUTH_OFF       0
#define NGX_HTTP_AAUTH_ON        1
#define NGX_HTTP_AAUTH_OPTIONAL  2
#define NGX_HTTP_AAUTH_OBSERVE   3

#define NGX_HTTP_AAUTH_STATUS_AAUTH  0
#define NGX_HTTP_AAUTH_STATUS_SK     1

/* The library's input bound for one JWKS document. */
#define NGX_HTTP_AAUTH_MAX_JWKS      16384
/* The library's bound for one metadata document. */
#define NGX_HTTP_AAUTH_MAX_METADATA  4096
/* The library's bound for one JWT (a cached assertion). */
#define NGX_HTTP_AAUTH_MAX_JWT       8192
/* An identifier or URL, with room for the well-known suffix. */
#define NGX_HTTP_AAUTH_MAX_URL       2200

/* Request phases of the module's own state machine. */
#define NGX_HTTP_AAUTH_PARSE     0
#define NGX_HTTP_AAUTH_KEYS      1
#define NGX_HTTP_AAUTH_VERIFY    2
#define NGX_HTTP_AAUTH_BODY      3
#define NGX_HTTP_AAUTH_BODY_END  4
#define NGX_HTTP_AAUTH_DONE      5


/* A shared zone: an rbtree keyed by a hash of the key, and a queue from newest to oldest. */
typedef struct {
    ngx_rbtree_t              rbtree;
    ngx_rbtree_node_t         sentinel;
    ngx_queue_t               queue;
    ngx_uint_t                evicted;
} ngx_http_aauth_shctx_t;


typedef struct {
    ngx_http_aauth_shctx_t   *sh;
    ngx_slab_pool_t          *shpool;
    ngx_str_t                 kind;      /* for messages */
} ngx_http_aauth_zone_t;


/* One entry: the key bytes, then the value bytes. */
typedef struct {
    ngx_rbtree_node_t         node;      /* key: a hash of the key bytes */
    ngx_queue_t               queue;
    time_t                    expires;   /* 0: never (the owner decides) */
    uint16_t                  key_len;
    uint32_t                  value_len;
    u_char                    data[1];
} ngx_http_aauth_entry_t;


typedef struct {
    ngx_str_t                 id;        /* the plan's signer: id / JWKS url / token issuer */
    ngx_str_t                 file;      /* for messages */
    ngx_str_t                 jwks;      /* the file's contents */
} ngx_http_aauth_trusted_t;


/* A trust-store entry decoded under one location's policy. */
typedef struct {
    ngx_str_t                 id;
    ngx_str_t                 jwks;
    aauth_jwks_key           *keys;
    size_t                    nkeys;
} ngx_http_aauth_decoded_t;


typedef struct {
    ngx_str_t                 name;      /* lowercase */
    ngx_flag_t                prefix;    /* the pattern ended with '*' */
} ngx_http_aauth_reserved_t;


typedef struct {
    ngx_shm_zone_t           *replay_zone;
    ngx_shm_zone_t           *assertion_zone;
    ngx_shm_zone_t           *discovery_zone;
} ngx_http_aauth_main_conf_t;


typedef struct {
    ngx_uint_t                mode;
    ngx_str_t                 authority;
    time_t                    window;
    ngx_uint_t                profile;
    ngx_array_t              *required;  /* of aauth_slice; NULL = profile default */
    ngx_uint_t                schemes;   /* AAUTH_SCHEMES_* bits; unset = the default set */
    ngx_array_t              *trusted;   /* of ngx_http_aauth_trusted_t */
    ngx_int_t                 test_now;  /* testing only: fixed clock */
    ngx_array_t              *reserved;  /* of ngx_http_aauth_reserved_t; NULL = default */
    ngx_flag_t                reserved_off;
    ngx_flag_t                require_body_digest;
    ngx_flag_t                require_query;
    ngx_flag_t                check_host;
    ngx_uint_t                status;
    ngx_array_t              *revoked;   /* of ngx_str_t "iss\njti", sorted */
    ngx_flag_t                replay;

    /* Discovery (aauth_discovery ...). */
    ngx_str_t                 discovery; /* the internal location; empty = off */
    ngx_array_t              *allow;     /* of aauth_slice */
    ngx_array_t              *http;      /* of aauth_slice */
    ngx_array_t              *private_;  /* of aauth_slice */
    time_t                    ttl_min;
    time_t                    ttl_max;
    ngx_msec_t                fetch_timeout;
    time_t                    refetch_interval;

    /* Built by merge; read-only afterwards. The verifier copies `policy` and keeps pointers
     * to `required`, which lives in the configuration pool (outlives requests). */
    aauth_policy              policy;
    ngx_array_t              *decoded;   /* of ngx_http_aauth_decoded_t */
    ngx_flag_t                policy_ready;
} ngx_http_aauth_loc_conf_t;


typedef struct ngx_http_aauth_ctx_s  ngx_http_aauth_ctx_t;

/* The state of one discovery fetch (a subrequest's context). */
typedef struct {
    ngx_str_t                 url;       /* $aauth_fetch_url: where the subrequest goes */
    ngx_str_t                 host;      /* $aauth_fetch_host: the Host header */
    ngx_str_t                 server_name;   /* $aauth_fetch_server_name: SNI */
    ngx_http_aauth_ctx_t     *parent;
} ngx_http_aauth_fetch_t;


struct ngx_http_aauth_ctx_s {
    ngx_uint_t                phase;
    ngx_int_t                 rc;        /* the access handler's answer once done */

    aauth_verifier           *verifier;
    aauth_request             req;
    aauth_plan                plan;
    aauth_identity            ident;
    aauth_key_source          source;
    aauth_jwks_key            decoded;
    ngx_str_t                 assertion; /* a resolved `cached` assertion (request pool) */
    ngx_uint_t                resolved;  /* the assertion was resolved (once) */
    ngx_flag_t                has_body;
    ngx_flag_t                body_feed;
    ngx_flag_t                body_done;
    ngx_flag_t                fed_file;  /* the body filter saw a file buffer */

    ngx_str_t                 scheme;
    ngx_str_t                 agent;
    ngx_str_t                 issuer;
    ngx_str_t                 kid;
    ngx_str_t                 thumbprint;
    ngx_str_t                 error;
    ngx_str_t                 check;
    ngx_str_t                 signature_key;
    ngx_str_t                 cache_header;  /* Signature-Key-Cache to send */

    /* Discovery. */
    ngx_http_aauth_fetch_t   *fetch;     /* for a subrequest: what it fetches */
    ngx_uint_t                dstate;
    ngx_str_t                 cache_key;
    ngx_str_t                 metadata_url;
    ngx_str_t                 jwks_uri;
    ngx_str_t                 metadata;
    ngx_str_t                 jwks;
    ngx_int_t                 fetch_status;
    ngx_int_t                 fetch_rc;
    time_t                    fetch_ttl;
    ngx_flag_t                fetch_done;
    ngx_flag_t                refetched;
    ngx_msec_t                deadline;
    ngx_event_t               wake;
    ngx_http_request_t       *sr;
    struct ngx_http_aauth_cleanup_s  *cleanup;
    aauth_destination         dest;      /* where the current fetch goes */
    ngx_str_t                 fetch_url; /* the signer's metadata or JWKS URL */
    ngx_uint_t                doc;       /* which document is being fetched */
    time_t                    fetch_ttl_min;
    aauth_result              doc_res;   /* a document's or egress refusal */
    aauth_result              refetch_res;
    unsigned                  timed_out:1;
    unsigned                  fetch_big:1;
    unsigned                  resolved_ok:1;
    unsigned                  resolve_done:1;
    unsigned                  fetched_fail:1;
    unsigned                  fetch_tried:1;
    unsigned                  from_zone:1;
    unsigned                  resolving:1;   /* inside ngx_resolve_name() */
    size_t                    fetched_len;   /* a fetch subrequest's body so far */
};


static ngx_int_t ngx_http_aauth_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_aauth_start(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t **pctx);
static ngx_int_t ngx_http_aauth_run(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx);
static aauth_result ngx_http_aauth_keys(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx, ngx_int_t *rc);
static void ngx_http_aauth_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_aauth_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_aauth_accept(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx);
static ngx_int_t ngx_http_aauth_refuse(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx,
    aauth_result res);
static ngx_int_t ngx_http_aauth_text(ngx_http_request_t *r, const aauth_text *t,
    ngx_str_t *out);
static u_char *ngx_http_aauth_escape(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out);
static ngx_http_aauth_decoded_t *ngx_http_aauth_lookup(
    ngx_http_aauth_loc_conf_t *alcf, ngx_str_t *id);
static const aauth_jwks_key *ngx_http_aauth_find_kid(const aauth_jwks_key *keys,
    size_t n, ngx_str_t *kid);
static bool ngx_http_aauth_revoked(void *data, const uint8_t *iss, size_t iss_len,
    const uint8_t *jti, size_t jti_len);
static ngx_int_t ngx_http_aauth_strip_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_aauth_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_aauth_output_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_aauth_fetch_header(ngx_http_request_t *r,
    ngx_http_aauth_ctx_t *sctx);
static ngx_chain_t *ngx_http_aauth_fetch_body(ngx_http_request_t *r,
    ngx_http_aauth_ctx_t *sctx, ngx_chain_t *in);

static ngx_int_t ngx_http_aauth_replay_check(ngx_http_request_t *r,
    ngx_http_aauth_ctx_t *ctx);
static ngx_int_t ngx_http_aauth_assertion_lookup(ngx_http_request_t *r,
    ngx_http_aauth_ctx_t *ctx, ngx_str_t *cid, uint32_t *scheme);
static ngx_int_t ngx_http_aauth_assertion_store(ngx_http_request_t *r,
    ngx_http_aauth_ctx_t *ctx);

static ngx_int_t ngx_http_aauth_discover(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx,
    aauth_result *res);
static ngx_int_t ngx_http_aauth_refetch(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx, aauth_result res);

static ngx_http_aauth_entry_t *ngx_http_aauth_zone_find(
    ngx_http_aauth_zone_t *z, u_char *key, size_t len, uint32_t hash);
static ngx_http_aauth_entry_t *ngx_http_aauth_zone_insert(
    ngx_http_aauth_zone_t *z, u_char *key, size_t len, uint32_t hash,
    size_t value_len, time_t expires);
static void ngx_http_aauth_zone_delete(ngx_http_aauth_zone_t *z,
    ngx_http_aauth_entry_t *e);
static void ngx_http_aauth_zone_expire(ngx_http_aauth_zone_t *z, time_t now,
    ngx_uint_t n);

static ngx_int_t ngx_http_aauth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_aauth_fetch_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_aauth_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_aauth_init(ngx_conf_t *cf);
static void *ngx_http_aauth_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_aauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_aauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

static char *ngx_http_aauth_mode(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_aauth_authority(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_required(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_schemes(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_trusted_keys(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_test_now(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_reserved_headers(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_revoked_jti(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_aauth_discovery(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_patterns(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_aauth_ttl(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_aauth_refetch_interval(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_aauth_init_zone(ngx_shm_zone_t *shm_zone, void *data);


static ngx_conf_enum_t  ngx_http_aauth_profiles[] = {
    { ngx_string("strict"), AAUTH_PROFILE_STRICT },
    { ngx_string("compat"), AAUTH_PROFILE_COMPAT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_aauth_statuses[] = {
    { ngx_string("aauth"), NGX_HTTP_AAUTH_STATUS_AAUTH },
    { ngx_string("signature-key"), NGX_HTTP_AAUTH_STATUS_SK },
    { ngx_null_string, 0 }
};


/* Scheme names, indexed by aauth_scheme; bit n of the scheme mask is scheme n. */
static ngx_str_t  ngx_http_aauth_scheme_names[] = {
    ngx_string("none"),
    ngx_string("hwk"),
    ngx_string("jwks_uri"),
    ngx_string("jwks"),
    ngx_string("legacy-jwks"),
    ngx_string("jwt"),
    ngx_string("jkt-jwt"),
    ngx_string("self-jwt"),
    ngx_string("cached"),
};

#define NGX_HTTP_AAUTH_NSCHEMES                                              \
    (sizeof(ngx_http_aauth_scheme_names) / sizeof(ngx_str_t))

/* The schemes whose key the request carries: no configuration vouches for the signer. */
#define NGX_HTTP_AAUTH_SELF_ASSERTED  (AAUTH_SCHEMES_HWK | AAUTH_SCHEMES_JKT_JWT)


static ngx_command_t  ngx_http_aauth_commands[] = {

    { ngx_string("aauth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_aauth_mode,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_authority"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_aauth_authority,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_window"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, window),
      NULL },

    { ngx_string("aauth_profile"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, profile),
      &ngx_http_aauth_profiles },

    { ngx_string("aauth_required_components"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_aauth_required,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_schemes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_aauth_schemes,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_trusted_keys"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_aauth_trusted_keys,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_test_now"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_aauth_test_now,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_reserved_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_aauth_reserved_headers,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_require_body_digest"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, require_body_digest),
      NULL },

    { ngx_string("aauth_require_query"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, require_query),
      NULL },

    { ngx_string("aauth_check_host"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, check_host),
      NULL },

    { ngx_string("aauth_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, status),
      &ngx_http_aauth_statuses },

    { ngx_string("aauth_revoked_jti"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_aauth_revoked_jti,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_replay"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, replay),
      NULL },

    { ngx_string("aauth_replay_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_aauth_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_aauth_main_conf_t, replay_zone),
      "replay" },

    { ngx_string("aauth_assertion_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_aauth_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_aauth_main_conf_t, assertion_zone),
      "assertion" },

    { ngx_string("aauth_discovery_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_aauth_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_aauth_main_conf_t, discovery_zone),
      "discovery" },

    { ngx_string("aauth_discovery"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_aauth_discovery,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_discovery_allow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_aauth_patterns,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, allow),
      NULL },

    { ngx_string("aauth_discovery_http"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_aauth_patterns,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, http),
      NULL },

    { ngx_string("aauth_discovery_private"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_aauth_patterns,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, private_),
      NULL },

    { ngx_string("aauth_discovery_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_aauth_ttl,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_discovery_refetch_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_aauth_refetch_interval,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("aauth_discovery_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, fetch_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_aauth_module_ctx = {
    ngx_http_aauth_add_variables,          /* preconfiguration */
    ngx_http_aauth_init,                   /* postconfiguration */

    ngx_http_aauth_create_main_conf,       /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_aauth_create_loc_conf,        /* create location configuration */
    ngx_http_aauth_merge_loc_conf          /* merge location configuration */
};


/*
 * One verified-token cache per worker process (10 KiB, no allocation): a repeated agent token
 * costs one Ed25519 verification instead of two. Workers are single-threaded, as the cache
 * requires; records end at the token's exp, and one is used only when the key the module
 * supplies is the one the token verified with.
 */
static aauth_token_cache  ngx_http_aauth_token_cache;

static ngx_int_t ngx_http_aauth_init_process(ngx_cycle_t *cycle);


ngx_module_t  ngx_http_aauth_module = {
    NGX_MODULE_V1,
    &ngx_http_aauth_module_ctx,            /* module context */
    ngx_http_aauth_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_aauth_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_aauth_vars[] = {

    { ngx_string("aauth_scheme"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, scheme), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_agent"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, agent), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_issuer"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, issuer), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_kid"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, kid), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_thumbprint"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, thumbprint), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_error"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, error), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_check"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, check), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_signature_key"), NULL, ngx_http_aauth_variable,
      offsetof(ngx_http_aauth_ctx_t, signature_key), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_fetch_url"), NULL, ngx_http_aauth_fetch_variable,
      offsetof(ngx_http_aauth_fetch_t, url), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_fetch_host"), NULL, ngx_http_aauth_fetch_variable,
      offsetof(ngx_http_aauth_fetch_t, host), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("aauth_fetch_server_name"), NULL, ngx_http_aauth_fetch_variable,
      offsetof(ngx_http_aauth_fetch_t, server_name), NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_aauth_signature_error = ngx_string("Signature-Error");
static ngx_str_t  ngx_http_aauth_accept_scheme =
    ngx_string("Accept-Signature-Scheme");
static ngx_str_t  ngx_http_aauth_accept_alg = ngx_string("Accept-Signature-Alg");
static ngx_str_t  ngx_http_aauth_key_cache = ngx_string("Signature-Key-Cache");
static ngx_str_t  ngx_http_aauth_problem_type =
    ngx_string("application/problem+json");
static ngx_str_t  ngx_http_aauth_default_reserved = ngx_string("x-aauth-");

static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;
static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* Request path **************************************************************/


static ngx_int_t
ngx_http_aauth_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_aauth_ctx_t       *ctx;
    ngx_http_aauth_loc_conf_t  *alcf;

    /* Subrequests (discovery fetches among them) are never verified themselves. */
    if (r != r->main) {
        return NGX_DECLINED;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_aauth_module);

    if (alcf->mode == NGX_HTTP_AAUTH_OFF) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

    if (ctx == NULL) {
        rc = ngx_http_aauth_start(r, alcf, &ctx);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ngx_http_aauth_run(r, alcf, ctx);
}


static ngx_uint_t
ngx_http_aauth_is(ngx_table_elt_t *h, const char *name, size_t len)
{
    return h->key.len == len
           && ngx_strncasecmp(h->key.data, (u_char *) name, len) == 0;
}


/* Builds the context: the header array, the request view, the verifier. NGX_DECLINED for an
 * unsigned request under `aauth optional`. */
static ngx_int_t
ngx_http_aauth_start(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t **pctx)
{
    size_t                 n;
    u_char                *q;
    ngx_uint_t             i, signed_req;
    ngx_list_part_t       *part;
    ngx_table_elt_t       *h, *sigkey;
    aauth_header          *headers;
    ngx_http_aauth_ctx_t  *ctx;

    n = 0;
    signed_req = 0;
    sigkey = NULL;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        n++;

        if (ngx_http_aauth_is(&h[i], "signature", sizeof("signature") - 1)
            || ngx_http_aauth_is(&h[i], "signature-input",
                                 sizeof("signature-input") - 1))
        {
            signed_req = 1;

        } else if (ngx_http_aauth_is(&h[i], "signature-key",
                                     sizeof("signature-key") - 1))
        {
            signed_req = 1;
            if (sigkey == NULL) {
                sigkey = &h[i];
            }
        }
    }

    if (!signed_req && alcf->mode == NGX_HTTP_AAUTH_OPTIONAL) {
        /* optional: unsigned requests pass unmarked. */
        return NGX_DECLINED;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_aauth_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (n > AAUTH_MAX_HEADERS) {
        /* The verifier refuses it as invalid_request; do not build a huge array. */
        n = AAUTH_MAX_HEADERS + 1;
    }

    headers = ngx_palloc(r->pool, n * sizeof(aauth_header));
    if (headers == NULL) {
        return NGX_ERROR;
    }

    /*
     * SAFETY: the names and values point into nginx's header buffers, which stay unchanged
     * for the request's lifetime (the reserved-header filter replaces the list, never the
     * bytes); the array lives in the request pool. Both outlive the verifier, which lives in
     * the request pool too and is used only while the request is.
     */

    n = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (n == AAUTH_MAX_HEADERS + 1) {
            break;
        }

        headers[n].name.data = h[i].key.data;
        headers[n].name.len = h[i].key.len;
        headers[n].value.data = h[i].value.data;
        headers[n].value.len = h[i].value.len;
        n++;
    }

    ctx->req.method.data = r->method_name.data;
    ctx->req.method.len = r->method_name.len;

#if (NGX_HTTP_SSL || NGX_COMPAT)
    if (r->connection->ssl) {
        ctx->req.scheme.data = (const uint8_t *) "https";
        ctx->req.scheme.len = sizeof("https") - 1;
    } else
#endif
    {
        ctx->req.scheme.data = (const uint8_t *) "http";
        ctx->req.scheme.len = sizeof("http") - 1;
    }

    ctx->req.authority.data = alcf->authority.data;
    ctx->req.authority.len = alcf->authority.len;

    /* The raw request target as received (not the decoded, normalised r->uri). */
    q = ngx_strlchr(r->unparsed_uri.data,
                    r->unparsed_uri.data + r->unparsed_uri.len, '?');

    ctx->req.path.data = r->unparsed_uri.data;

    if (q) {
        ctx->req.path.len = q - r->unparsed_uri.data;
        ctx->req.query.data = q + 1;
        ctx->req.query.len = r->unparsed_uri.data + r->unparsed_uri.len - (q + 1);

    } else {
        ctx->req.path.len = r->unparsed_uri.len;
    }

    ctx->req.headers = headers;
    ctx->req.headers_len = n;

    /* The body is fed as it arrives (aauth_verifier_body_update), never handed whole. */
    ctx->has_body = r->headers_in.content_length_n > 0 || r->headers_in.chunked;

    if (sigkey) {
        ctx->signature_key = sigkey->value;
    }

    /*
     * SAFETY: the verifier (request pool, 9 KiB) keeps copies of ctx->req and alcf->policy,
     * and so pointers to the bytes they point to (request memory, the header array in the
     * request pool, configuration), until the request ends; every call on it happens while
     * the request is alive. Identity texts that point into the verifier (token claims) are
     * copied into the request pool before they are used.
     */

    ctx->verifier = ngx_palloc(r->pool, sizeof(aauth_verifier));
    if (ctx->verifier == NULL) {
        return NGX_ERROR;
    }

    if (aauth_verifier_init(ctx->verifier) != AAUTH_RESULT_OK
        || aauth_verifier_set_token_cache(ctx->verifier,
                                          &ngx_http_aauth_token_cache)
           != AAUTH_RESULT_OK)
    {
        return NGX_ERROR;
    }

    if (alcf->revoked
        && aauth_verifier_set_revocation(ctx->verifier, ngx_http_aauth_revoked,
                                         alcf->revoked)
           != AAUTH_RESULT_OK)
    {
        return NGX_ERROR;
    }

    if (alcf->replay
        && aauth_verifier_set_replay(ctx->verifier, AAUTH_REPLAY_KEY, NULL)
           != AAUTH_RESULT_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_aauth_module);
    *pctx = ctx;

    return NGX_OK;
}


/* Whether Host names aauth_authority (case-insensitive, as HTTP compares hosts). */
static ngx_uint_t
ngx_http_aauth_host_ok(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf)
{
    ngx_table_elt_t  *host;

    host = r->headers_in.host;

    return host != NULL
           && host->value.len == alcf->authority.len
           && ngx_strncasecmp(host->value.data, alcf->authority.data,
                              alcf->authority.len) == 0;
}


static ngx_int_t
ngx_http_aauth_run(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx)
{
    bool          needs_body;
    int64_t       now;
    ngx_int_t     rc;
    aauth_result  res;

    for ( ;; ) {

        switch (ctx->phase) {

        case NGX_HTTP_AAUTH_PARSE:

            if (alcf->check_host && !ngx_http_aauth_host_ok(r, alcf)) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "aauth: Host is not aauth_authority \"%V\"",
                              &alcf->authority);
                res = aauth_verifier_host_refusal(ctx->verifier,
                                                  AAUTH_RESULT_INVALID_REQUEST);
                return ngx_http_aauth_refuse(r, alcf, ctx, res);
            }

            now = alcf->test_now != NGX_CONF_UNSET ? (int64_t) alcf->test_now
                                                   : (int64_t) ngx_time();

            res = aauth_verifier_parse(ctx->verifier, &ctx->req, &alcf->policy,
                                       now, &ctx->plan);
            if (res != AAUTH_RESULT_OK) {
                return ngx_http_aauth_refuse(r, alcf, ctx, res);
            }

            ctx->phase = NGX_HTTP_AAUTH_KEYS;
            break;

        case NGX_HTTP_AAUTH_KEYS:

            rc = NGX_OK;
            res = ngx_http_aauth_keys(r, alcf, ctx, &rc);

            if (rc == NGX_AGAIN) {
                /* A discovery fetch is under way; its end runs the phases again. */
                return NGX_AGAIN;
            }

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (res != AAUTH_RESULT_OK) {
                return ngx_http_aauth_refuse(r, alcf, ctx, res);
            }

            ctx->phase = NGX_HTTP_AAUTH_VERIFY;
            break;

        case NGX_HTTP_AAUTH_VERIFY:

            needs_body = false;
            res = aauth_verifier_finish_before_body(ctx->verifier, &ctx->source,
                                                    &needs_body);

            if (res != AAUTH_RESULT_OK) {
                /* A discovered key that failed may be cured by one refetch (SK-09 §7.2). */
                rc = ngx_http_aauth_refetch(r, alcf, ctx, res);

                if (rc == NGX_AGAIN) {
                    return NGX_AGAIN;
                }

                if (rc == NGX_OK) {
                    break;      /* back to KEYS with fresh keys */
                }

                return ngx_http_aauth_refuse(r, alcf, ctx, res);
            }

            if (!needs_body || !ctx->has_body) {
                /* Nothing to read: an absent body is checked as empty. */
                ctx->phase = NGX_HTTP_AAUTH_BODY_END;
                break;
            }

            /*
             * The headers verified: now read the body (into memory or nginx's temporary
             * file, as nginx does for any request), feeding every piece to the digest check
             * as it arrives (ngx_http_aauth_body_filter). A forged request never gets here.
             */

            ctx->phase = NGX_HTTP_AAUTH_BODY;
            ctx->body_feed = 1;

            rc = ngx_http_read_client_request_body(r, ngx_http_aauth_body_handler);

            if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
                ctx->body_feed = 0;
                return rc;
            }

            /* The post handler has run, or runs when the body is complete. */
            ngx_http_finalize_request(r, NGX_DONE);
            return NGX_DONE;

        case NGX_HTTP_AAUTH_BODY:

            if (!ctx->body_done) {
                return NGX_AGAIN;
            }

            ctx->phase = NGX_HTTP_AAUTH_BODY_END;
            break;

        case NGX_HTTP_AAUTH_BODY_END:

            ctx->body_feed = 0;

            if (ctx->fed_file) {
                /* Not reached: request body filters see memory buffers. Refuse rather than
                 * let an unchecked body through. */
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "aauth: a body buffer in a file reached the digest "
                              "check");
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            res = aauth_verifier_body_finish(ctx->verifier, &ctx->ident);
            if (res != AAUTH_RESULT_OK) {
                return ngx_http_aauth_refuse(r, alcf, ctx, res);
            }

            if (alcf->replay && ngx_http_aauth_replay_check(r, ctx) != NGX_OK) {
                res = aauth_verifier_replayed(ctx->verifier);
                return ngx_http_aauth_refuse(r, alcf, ctx, res);
            }

            rc = ngx_http_aauth_accept(r, alcf, ctx);

            ctx->phase = NGX_HTTP_AAUTH_DONE;
            ctx->rc = rc;
            return rc;

        default: /* NGX_HTTP_AAUTH_DONE */
            return ctx->rc;
        }
    }
}


/*
 * The key source for the plan, in ctx->source. The plan's signer is looked up in the static
 * trust store first, then (with aauth_discovery) in the shared discovery cache or fetched.
 * Returns the verification failure to refuse with, or AAUTH_RESULT_OK; *rc is NGX_AGAIN while
 * a fetch is under way, NGX_ERROR on an internal error.
 */
static aauth_result
ngx_http_aauth_keys(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, ngx_int_t *rc)
{
    uint32_t                   scheme;
    ngx_str_t                  id, kid, cid, esc;
    aauth_result               res;
    const aauth_jwks_key      *k;
    ngx_http_aauth_decoded_t  *t;

    ngx_memzero(&ctx->source, sizeof(aauth_key_source));

    switch (ctx->plan.fetch) {

    case AAUTH_FETCH_NOTHING:
        /* hwk, jkt-jwt: the request carries its key. */
        ctx->source.kind = AAUTH_KEY_KIND_INLINE;
        return AAUTH_RESULT_OK;

    case AAUTH_FETCH_METADATA:
    case AAUTH_FETCH_JWKS:

        if (ngx_http_aauth_text(r, &ctx->plan.signer, &id) != NGX_OK
            || ngx_http_aauth_text(r, &ctx->plan.kid, &kid) != NGX_OK)
        {
            *rc = NGX_ERROR;
            return AAUTH_RESULT_OK;
        }

        t = ngx_http_aauth_lookup(alcf, &id);

        if (t != NULL) {
            /* The configuration vouches for this signer's JWKS (no metadata document);
             * its keys were decoded at configuration load. */
            k = ngx_http_aauth_find_kid(t->keys, t->nkeys, &kid);

            if (k != NULL) {
                ctx->decoded = *k;
                ctx->source.kind = AAUTH_KEY_KIND_DECODED;
                ctx->source.decoded = &ctx->decoded;

            } else {
                /* Not among the decoded kids: the core's answer from the document. */
                ctx->source.kind = AAUTH_KEY_KIND_TRUSTED_JWKS;
                ctx->source.jwks.data = t->jwks.data;
                ctx->source.jwks.len = t->jwks.len;
            }

            return AAUTH_RESULT_OK;
        }

        if (alcf->discovery.len) {
            *rc = ngx_http_aauth_discover(r, alcf, ctx, &res);
            return res;
        }

        if (ngx_http_aauth_escape(r->pool, &id, &esc) == NULL) {
            *rc = NGX_ERROR;
            return AAUTH_RESULT_OK;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aauth: \"%V\" is not in aauth_trusted_keys", &esc);

        return aauth_verifier_host_refusal(ctx->verifier, AAUTH_RESULT_UNKNOWN_KEY);

    case AAUTH_FETCH_ASSERTION:

        if (ctx->resolved) {
            /* An assertion never stands for another `cached` one. */
            return aauth_verifier_host_refusal(ctx->verifier,
                                               AAUTH_RESULT_INVALID_REQUEST);
        }

        if (ngx_http_aauth_text(r, &ctx->plan.cid, &cid) != NGX_OK) {
            *rc = NGX_ERROR;
            return AAUTH_RESULT_OK;
        }

        scheme = 0;

        if (ngx_http_aauth_assertion_lookup(r, ctx, &cid, &scheme) != NGX_OK) {
            return aauth_verifier_cache_miss(ctx->verifier);
        }

        /*
         * SAFETY: the assertion was copied into the request pool, which outlives the
         * verifier's last call. Resolution and validation are separate: a resolved assertion
         * that then fails is its own error, never cache_miss.
         */
        ctx->resolved = 1;

        res = aauth_verifier_resolve_assertion(ctx->verifier, ctx->assertion.data,
                                               ctx->assertion.len, scheme,
                                               &ctx->plan);
        if (res != AAUTH_RESULT_OK) {
            return res;
        }

        return ngx_http_aauth_keys(r, alcf, ctx, rc);

    default:
        /* AAUTH_FETCH_CALLER_KEY (no Signature-Key): the policy always requires one. */
        return aauth_verifier_host_refusal(ctx->verifier, AAUTH_RESULT_UNKNOWN_KEY);
    }
}


static void
ngx_http_aauth_body_handler(ngx_http_request_t *r)
{
    ngx_http_aauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);
    ctx->body_done = 1;

    /* Resume the phases: the access handler runs again and ends the body check. */
    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/*
 * Feeds each piece of the request body, as nginx reads it and before it is buffered or
 * written to a temporary file, to the pending digest check of a request whose headers
 * verified. Bodies of other requests pass untouched.
 */
static ngx_int_t
ngx_http_aauth_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t             *b;
    ngx_chain_t           *cl;
    ngx_http_aauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

    if (ctx != NULL && ctx->body_feed && r == r->main) {

        for (cl = in; cl; cl = cl->next) {
            b = cl->buf;

            if (ngx_buf_in_memory(b)) {
                if (b->last > b->pos
                    && aauth_verifier_body_update(ctx->verifier, b->pos,
                                                  b->last - b->pos)
                       != AAUTH_RESULT_OK)
                {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }

            } else if (b->in_file) {
                ctx->fed_file = 1;
            }
        }
    }

    return ngx_http_next_request_body_filter(r, in);
}


/* A verified request: the identity into variables, the replay and assertion caches. */
static ngx_int_t
ngx_http_aauth_accept(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx)
{
    ngx_str_t  agent;

    if (ctx->ident.scheme < NGX_HTTP_AAUTH_NSCHEMES) {
        ctx->scheme = ngx_http_aauth_scheme_names[ctx->ident.scheme];
    }

    if (ngx_http_aauth_text(r, &ctx->ident.agent, &ctx->agent) != NGX_OK
        || ngx_http_aauth_text(r, &ctx->ident.issuer, &ctx->issuer) != NGX_OK
        || ngx_http_aauth_text(r, &ctx->ident.kid, &ctx->kid) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->thumbprint.data = ngx_pnalloc(r->pool, AAUTH_THUMBPRINT_LEN);
    if (ctx->thumbprint.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->thumbprint.data, ctx->ident.thumbprint, AAUTH_THUMBPRINT_LEN);
    ctx->thumbprint.len = AAUTH_THUMBPRINT_LEN;

    if (ctx->ident.cache_requested) {
        if (ngx_http_aauth_assertion_store(r, ctx) == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    if (r->connection->log->log_level >= NGX_LOG_INFO) {
        if (ngx_http_aauth_escape(r->pool, &ctx->agent, &agent) == NULL) {
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aauth: verified %V agent \"%V\" key %V",
                      &ctx->scheme, &agent, &ctx->thumbprint);
    }

    return NGX_OK;
}


/*
 * A refusal: the library's Signature-Error (and Accept-Signature-Scheme /
 * Accept-Signature-Alg where they apply) and its application/problem+json body, with 401
 * (aauth_status aauth) or SK-09's status (aauth_status signature-key). Under `aauth observe`
 * the request goes on, with $aauth_error set.
 */
static ngx_int_t
ngx_http_aauth_refuse(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_result res)
{
    u_char               buf[512], detail[128];
    size_t               n, dn;
    uint16_t             check, status;
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    const char          *token, *cname;
    ngx_table_elt_t     *h;
    aauth_request_facts  facts;

    ctx->phase = NGX_HTTP_AAUTH_DONE;
    ctx->body_feed = 0;

    if (!aauth_result_is_verification_error(res)) {
        /* An API misuse or a caught panic: a bug, not a verdict about the request. */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "aauth: libaauth_verify returned %s",
                      aauth_result_name(res));
        ctx->rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return ctx->rc;
    }

    token = aauth_result_token(res);
    ctx->error.data = (u_char *) token;
    ctx->error.len = ngx_strlen(token);

    check = 0;
    (void) aauth_verifier_last_check(ctx->verifier, &check);
    cname = aauth_check_name(check);
    if (cname) {
        ctx->check.data = (u_char *) cname;
        ctx->check.len = ngx_strlen(cname);
    }

    dn = 0;
    if (aauth_verifier_detail(ctx->verifier, detail, sizeof(detail), &dn)
        != AAUTH_RESULT_OK)
    {
        dn = 0;
    }

    /* The token and the check's detail are static texts of the library: nothing from the
     * request is written into the log line. */
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "aauth: %s: %V (%*s)",
                  alcf->mode == NGX_HTTP_AAUTH_OBSERVE ? "observed" : "rejected",
                  &ctx->error, dn, detail);

    if (alcf->mode == NGX_HTTP_AAUTH_OBSERVE) {
        ctx->rc = NGX_DECLINED;
        return NGX_DECLINED;
    }

    status = aauth_result_status(res, alcf->status == NGX_HTTP_AAUTH_STATUS_AAUTH);

    /* What the request carries that the policy's required_input depends on; the body is
     * not read, so its presence is the framing's. */
    n = 0;
    if (aauth_request_facts_of(&ctx->req, &facts) != AAUTH_RESULT_OK) {
        ngx_memzero(&facts, sizeof(facts));
    }

    facts.body = ctx->has_body;

    if (aauth_signature_error(res, &alcf->policy, &facts, buf, sizeof(buf), &n)
        != AAUTH_RESULT_OK)
    {
        ctx->rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return ctx->rc;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = ngx_http_aauth_signature_error;
    h->value.data = ngx_pnalloc(r->pool, n);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(h->value.data, buf, n);
    h->value.len = n;

    if (res == AAUTH_RESULT_UNSUPPORTED_SCHEME || res == AAUTH_RESULT_UNSUPPORTED_ALGORITHM) {
        n = 0;
        rc = (res == AAUTH_RESULT_UNSUPPORTED_SCHEME)
             ? aauth_accept_signature_scheme((uint32_t) alcf->policy.schemes, buf,
                                             sizeof(buf), &n)
             : aauth_accept_signature_alg(buf, sizeof(buf), &n);

        if (rc == AAUTH_RESULT_OK) {
            h = ngx_list_push(&r->headers_out.headers);
            if (h == NULL) {
                return NGX_ERROR;
            }

            h->hash = 1;
            h->key = (res == AAUTH_RESULT_UNSUPPORTED_SCHEME)
                     ? ngx_http_aauth_accept_scheme : ngx_http_aauth_accept_alg;
            h->value.data = ngx_pnalloc(r->pool, n);
            if (h->value.data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(h->value.data, buf, n);
            h->value.len = n;
        }
    }

    /* The Problem Details body: the code, its title and the check's static detail. */
    n = 0;
    if (aauth_problem_details(res, check, status, buf, sizeof(buf), &n)
        != AAUTH_RESULT_OK)
    {
        n = 0;
    }

    b = ngx_create_temp_buf(r->pool, n ? n : 1);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->pos, buf, n);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_aauth_problem_type;
    r->headers_out.content_type_len = ngx_http_aauth_problem_type.len;
    r->headers_out.content_length_n = n;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);

    } else {
        ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
    }

    ctx->rc = NGX_DONE;
    return NGX_DONE;
}


/* Copies a text out of the request or verifier into the request pool, unescaped. */
static ngx_int_t
ngx_http_aauth_text(ngx_http_request_t *r, const aauth_text *t, ngx_str_t *out)
{
    size_t   n;
    u_char  *p;

    out->data = NULL;
    out->len = 0;

    if (t->data == NULL || t->len == 0) {
        return NGX_OK;
    }

    /* The unescaped value is never longer than the raw bytes. */
    p = ngx_pnalloc(r->pool, t->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = 0;
    if (aauth_text_unescape(t, p, t->len, &n) != AAUTH_RESULT_OK) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = n;

    return NGX_OK;
}


/*
 * Escapes text the request chose (an unverified token's iss, a key id) for the error log:
 * every byte outside printable ASCII, and '"' and '\', becomes \xHH, so that no value can
 * end a log line, start a forged one, or break out of its quotes.
 */
static u_char *
ngx_http_aauth_escape(ngx_pool_t *pool, ngx_str_t *in, ngx_str_t *out)
{
    static u_char  hex[] = "0123456789abcdef";

    u_char      c, *p;
    ngx_uint_t  i;

    p = ngx_pnalloc(pool, in->len * 4 + 1);
    if (p == NULL) {
        return NULL;
    }

    out->data = p;

    for (i = 0; i < in->len; i++) {
        c = in->data[i];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *p++ = c;

        } else {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];
        }
    }

    out->len = p - out->data;

    return out->data;
}


static ngx_http_aauth_decoded_t *
ngx_http_aauth_lookup(ngx_http_aauth_loc_conf_t *alcf, ngx_str_t *id)
{
    ngx_uint_t                 i;
    ngx_http_aauth_decoded_t  *t;

    if (alcf->decoded == NULL || id->len == 0) {
        return NULL;
    }

    t = alcf->decoded->elts;

    for (i = 0; i < alcf->decoded->nelts; i++) {
        if (t[i].id.len == id->len
            && ngx_memcmp(t[i].id.data, id->data, id->len) == 0)
        {
            return &t[i];
        }
    }

    return NULL;
}


static const aauth_jwks_key *
ngx_http_aauth_find_kid(const aauth_jwks_key *keys, size_t n, ngx_str_t *kid)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (keys[i].kid_len == kid->len
            && ngx_memcmp(keys[i].kid, kid->data, kid->len) == 0)
        {
            return &keys[i];
        }
    }

    return NULL;
}


/* The revocation callback over the sorted "iss\njti" list (aauth_revoked_jti). */
static bool
ngx_http_aauth_revoked(void *data, const uint8_t *iss, size_t iss_len,
    const uint8_t *jti, size_t jti_len)
{
    ngx_array_t  *list = data;

    size_t      n;
    ngx_int_t   c;
    ngx_str_t  *s;
    ngx_uint_t  lo, hi, mid;
    u_char      key[2 * NGX_HTTP_AAUTH_MAX_JWT + 1];

    if (iss_len + 1 + jti_len > sizeof(key)) {
        return false;
    }

    n = iss_len + 1 + jti_len;
    ngx_memcpy(key, iss, iss_len);
    key[iss_len] = '\n';
    ngx_memcpy(key + iss_len + 1, jti, jti_len);

    s = list->elts;
    lo = 0;
    hi = list->nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = ngx_memn2cmp(s[mid].data, key, s[mid].len, n);

        if (c == 0) {
            return true;
        }

        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return false;
}


/*
 * Removes client-sent headers whose names the module reserves (aauth_reserved_headers,
 * default X-AAuth-*) before any upstream sees them, in every location, whatever its
 * proxy_set_header lines say (nginx inherits proxy_set_header only into locations that set
 * none). Runs in the precontent phase, after the access phase verified the request with every
 * header it carried.
 */
static ngx_int_t
ngx_http_aauth_strip_handler(ngx_http_request_t *r)
{
    ngx_uint_t                  i, j, found, nres;
    ngx_list_t                  list;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h, *nh;
    ngx_http_aauth_reserved_t  *res, def;
    ngx_http_aauth_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_aauth_module);

    if (alcf->reserved_off || r != r->main) {
        return NGX_DECLINED;
    }

    if (alcf->reserved) {
        res = alcf->reserved->elts;
        nres = alcf->reserved->nelts;

    } else {
        def.name = ngx_http_aauth_default_reserved;
        def.prefix = 1;
        res = &def;
        nres = 1;
    }

#define ngx_http_aauth_reserved(h)                                            \
    ({ ngx_uint_t _k, _hit = 0;                                               \
       for (_k = 0; _k < nres && !_hit; _k++) {                               \
           _hit = (res[_k].prefix ? (h)->key.len >= res[_k].name.len          \
                                  : (h)->key.len == res[_k].name.len)         \
                  && ngx_strncasecmp((h)->key.data, res[_k].name.data,        \
                                     res[_k].name.len) == 0;                  \
       }                                                                      \
       _hit; })

    found = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_aauth_reserved(&h[i])) {
            found++;
        }
    }

    if (found == 0) {
        return NGX_DECLINED;
    }

    if (ngx_list_init(&list, r->pool, 20, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0, j = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_aauth_reserved(&h[i])) {
            j++;
            continue;
        }

        nh = ngx_list_push(&list);
        if (nh == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        *nh = h[i];
    }

#undef ngx_http_aauth_reserved

    r->headers_in.headers = list;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "aauth: removed %ui reserved request headers", j);

    return NGX_DECLINED;
}


/* Adds Signature-Key-Cache to the response of a request whose assertion was cached. */
static ngx_int_t
ngx_http_aauth_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t       *h;
    ngx_http_aauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

    if (r != r->main) {
        if (ctx != NULL && ctx->fetch != NULL) {
            (void) ngx_http_aauth_fetch_header(r, ctx);
        }

        return ngx_http_next_header_filter(r);
    }

    if (ctx != NULL && ctx->cache_header.len) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        h->key = ngx_http_aauth_key_cache;
        h->value = ctx->cache_header;
        ctx->cache_header.len = 0;
    }

    return ngx_http_next_header_filter(r);
}


/* Bounds the body of a discovery fetch subrequest (see ngx_http_aauth_fetch_body). */
static ngx_int_t
ngx_http_aauth_output_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_http_aauth_ctx_t  *ctx;

    if (r != r->main) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

        if (ctx != NULL && ctx->fetch != NULL && in != NULL) {
            in = ngx_http_aauth_fetch_body(r, ctx, in);
            if (in == NULL) {
                /* Every buffer was discarded (or no memory): nothing to pass on. */
                return ctx->fetch->parent->fetch_big ? NGX_OK : NGX_ERROR;
            }
        }
    }

    return ngx_http_next_body_filter(r, in);
}


/* Shared zones ****************************************************************/


static uint32_t
ngx_http_aauth_hash(u_char *key, size_t len)
{
    return ngx_murmur_hash2(key, len);
}


static void
ngx_http_aauth_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t       **p;
    ngx_http_aauth_entry_t   *e, *et;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else { /* node->key == temp->key */
            e = (ngx_http_aauth_entry_t *) node;
            et = (ngx_http_aauth_entry_t *) temp;

            p = (ngx_memn2cmp(e->data, et->data, e->key_len, et->key_len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* The zone's shared mutex must be held. */
static ngx_http_aauth_entry_t *
ngx_http_aauth_zone_find(ngx_http_aauth_zone_t *z, u_char *key, size_t len,
    uint32_t hash)
{
    ngx_int_t                rc;
    ngx_rbtree_node_t       *node, *sentinel;
    ngx_http_aauth_entry_t  *e;

    node = z->sh->rbtree.root;
    sentinel = z->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        e = (ngx_http_aauth_entry_t *) node;
        rc = ngx_memn2cmp(key, e->data, len, e->key_len);

        if (rc == 0) {
            return e;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* Removes the entries that expired before `now`, oldest first (at most n). Locked. */
static void
ngx_http_aauth_zone_expire(ngx_http_aauth_zone_t *z, time_t now, ngx_uint_t n)
{
    ngx_queue_t             *q, *prev;
    ngx_http_aauth_entry_t  *e;

    for (q = ngx_queue_last(&z->sh->queue);
         n && q != ngx_queue_sentinel(&z->sh->queue);
         q = prev, n--)
    {
        prev = ngx_queue_prev(q);
        e = ngx_queue_data(q, ngx_http_aauth_entry_t, queue);

        if (e->expires && e->expires < now) {
            ngx_http_aauth_zone_delete(z, e);
        }
    }
}


static void
ngx_http_aauth_zone_delete(ngx_http_aauth_zone_t *z, ngx_http_aauth_entry_t *e)
{
    ngx_queue_remove(&e->queue);
    ngx_rbtree_delete(&z->sh->rbtree, &e->node);
    ngx_slab_free_locked(z->shpool, e);
}


/*
 * Inserts an entry (the key copied, the value left for the caller to fill). A full zone
 * evicts its oldest entries until the new one fits: it never refuses an entry that can fit at
 * all. Locked. NULL only when the entry is larger than the whole zone.
 */
static ngx_http_aauth_entry_t *
ngx_http_aauth_zone_insert(ngx_http_aauth_zone_t *z, u_char *key, size_t len,
    uint32_t hash, size_t value_len, time_t expires)
{
    size_t                   size;
    ngx_queue_t             *q;
    ngx_http_aauth_entry_t  *e;

    size = offsetof(ngx_http_aauth_entry_t, data) + len + value_len;

    for ( ;; ) {
        e = ngx_slab_alloc_locked(z->shpool, size);
        if (e != NULL) {
            break;
        }

        if (ngx_queue_empty(&z->sh->queue)) {
            return NULL;
        }

        q = ngx_queue_last(&z->sh->queue);
        ngx_http_aauth_zone_delete(z, ngx_queue_data(q, ngx_http_aauth_entry_t,
                                                     queue));
        z->sh->evicted++;
    }

    e->node.key = hash;
    e->key_len = (uint16_t) len;
    e->value_len = (uint32_t) value_len;
    e->expires = expires;
    ngx_memcpy(e->data, key, len);

    ngx_rbtree_insert(&z->sh->rbtree, &e->node);
    ngx_queue_insert_head(&z->sh->queue, &e->queue);

    return e;
}


static ngx_http_aauth_zone_t *
ngx_http_aauth_zone_of(ngx_shm_zone_t *shm_zone)
{
    return shm_zone ? shm_zone->data : NULL;
}


/*
 * The replay cache across workers: the core's replay key (SHA-256 of the request key and the
 * signature base), remembered until the core's replay_until. Insert-if-absent under the zone's
 * lock, written only once the request verified. NGX_DECLINED: a replay.
 */
static ngx_int_t
ngx_http_aauth_replay_check(ngx_http_request_t *r, ngx_http_aauth_ctx_t *ctx)
{
    time_t                       now;
    uint32_t                     hash;
    ngx_int_t                    rc;
    ngx_http_aauth_zone_t       *z;
    ngx_http_aauth_entry_t      *e;
    ngx_http_aauth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_aauth_module);
    z = ngx_http_aauth_zone_of(amcf->replay_zone);

    if (z == NULL || !ctx->ident.has_replay_key) {
        return NGX_OK;
    }

    now = ngx_time();
    hash = ngx_http_aauth_hash(ctx->ident.replay_key, 32);
    rc = NGX_OK;

    ngx_shmtx_lock(&z->shpool->mutex);

    ngx_http_aauth_zone_expire(z, now, 2);

    e = ngx_http_aauth_zone_find(z, ctx->ident.replay_key, 32, hash);

    if (e != NULL && e->expires >= now) {
        rc = NGX_DECLINED;

    } else {
        if (e != NULL) {
            ngx_http_aauth_zone_delete(z, e);
        }

        /* Remembered until the last second the same request would be accepted. */
        (void) ngx_http_aauth_zone_insert(z, ctx->ident.replay_key, 32, hash, 0,
                                          (time_t) ctx->ident.replay_until);
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    return rc;
}


/* An assertion entry's value: the scheme, then the compact assertion. */
typedef struct {
    uint32_t                  scheme;
    uint32_t                  len;
} ngx_http_aauth_assertion_t;


/* Resolves a `cached` identifier: the assertion copied into the request pool. */
static ngx_int_t
ngx_http_aauth_assertion_lookup(ngx_http_request_t *r, ngx_http_aauth_ctx_t *ctx,
    ngx_str_t *cid, uint32_t *scheme)
{
    time_t                       now;
    u_char                      *p;
    uint32_t                     hash;
    ngx_int_t                    rc;
    ngx_http_aauth_zone_t       *z;
    ngx_http_aauth_entry_t      *e;
    ngx_http_aauth_assertion_t   a;
    ngx_http_aauth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_aauth_module);
    z = ngx_http_aauth_zone_of(amcf->assertion_zone);

    if (z == NULL || cid->len == 0 || cid->len > 64) {
        return NGX_DECLINED;
    }

    now = ngx_time();
    hash = ngx_http_aauth_hash(cid->data, cid->len);
    rc = NGX_DECLINED;

    p = ngx_pnalloc(r->pool, NGX_HTTP_AAUTH_MAX_JWT);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&z->shpool->mutex);

    e = ngx_http_aauth_zone_find(z, cid->data, cid->len, hash);

    if (e != NULL && e->expires >= now
        && e->value_len >= sizeof(ngx_http_aauth_assertion_t))
    {
        ngx_memcpy(&a, e->data + e->key_len, sizeof(a));

        if (a.len <= NGX_HTTP_AAUTH_MAX_JWT
            && a.len + sizeof(a) <= e->value_len)
        {
            ngx_memcpy(p, e->data + e->key_len + sizeof(a), a.len);
            ctx->assertion.data = p;
            ctx->assertion.len = a.len;
            *scheme = a.scheme;
            rc = NGX_OK;
        }

    } else if (e != NULL) {
        ngx_http_aauth_zone_delete(z, e);
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    return rc;
}


/*
 * After a `;cache` assertion verified: a cid from the system's CSPRNG (getrandom), the
 * library's Signature-Key-Cache value for the response, and the assertion stored under the
 * cid until the library's expiry. Without an assertion zone, nothing (the signer keeps
 * sending the assertion in full).
 */
static ngx_int_t
ngx_http_aauth_assertion_store(ngx_http_request_t *r, ngx_http_aauth_ctx_t *ctx)
{
    u_char                       rnd[16], hdr[512];
    size_t                       n, len;
    ssize_t                      got;
    uint32_t                     hash;
    ngx_http_aauth_zone_t       *z;
    aauth_issued                 issued;
    ngx_http_aauth_entry_t      *e;
    ngx_http_aauth_assertion_t   a;
    ngx_http_aauth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_aauth_module);
    z = ngx_http_aauth_zone_of(amcf->assertion_zone);

    if (z == NULL || ctx->ident.cache_assertion.len > NGX_HTTP_AAUTH_MAX_JWT) {
        return NGX_DECLINED;
    }

    got = getrandom(rnd, sizeof(rnd), 0);
    if (got != (ssize_t) sizeof(rnd)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "aauth: getrandom() failed: no cache identifier issued");
        return NGX_DECLINED;
    }

    n = 0;
    if (aauth_verifier_issue_cid(ctx->verifier, rnd, sizeof(rnd), 86400, &issued,
                                 hdr, sizeof(hdr), &n)
        != AAUTH_RESULT_OK)
    {
        return NGX_DECLINED;
    }

    len = ngx_strlen(issued.cid);
    hash = ngx_http_aauth_hash((u_char *) issued.cid, len);

    a.scheme = ctx->ident.cache_scheme;
    a.len = (uint32_t) ctx->ident.cache_assertion.len;

    ngx_shmtx_lock(&z->shpool->mutex);

    ngx_http_aauth_zone_expire(z, ngx_time(), 2);

    e = ngx_http_aauth_zone_insert(z, (u_char *) issued.cid, len, hash,
                                   sizeof(a) + a.len, (time_t) issued.expires);
    if (e != NULL) {
        ngx_memcpy(e->data + len, &a, sizeof(a));
        ngx_memcpy(e->data + len + sizeof(a), ctx->ident.cache_assertion.data, a.len);
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    if (e == NULL) {
        return NGX_DECLINED;
    }

    ctx->cache_header.data = ngx_pnalloc(r->pool, n);
    if (ctx->cache_header.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->cache_header.data, hdr, n);
    ctx->cache_header.len = n;

    return NGX_OK;
}


/* Discovery (see below) ********************************************************/

#include "ngx_http_aauth_discovery.c"


/* Variables *********************************************************************/


static ngx_int_t
ngx_http_aauth_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t             *s;
    ngx_http_aauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_aauth_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/* $aauth_fetch_*: set only in a discovery subrequest. */
static ngx_int_t
ngx_http_aauth_fetch_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t             *s;
    ngx_http_aauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

    if (r == r->main || ctx == NULL || ctx->fetch == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx->fetch + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/* Configuration *************************************************************/


static ngx_int_t
ngx_http_aauth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_aauth_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_aauth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    if (ngx_strcmp(aauth_verify_version(), AAUTH_VERIFY_VERSION) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "ngx_http_aauth_module was built with aauth_verify.h "
                           "%s but linked with libaauth_verify %s",
                           AAUTH_VERIFY_VERSION, aauth_verify_version());
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_aauth_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_aauth_strip_handler;

    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_aauth_body_filter;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_aauth_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_aauth_output_body_filter;

    return NGX_OK;
}


static void *
ngx_http_aauth_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_aauth_main_conf_t));
}


static void *
ngx_http_aauth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_aauth_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_aauth_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->authority = { 0, NULL };
     *     conf->required = NULL;
     *     conf->trusted = NULL;
     *     conf->reserved = NULL;
     *     conf->revoked = NULL;
     *     conf->discovery = { 0, NULL };
     *     conf->allow = conf->http = conf->private_ = NULL;
     *     conf->policy_ready = 0;
     */

    conf->mode = NGX_CONF_UNSET_UINT;
    conf->window = NGX_CONF_UNSET;
    conf->profile = NGX_CONF_UNSET_UINT;
    conf->schemes = NGX_CONF_UNSET_UINT;
    conf->test_now = NGX_CONF_UNSET;
    conf->reserved_off = NGX_CONF_UNSET;
    conf->require_body_digest = NGX_CONF_UNSET;
    conf->require_query = NGX_CONF_UNSET;
    conf->check_host = NGX_CONF_UNSET;
    conf->status = NGX_CONF_UNSET_UINT;
    conf->replay = NGX_CONF_UNSET;
    conf->ttl_min = NGX_CONF_UNSET;
    conf->ttl_max = NGX_CONF_UNSET;
    conf->fetch_timeout = NGX_CONF_UNSET_MSEC;
    conf->refetch_interval = NGX_CONF_UNSET;

    return conf;
}


static const char *
ngx_http_aauth_mode_name(ngx_uint_t mode)
{
    switch (mode) {
    case NGX_HTTP_AAUTH_ON:
        return "on";
    case NGX_HTTP_AAUTH_OPTIONAL:
        return "optional";
    case NGX_HTTP_AAUTH_OBSERVE:
        return "observe";
    default:
        return "off";
    }
}


static char *
ngx_http_aauth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_aauth_loc_conf_t *prev = parent;
    ngx_http_aauth_loc_conf_t *conf = child;

    u_char                       buf[512];
    size_t                       n;
    ngx_uint_t                   i;
    aauth_result                 res;
    aauth_request_facts          all;
    ngx_http_aauth_trusted_t    *t;
    ngx_http_aauth_decoded_t    *d;
    ngx_http_aauth_main_conf_t  *amcf;

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_AAUTH_OFF);
    ngx_conf_merge_str_value(conf->authority, prev->authority, "");
    ngx_conf_merge_value(conf->window, prev->window, NGX_CONF_UNSET);
    ngx_conf_merge_uint_value(conf->profile, prev->profile,
                              AAUTH_PROFILE_STRICT);
    ngx_conf_merge_uint_value(conf->schemes, prev->schemes,
                              NGX_CONF_UNSET_UINT);
    ngx_conf_merge_value(conf->test_now, prev->test_now, NGX_CONF_UNSET);
    ngx_conf_merge_value(conf->reserved_off, prev->reserved_off, 0);
    ngx_conf_merge_value(conf->require_body_digest, prev->require_body_digest, 0);
    ngx_conf_merge_value(conf->require_query, prev->require_query, 0);
    ngx_conf_merge_value(conf->check_host, prev->check_host, 0);
    ngx_conf_merge_uint_value(conf->status, prev->status,
                              NGX_HTTP_AAUTH_STATUS_AAUTH);
    ngx_conf_merge_value(conf->replay, prev->replay, 0);
    if (conf->discovery.data == NULL) {
        conf->discovery = prev->discovery;
    }
    if (conf->ttl_min == NGX_CONF_UNSET) {
        conf->ttl_min = prev->ttl_min == NGX_CONF_UNSET ? 300 : prev->ttl_min;
        conf->ttl_max = prev->ttl_max == NGX_CONF_UNSET ? 86400 : prev->ttl_max;
    }
    ngx_conf_merge_msec_value(conf->fetch_timeout, prev->fetch_timeout, 5000);
    ngx_conf_merge_value(conf->refetch_interval, prev->refetch_interval, 60);

    if (conf->required == NULL) {
        conf->required = prev->required;
    }

    if (conf->trusted == NULL) {
        conf->trusted = prev->trusted;
    }

    if (conf->reserved == NULL && conf->reserved_off == prev->reserved_off) {
        conf->reserved = prev->reserved;
    }

    if (conf->revoked == NULL) {
        conf->revoked = prev->revoked;
    }

    if (conf->allow == NULL) {
        conf->allow = prev->allow;
    }

    if (conf->http == NULL) {
        conf->http = prev->http;
    }

    if (conf->private_ == NULL) {
        conf->private_ = prev->private_;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_aauth_module);

    if (aauth_policy_default((uint32_t) conf->profile, &conf->policy)
        != AAUTH_RESULT_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->window != NGX_CONF_UNSET) {
        conf->policy.window = (uint64_t) conf->window;
    }

    if (conf->required != NULL) {
        conf->policy.required = conf->required->elts;
        conf->policy.required_len = conf->required->nelts;
    }

    conf->policy.require_content_digest_with_body = conf->require_body_digest ? true
                                                                              : false;
    conf->policy.require_query = conf->require_query ? true : false;

    if (conf->schemes != NGX_CONF_UNSET_UINT) {
        conf->policy.schemes = (uint32_t) conf->schemes;

        if ((conf->schemes & AAUTH_SCHEMES_CACHED) && amcf->assertion_zone == NULL
            && conf->mode != NGX_HTTP_AAUTH_OFF)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"aauth_schemes cached\" needs "
                               "\"aauth_assertion_zone\"");
            return NGX_CONF_ERROR;
        }

    } else {
        /*
         * With a trust store (or discovery) and no explicit aauth_schemes, the schemes whose
         * key the request carries (hwk, jkt-jwt) are refused: a configuration that names the
         * signers it trusts must not let a random key through. List them in aauth_schemes to
         * accept pseudonymous signers next to the vouched ones.
         */
        if (conf->trusted != NULL || conf->discovery.len) {
            conf->policy.schemes &= ~(uint32_t) NGX_HTTP_AAUTH_SELF_ASSERTED;
        }

        if (amcf->assertion_zone != NULL) {
            conf->policy.schemes |= AAUTH_SCHEMES_CACHED;
        }
    }

    /* The policy must render its invalid_input answer (the longest Signature-Error). */
    all.authorization = true;
    all.body = true;
    all.query = true;
    n = 0;
    if (aauth_signature_error(AAUTH_RESULT_INVALID_INPUT, &conf->policy, &all,
                              buf, sizeof(buf), &n)
        != AAUTH_RESULT_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "aauth_required_components: the list is too long "
                           "for a Signature-Error field");
        return NGX_CONF_ERROR;
    }

    if (conf->mode != NGX_HTTP_AAUTH_OFF && conf->authority.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aauth %s\" needs \"aauth_authority\": the "
                           "canonical authority clients sign (never taken "
                           "from Host)", ngx_http_aauth_mode_name(conf->mode));
        return NGX_CONF_ERROR;
    }

    if (conf->replay && amcf->replay_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aauth_replay on\" needs \"aauth_replay_zone\"");
        return NGX_CONF_ERROR;
    }

    if (conf->discovery.len && conf->mode != NGX_HTTP_AAUTH_OFF) {
        if (amcf->discovery_zone == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"aauth_discovery\" needs \"aauth_discovery_zone\"");
            return NGX_CONF_ERROR;
        }

        if (conf->allow == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"aauth_discovery\" needs \"aauth_discovery_allow\": "
                               "the origins it may fetch from (\"*\" for any)");
            return NGX_CONF_ERROR;
        }
    }

    if (conf->ttl_min > conf->ttl_max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aauth_discovery_ttl\": the minimum exceeds the maximum");
        return NGX_CONF_ERROR;
    }

    /* The trust store, decoded once under this location's key rules. */
    if (conf->trusted != NULL && conf->mode != NGX_HTTP_AAUTH_OFF) {
        conf->decoded = ngx_array_create(cf->pool, conf->trusted->nelts,
                                         sizeof(ngx_http_aauth_decoded_t));
        if (conf->decoded == NULL) {
            return NGX_CONF_ERROR;
        }

        t = conf->trusted->elts;

        for (i = 0; i < conf->trusted->nelts; i++) {
            d = ngx_array_push(conf->decoded);
            if (d == NULL) {
                return NGX_CONF_ERROR;
            }

            d->id = t[i].id;
            d->jwks = t[i].jwks;
            d->keys = ngx_pcalloc(cf->pool,
                                  AAUTH_MAX_JWKS_KIDS * sizeof(aauth_jwks_key));
            if (d->keys == NULL) {
                return NGX_CONF_ERROR;
            }

            d->nkeys = 0;
            res = aauth_jwks_decode(&conf->policy, t[i].jwks.data, t[i].jwks.len,
                                    d->keys, AAUTH_MAX_JWKS_KIDS, &d->nkeys);

            if (res != AAUTH_RESULT_OK) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "aauth_trusted_keys \"%V\": \"%V\" is not a "
                                   "usable JWKS (%s)", &t[i].id, &t[i].file,
                                   aauth_result_name(res));
                return NGX_CONF_ERROR;
            }
        }
    }

    conf->policy_ready = 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_aauth_mode(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    ngx_str_t  *value;

    if (alcf->mode != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        alcf->mode = NGX_HTTP_AAUTH_OFF;

    } else if (ngx_strcmp(value[1].data, "on") == 0) {
        alcf->mode = NGX_HTTP_AAUTH_ON;

    } else if (ngx_strcmp(value[1].data, "optional") == 0) {
        alcf->mode = NGX_HTTP_AAUTH_OPTIONAL;

    } else if (ngx_strcmp(value[1].data, "observe") == 0) {
        alcf->mode = NGX_HTTP_AAUTH_OBSERVE;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": expected on, off, optional or "
                           "observe", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_aauth_authority(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    u_char      c;
    ngx_uint_t  i;
    ngx_str_t  *value;

    if (alcf->authority.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "needs a non-empty authority";
    }

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#'
            || c == '@' || c == '"')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid authority \"%V\": expected "
                               "host[:port], as clients sign it",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    alcf->authority = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_aauth_required(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    static const char *derived[] = {
        "@method", "@target-uri", "@authority", "@scheme", "@request-target",
        "@path", "@query", NULL
    };

    u_char         c;
    ngx_uint_t     i, j, ok;
    ngx_str_t     *value;
    aauth_slice   *s;

    if (alcf->required != NULL) {
        return "is duplicate";
    }

    if (cf->args->nelts - 1 > AAUTH_MAX_REQUIRED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "at most %d components", AAUTH_MAX_REQUIRED);
        return NGX_CONF_ERROR;
    }

    alcf->required = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                      sizeof(aauth_slice));
    if (alcf->required == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 1 && value[i].data[0] == '-') {
            /* "aauth_required_components -;": no required components. */
            if (cf->args->nelts != 2) {
                return "\"-\" must be the only value";
            }

            return NGX_CONF_OK;
        }

        ok = value[i].len > 0;

        if (ok && value[i].data[0] == '@') {
            ok = 0;

            for (j = 0; derived[j]; j++) {
                if (ngx_strlen(derived[j]) == value[i].len
                    && ngx_strncmp(derived[j], value[i].data, value[i].len)
                       == 0)
                {
                    ok = 1;
                    break;
                }
            }

        } else {
            for (j = 0; ok && j < value[i].len; j++) {
                c = value[i].data[j];
                ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                     || c == '-' || c == '_' || c == '.';
            }
        }

        if (!ok) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid component \"%V\": expected a "
                               "derived component (@method, @authority, "
                               "@path, @query, @scheme, @target-uri, "
                               "@request-target) or a lowercase field name",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(alcf->required);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        /* cf->args words live in the configuration pool. */
        s->data = value[i].data;
        s->len = value[i].len;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_aauth_schemes(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    ngx_uint_t   i, j, bits;
    ngx_str_t   *value;

    if (alcf->schemes != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    bits = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        /* Index 0 ("none") is not a Signature-Key scheme. */
        for (j = 1; j < NGX_HTTP_AAUTH_NSCHEMES; j++) {
            if (ngx_http_aauth_scheme_names[j].len == value[i].len
                && ngx_strncmp(ngx_http_aauth_scheme_names[j].data,
                               value[i].data, value[i].len) == 0)
            {
                break;
            }
        }

        if (j == NGX_HTTP_AAUTH_NSCHEMES) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown scheme \"%V\": expected hwk, "
                               "jwks_uri, jwks, legacy-jwks, jwt, jkt-jwt, "
                               "self-jwt or cached", &value[i]);
            return NGX_CONF_ERROR;
        }

        bits |= (ngx_uint_t) 1 << j;
    }

    alcf->schemes = bits;

    return NGX_CONF_OK;
}


/* Reads a whole small file into the configuration pool. */
static ngx_int_t
ngx_http_aauth_read_file(ngx_conf_t *cf, ngx_str_t *name, size_t max,
    ngx_str_t *out)
{
    u_char           *p;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", name);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", name);
        goto failed;
    }

    size = (size_t) ngx_file_size(&fi);

    if (size == 0 || size > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" has %uz bytes: expected 1 to %uz",
                           name, size, max);
        goto failed;
    }

    p = ngx_pnalloc(cf->pool, size);
    if (p == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, p, size);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", name);
        goto failed;
    }

    if ((size_t) n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "short read of \"%V\"", name);
        goto failed;
    }

    ngx_close_file(fd);

    out->data = p;
    out->len = size;

    return NGX_OK;

failed:

    ngx_close_file(fd);
    return NGX_ERROR;
}


/*
 * aauth_trusted_keys <id-or-issuer> <jwks-file>;
 *
 * A static trust store: the identifier (the plan's signer: the Signature-Key `id` of
 * jwks_uri and legacy jwks, the `url` of jwks, or the `iss` of jwt/self-jwt tokens) maps
 * directly to the JWKS in the file, read now into the configuration pool (a reload reads it
 * again) and decoded at merge under each location's key rules.
 */
static char *
ngx_http_aauth_trusted_keys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    u_char                    *p, *last, c;
    ngx_uint_t                 i;
    ngx_str_t                 *value, name, doc;
    ngx_http_aauth_trusted_t  *t;

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "needs a non-empty identifier";
    }

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid identifier \"%V\": expected an "
                               "HTTPS origin or URL without spaces, quotes "
                               "or backslashes", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (alcf->trusted == NULL) {
        alcf->trusted = ngx_array_create(cf->pool, 4,
                                         sizeof(ngx_http_aauth_trusted_t));
        if (alcf->trusted == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    t = alcf->trusted->elts;

    for (i = 0; i < alcf->trusted->nelts; i++) {
        if (t[i].id.len == value[1].len
            && ngx_memcmp(t[i].id.data, value[1].data, value[1].len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate identifier \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    name = value[2];

    if (ngx_http_aauth_read_file(cf, &name, NGX_HTTP_AAUTH_MAX_JWKS, &doc)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* A shallow check that it is a JWKS; aauth_jwks_decode decides at merge. */
    p = doc.data;
    last = p + doc.len;
    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
    }

    if (p == last || *p != '{'
        || ngx_strlcasestrn(p, last, (u_char *) "\"keys\"", 6 - 1) == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a JWKS: expected a JSON object "
                           "with \"keys\"", &name);
        return NGX_CONF_ERROR;
    }

    t = ngx_array_push(alcf->trusted);
    if (t == NULL) {
        return NGX_CONF_ERROR;
    }

    t->id = value[1];
    t->file = name;
    t->jwks.data = p;
    t->jwks.len = last - p;

    return NGX_CONF_OK;
}


static char *
ngx_http_aauth_test_now(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    ngx_str_t  *value;

    if (alcf->test_now != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    alcf->test_now = ngx_atoi(value[1].data, value[1].len);

    if (alcf->test_now == NGX_ERROR) {
        return "needs a number of seconds since the epoch";
    }

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "aauth_test_now fixes the verifier's clock: for tests "
                       "only, never in production");

    return NGX_CONF_OK;
}


/* aauth_reserved_headers off | <name>|<prefix*> ...; */
static char *
ngx_http_aauth_reserved_headers(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    u_char                     c;
    ngx_uint_t                 i, j;
    ngx_str_t                 *value;
    ngx_http_aauth_reserved_t  *r;

    if (alcf->reserved != NULL || alcf->reserved_off != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        alcf->reserved_off = 1;
        return NGX_CONF_OK;
    }

    alcf->reserved_off = 0;
    alcf->reserved = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                      sizeof(ngx_http_aauth_reserved_t));
    if (alcf->reserved == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        r = ngx_array_push(alcf->reserved);
        if (r == NULL) {
            return NGX_CONF_ERROR;
        }

        r->name = value[i];
        r->prefix = 0;

        if (r->name.len && r->name.data[r->name.len - 1] == '*') {
            r->prefix = 1;
            r->name.len--;
        }

        if (r->name.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        for (j = 0; j < r->name.len; j++) {
            c = r->name.data[j];

            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid header name \"%V\": expected a "
                                   "field name, optionally ending in *",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }
        }
    }

    return NGX_CONF_OK;
}


static int ngx_libc_cdecl
ngx_http_aauth_str_cmp(const void *a, const void *b)
{
    const ngx_str_t  *x = a, *y = b;

    return (int) ngx_memn2cmp(x->data, y->data, x->len, y->len);
}


/*
 * aauth_revoked_jti <file>;  one "iss jti" pair a line ('#' comments, blank lines): tokens
 * the issuer withdrew, read at configuration load (a reload reads the file again), checked by
 * the library's revocation callback after a token's signature verified: revoked_jwt.
 */
static char *
ngx_http_aauth_revoked_jti(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    u_char      *p, *last, *eol, *sp, *e, *jti;
    ngx_str_t   *value, name, doc, *s;
    ngx_uint_t   line;

    if (alcf->revoked != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_http_aauth_read_file(cf, &name, 64 * 1024 * 1024, &doc) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    alcf->revoked = ngx_array_create(cf->pool, 16, sizeof(ngx_str_t));
    if (alcf->revoked == NULL) {
        return NGX_CONF_ERROR;
    }

    p = doc.data;
    last = doc.data + doc.len;
    line = 0;

    while (p < last) {
        line++;
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        e = eol;
        while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }

        while (p < e && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == e || *p == '#') {
            p = eol + 1;
            continue;
        }

        sp = p;
        while (sp < e && *sp != ' ' && *sp != '\t') {
            sp++;
        }

        if (sp == e) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" line %ui: expected \"iss jti\"", &name,
                               line);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(alcf->revoked);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        /* "iss\njti", the key the callback builds: iss is p .. sp, jti jti .. e. */
        jti = sp;
        while (jti < e && (*jti == ' ' || *jti == '\t')) {
            jti++;
        }

        s->len = (sp - p) + 1 + (e - jti);
        s->data = ngx_pnalloc(cf->pool, s->len);
        if (s->data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(s->data, p, sp - p);
        s->data[sp - p] = '\n';
        ngx_memcpy(s->data + (sp - p) + 1, jti, e - jti);

        p = eol + 1;
    }

    ngx_qsort(alcf->revoked->elts, alcf->revoked->nelts, sizeof(ngx_str_t),
              ngx_http_aauth_str_cmp);

    return NGX_CONF_OK;
}


/* aauth_{replay,assertion,discovery}_zone <name> <size>; */
static char *
ngx_http_aauth_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ssize_t                  size;
    ngx_str_t               *value;
    ngx_shm_zone_t         **slot, *shm_zone;
    ngx_http_aauth_zone_t   *z;

    slot = (ngx_shm_zone_t **) (p + cmd->offset);

    if (*slot != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\": at least %uzk",
                           &value[2], (size_t) (8 * ngx_pagesize / 1024));
        return NGX_CONF_ERROR;
    }

    z = ngx_pcalloc(cf->pool, sizeof(ngx_http_aauth_zone_t));
    if (z == NULL) {
        return NGX_CONF_ERROR;
    }

    z->kind.data = (u_char *) cmd->post;
    z->kind.len = ngx_strlen((u_char *) cmd->post);

    shm_zone = ngx_shared_memory_add(cf, &value[1], size, &ngx_http_aauth_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", &value[1]);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_aauth_init_zone;
    shm_zone->data = z;

    *slot = shm_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_aauth_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_aauth_zone_t  *oz = data;

    size_t                  len;
    ngx_http_aauth_zone_t  *z;

    z = shm_zone->data;

    if (oz) {
        if (oz->kind.len != z->kind.len
            || ngx_strncmp(oz->kind.data, z->kind.data, z->kind.len) != 0)
        {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "aauth zone \"%V\" was a %V zone, now a %V zone",
                          &shm_zone->shm.name, &oz->kind, &z->kind);
            return NGX_ERROR;
        }

        z->sh = oz->sh;
        z->shpool = oz->shpool;
        return NGX_OK;
    }

    z->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        z->sh = z->shpool->data;
        return NGX_OK;
    }

    z->sh = ngx_slab_alloc(z->shpool, sizeof(ngx_http_aauth_shctx_t));
    if (z->sh == NULL) {
        return NGX_ERROR;
    }

    z->shpool->data = z->sh;

    ngx_rbtree_init(&z->sh->rbtree, &z->sh->sentinel,
                    ngx_http_aauth_rbtree_insert_value);
    ngx_queue_init(&z->sh->queue);
    z->sh->evicted = 0;

    len = sizeof(" in aauth zone \"\"") + shm_zone->shm.name.len;

    z->shpool->log_ctx = ngx_slab_alloc(z->shpool, len);
    if (z->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(z->shpool->log_ctx, " in aauth zone \"%V\"%Z", &shm_zone->shm.name);

    /* A full zone evicts its oldest entries; the allocation failure is expected. */
    z->shpool->log_nomem = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_aauth_init_process(ngx_cycle_t *cycle)
{
    if (aauth_token_cache_init(&ngx_http_aauth_token_cache) != AAUTH_RESULT_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "aauth: token cache init failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}
