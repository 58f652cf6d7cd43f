/*
 * ngx_http_aauth_module: verifies AAuth HTTP request signatures (RFC 9421, Ed25519, the
 * Signature-Key header) in nginx's access phase with libaauth_verify (include/aauth_verify.h,
 * the public C API only), and exposes the verified identity as variables.
 *
 * Memory and threads: the configuration (policy, trust store) is built at configuration time
 * in the cycle's pool and only read afterwards. Per request the module allocates from the
 * request pool only (the header array, the identity strings, a joined body when it arrived in
 * pieces); the verifier itself never allocates. No global mutable state; no blocking I/O on
 * the request path (the trust store is in memory, the body is read by nginx's event loop).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "aauth_verify.h"


#define NGX_HTTP_AAUTH_OFF       0
#define NGX_HTTP_AAUTH_ON        1
#define NGX_HTTP_AAUTH_OPTIONAL  2

/* The library's input bound for one JWKS document (aauth_verifier_finish). */
#define NGX_HTTP_AAUTH_MAX_JWKS  16384


typedef struct {
    ngx_str_t                 id;        /* the plan's signer: id / JWKS url / token issuer */
    ngx_str_t                 file;      /* for messages */
    ngx_str_t                 jwks;      /* the file's contents */
} ngx_http_aauth_trusted_t;


typedef struct {
    ngx_uint_t                mode;
    ngx_str_t                 authority;
    time_t                    window;
    ngx_uint_t                profile;
    ngx_array_t              *required;  /* of aauth_slice; NULL = profile default */
    ngx_uint_t                schemes;   /* AAUTH_SCHEMES_* bits; unset = all */
    ngx_array_t              *trusted;   /* of ngx_http_aauth_trusted_t */
    ngx_int_t                 test_now;  /* testing only: fixed clock */

    /* Built by merge; read-only afterwards. The verifier copies this struct and keeps
     * pointers to `required`, which lives in the configuration pool (outlives requests). */
    aauth_policy              policy;
    ngx_flag_t                policy_ready;
} ngx_http_aauth_loc_conf_t;


typedef struct {
    ngx_flag_t                done;
    ngx_flag_t                body_read;
    ngx_int_t                 rc;        /* the access handler's answer once done */

    ngx_str_t                 scheme;
    ngx_str_t                 agent;
    ngx_str_t                 issuer;
    ngx_str_t                 kid;
    ngx_str_t                 thumbprint;
    ngx_str_t                 error;
} ngx_http_aauth_ctx_t;


static ngx_int_t ngx_http_aauth_handler(ngx_http_request_t *r);
static void ngx_http_aauth_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_aauth_verify(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx,
    aauth_header *headers, size_t nheaders);
static ngx_int_t ngx_http_aauth_reject(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx, aauth_result res,
    aauth_verifier *verifier, const aauth_request *req);
static ngx_int_t ngx_http_aauth_text(ngx_http_request_t *r, const aauth_text *t,
    ngx_str_t *out);
static ngx_http_aauth_trusted_t *ngx_http_aauth_lookup(
    ngx_http_aauth_loc_conf_t *alcf, ngx_str_t *id);

static ngx_int_t ngx_http_aauth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_aauth_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_aauth_init(ngx_conf_t *cf);
static void *ngx_http_aauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_aauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

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


static ngx_conf_enum_t  ngx_http_aauth_modes[] = {
    { ngx_string("off"), NGX_HTTP_AAUTH_OFF },
    { ngx_string("on"), NGX_HTTP_AAUTH_ON },
    { ngx_string("optional"), NGX_HTTP_AAUTH_OPTIONAL },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_aauth_profiles[] = {
    { ngx_string("strict"), AAUTH_PROFILE_STRICT },
    { ngx_string("compat"), AAUTH_PROFILE_COMPAT },
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
};

#define NGX_HTTP_AAUTH_NSCHEMES                                              \
    (sizeof(ngx_http_aauth_scheme_names) / sizeof(ngx_str_t))


static ngx_command_t  ngx_http_aauth_commands[] = {

    { ngx_string("aauth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_aauth_loc_conf_t, mode),
      &ngx_http_aauth_modes },

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

      ngx_null_command
};


static ngx_http_module_t  ngx_http_aauth_module_ctx = {
    ngx_http_aauth_add_variables,          /* preconfiguration */
    ngx_http_aauth_init,                   /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_aauth_create_loc_conf,        /* create location configuration */
    ngx_http_aauth_merge_loc_conf          /* merge location configuration */
};


/*
 * One verified-token cache per worker process (9 KiB, no allocation): a repeated agent token
 * costs one Ed25519 verification instead of two. Workers are single-threaded, as the cache
 * requires; records end at the token's exp, and one is used only when the trust store of the
 * location gives the issuer key the token verified with.
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

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_aauth_signature_error = ngx_string("Signature-Error");
static ngx_str_t  ngx_http_aauth_accept_scheme =
    ngx_string("Accept-Signature-Scheme");


/* Request path **************************************************************/


static ngx_int_t
ngx_http_aauth_handler(ngx_http_request_t *r)
{
    size_t                      n;
    ngx_uint_t                  i, signed_req, has_digest;
    ngx_int_t                   rc;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h;
    aauth_header               *headers;
    ngx_http_aauth_ctx_t       *ctx;
    ngx_http_aauth_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_aauth_module);

    if (alcf->mode == NGX_HTTP_AAUTH_OFF) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

    if (ctx != NULL && ctx->done) {
        return ctx->rc;
    }

    /* Count the header lines and look for the signature and digest fields. */

    n = 0;
    signed_req = 0;
    has_digest = 0;

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

        if ((h[i].key.len == sizeof("signature") - 1
             && ngx_strncasecmp(h[i].key.data, (u_char *) "signature",
                                h[i].key.len) == 0)
            || (h[i].key.len == sizeof("signature-input") - 1
                && ngx_strncasecmp(h[i].key.data, (u_char *) "signature-input",
                                   h[i].key.len) == 0)
            || (h[i].key.len == sizeof("signature-key") - 1
                && ngx_strncasecmp(h[i].key.data, (u_char *) "signature-key",
                                   h[i].key.len) == 0))
        {
            signed_req = 1;

        } else if (h[i].key.len == sizeof("content-digest") - 1
                   && ngx_strncasecmp(h[i].key.data,
                                      (u_char *) "content-digest",
                                      h[i].key.len) == 0)
        {
            has_digest = 1;
        }
    }

    if (!signed_req && alcf->mode == NGX_HTTP_AAUTH_OPTIONAL) {
        /* optional: unsigned requests pass unmarked. */
        return NGX_DECLINED;
    }

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_aauth_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_aauth_module);
    }

    /*
     * A covered Content-Digest is only checked when the verifier gets the body, so a signed
     * request that carries a body and a Content-Digest field is verified after nginx has read
     * the body (in memory, within client_body_buffer_size; see the post handler).
     */

    if (signed_req && has_digest && !ctx->body_read
        && (r->headers_in.content_length_n > 0 || r->headers_in.chunked))
    {
        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r, ngx_http_aauth_body_handler);

        if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        /* The post handler has run, or runs when the body is complete. */
        ngx_http_finalize_request(r, NGX_DONE);
        return NGX_DONE;
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
     * for the request's lifetime; the array lives in the request pool. Both outlive the
     * verifier, which exists only during ngx_http_aauth_verify().
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

    ctx->rc = ngx_http_aauth_verify(r, alcf, ctx, headers, n);
    ctx->done = 1;

    return ctx->rc;
}


static void
ngx_http_aauth_body_handler(ngx_http_request_t *r)
{
    ngx_http_aauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);
    ctx->body_read = 1;

    /* Resume the phases: the access handler runs again, now with the body. */
    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/* Returns the request body as one contiguous slice (data == NULL: not read), or NGX_DECLINED
 * when it was written to a temporary file (larger than client_body_buffer_size). */
static ngx_int_t
ngx_http_aauth_body(ngx_http_request_t *r, aauth_slice *body)
{
    size_t        len;
    u_char       *p;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->data = NULL;
    body->len = 0;

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    if (r->request_body->temp_file) {
        return NGX_DECLINED;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file || (b->file && !ngx_buf_in_memory(b))) {
            return NGX_DECLINED;
        }

        len += b->last - b->pos;
    }

    if (r->request_body->bufs == NULL) {
        body->data = (const uint8_t *) "";
        return NGX_OK;
    }

    if (r->request_body->bufs->next == NULL) {
        b = r->request_body->bufs->buf;
        body->data = b->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len ? len : 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_aauth_verify(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_header *headers, size_t nheaders)
{
    u_char                    *q;
    int64_t                    now;
    ngx_int_t                  rc;
    ngx_str_t                  id;
    aauth_result               res;
    aauth_request              req;
    aauth_plan                 plan;
    aauth_identity             ident;
    aauth_key_source           keys;
    ngx_http_aauth_trusted_t  *t;
    aauth_verifier            *verifier;

    ngx_memzero(&req, sizeof(aauth_request));

    req.method.data = r->method_name.data;
    req.method.len = r->method_name.len;

#if (NGX_HTTP_SSL || NGX_COMPAT)
    if (r->connection->ssl) {
        req.scheme.data = (const uint8_t *) "https";
        req.scheme.len = sizeof("https") - 1;
    } else
#endif
    {
        req.scheme.data = (const uint8_t *) "http";
        req.scheme.len = sizeof("http") - 1;
    }

    req.authority.data = alcf->authority.data;
    req.authority.len = alcf->authority.len;

    /* The raw request target as received (not the decoded, normalised r->uri). */
    q = ngx_strlchr(r->unparsed_uri.data,
                    r->unparsed_uri.data + r->unparsed_uri.len, '?');

    req.path.data = r->unparsed_uri.data;

    if (q) {
        req.path.len = q - r->unparsed_uri.data;
        req.query.data = q + 1;
        req.query.len = r->unparsed_uri.data + r->unparsed_uri.len - (q + 1);

    } else {
        req.path.len = r->unparsed_uri.len;
    }

    req.headers = headers;
    req.headers_len = nheaders;

    if (ctx->body_read) {
        rc = ngx_http_aauth_body(r, &req.body);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_str_set(&ctx->error, "body_too_large");
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "aauth: request body larger than "
                          "client_body_buffer_size, cannot check "
                          "content-digest");
            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

    } else if (r->headers_in.content_length_n == 0 && !r->headers_in.chunked) {
        /*
         * "Content-Length: 0": the body is known to be empty, so a covered Content-Digest is
         * checked against it (the verifier refuses a covered digest whose body it was not
         * given). Without framing nothing is claimed: the body stays "not supplied".
         */
        req.body.data = (const uint8_t *) "";
        req.body.len = 0;
    }

    now = alcf->test_now != NGX_CONF_UNSET ? (int64_t) alcf->test_now
                                           : (int64_t) ngx_time();

    /*
     * SAFETY: the verifier (request pool, 8 KiB) keeps copies of `req` and alcf->policy and
     * so pointers to the bytes they point to (request memory, the header array in the request
     * pool, configuration) and to the policy's lists (configuration pool), from
     * aauth_verifier_parse until the last call below; every call on it happens before this
     * function returns. Identity texts that point into the verifier (token claims) are copied
     * into the request pool before returning.
     */

    verifier = ngx_palloc(r->pool, sizeof(aauth_verifier));
    if (verifier == NULL) {
        return NGX_ERROR;
    }

    if (aauth_verifier_init(verifier) != AAUTH_RESULT_OK
        || aauth_verifier_set_token_cache(verifier, &ngx_http_aauth_token_cache)
           != AAUTH_RESULT_OK)
    {
        return NGX_ERROR;
    }

    res = aauth_verifier_parse(verifier, &req, &alcf->policy, now, &plan);

    if (res != AAUTH_RESULT_OK) {
        return ngx_http_aauth_reject(r, alcf, ctx, res, verifier, &req);
    }

    /* The library's plan says what the key needs; the module supplies it. */

    ngx_memzero(&keys, sizeof(aauth_key_source));

    switch (plan.fetch) {

    case AAUTH_FETCH_NOTHING:
        /* hwk, jkt-jwt: the request carries its key. */
        keys.kind = AAUTH_KEY_KIND_INLINE;
        res = aauth_verifier_finish(verifier, &keys, &ident);
        break;

    case AAUTH_FETCH_METADATA:
    case AAUTH_FETCH_JWKS:

        /* The trust store maps the plan's signer (the `id`, the JWKS `url`, or a token's
         * issuer) straight to a JWKS the configuration trusts: no metadata document. */

        if (ngx_http_aauth_text(r, &plan.signer, &id) != NGX_OK) {
            return NGX_ERROR;
        }

        t = ngx_http_aauth_lookup(alcf, &id);

        if (t == NULL) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "aauth: \"%V\" is not in aauth_trusted_keys", &id);
            res = aauth_verifier_host_refusal(verifier, AAUTH_RESULT_UNKNOWN_KEY);
            break;
        }

        keys.kind = AAUTH_KEY_KIND_TRUSTED_JWKS;
        keys.jwks.data = t->jwks.data;
        keys.jwks.len = t->jwks.len;
        res = aauth_verifier_finish(verifier, &keys, &ident);
        break;

    case AAUTH_FETCH_ASSERTION:
        /* `cached`: the module keeps no assertions (its scheme list cannot name it). */
        res = aauth_verifier_cache_miss(verifier);
        break;

    default:
        /* AAUTH_FETCH_CALLER_KEY (no Signature-Key): the policy always requires one. */
        res = aauth_verifier_host_refusal(verifier, AAUTH_RESULT_UNKNOWN_KEY);
        break;
    }

    if (res != AAUTH_RESULT_OK) {
        return ngx_http_aauth_reject(r, alcf, ctx, res, verifier, &req);
    }

    /* Copy the identity out of the verifier (token texts point into it). */

    if (ident.scheme < NGX_HTTP_AAUTH_NSCHEMES) {
        ctx->scheme = ngx_http_aauth_scheme_names[ident.scheme];
    }

    if (ngx_http_aauth_text(r, &ident.agent, &ctx->agent) != NGX_OK
        || ngx_http_aauth_text(r, &ident.issuer, &ctx->issuer) != NGX_OK
        || ngx_http_aauth_text(r, &ident.kid, &ctx->kid) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->thumbprint.data = ngx_pnalloc(r->pool, AAUTH_THUMBPRINT_LEN);
    if (ctx->thumbprint.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->thumbprint.data, ident.thumbprint, AAUTH_THUMBPRINT_LEN);
    ctx->thumbprint.len = AAUTH_THUMBPRINT_LEN;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "aauth: verified %V agent \"%V\" key %V",
                   &ctx->scheme, &ctx->agent, &ctx->thumbprint);

    return NGX_OK;
}


static ngx_int_t
ngx_http_aauth_reject(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_result res, aauth_verifier *verifier,
    const aauth_request *req)
{
    u_char               buf[512], detail[128];
    size_t               n, dn;
    const char          *token;
    ngx_table_elt_t     *h;
    aauth_request_facts  facts;

    if (!aauth_result_is_verification_error(res)) {
        /* An API misuse or a caught panic: a bug, not a verdict about the request. */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "aauth: libaauth_verify returned %s",
                      aauth_result_name(res));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    token = aauth_result_token(res);
    ctx->error.data = (u_char *) token;
    ctx->error.len = ngx_strlen(token);

    dn = 0;
    if (aauth_verifier_detail(verifier, detail, sizeof(detail), &dn)
        != AAUTH_RESULT_OK)
    {
        dn = 0;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "aauth: rejected: %V (%*s)", &ctx->error, dn, detail);

    /* What the request carries that the policy's required_input depends on. */
    n = 0;
    if (aauth_request_facts_of(req, &facts) != AAUTH_RESULT_OK
        || aauth_signature_error(res, &alcf->policy, &facts, buf, sizeof(buf),
                                 &n)
           != AAUTH_RESULT_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
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

    if (res == AAUTH_RESULT_UNSUPPORTED_SCHEME) {
        n = 0;
        if (aauth_accept_signature_scheme((uint32_t) alcf->policy.schemes,
                                          buf, sizeof(buf), &n)
            == AAUTH_RESULT_OK)
        {
            h = ngx_list_push(&r->headers_out.headers);
            if (h == NULL) {
                return NGX_ERROR;
            }

            h->hash = 1;
            h->key = ngx_http_aauth_accept_scheme;
            h->value.data = ngx_pnalloc(r->pool, n);
            if (h->value.data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(h->value.data, buf, n);
            h->value.len = n;
        }
    }

    return NGX_HTTP_UNAUTHORIZED;
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


static ngx_http_aauth_trusted_t *
ngx_http_aauth_lookup(ngx_http_aauth_loc_conf_t *alcf, ngx_str_t *id)
{
    ngx_uint_t                 i;
    ngx_http_aauth_trusted_t  *t;

    if (alcf->trusted == NULL || id->len == 0) {
        return NULL;
    }

    t = alcf->trusted->elts;

    for (i = 0; i < alcf->trusted->nelts; i++) {
        if (t[i].id.len == id->len
            && ngx_memcmp(t[i].id.data, id->data, id->len) == 0)
        {
            return &t[i];
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_aauth_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t             *s;
    ngx_http_aauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

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

    return NGX_OK;
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
     *     conf->policy_ready = 0;
     */

    conf->mode = NGX_CONF_UNSET_UINT;
    conf->window = NGX_CONF_UNSET;
    conf->profile = NGX_CONF_UNSET_UINT;
    conf->schemes = NGX_CONF_UNSET_UINT;
    conf->test_now = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_aauth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_aauth_loc_conf_t *prev = parent;
    ngx_http_aauth_loc_conf_t *conf = child;

    u_char               buf[512];
    size_t               n;
    aauth_request_facts  all;

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_AAUTH_OFF);
    ngx_conf_merge_str_value(conf->authority, prev->authority, "");
    ngx_conf_merge_value(conf->window, prev->window, NGX_CONF_UNSET);
    ngx_conf_merge_uint_value(conf->profile, prev->profile,
                              AAUTH_PROFILE_STRICT);
    ngx_conf_merge_uint_value(conf->schemes, prev->schemes,
                              NGX_CONF_UNSET_UINT);
    ngx_conf_merge_value(conf->test_now, prev->test_now, NGX_CONF_UNSET);

    if (conf->required == NULL) {
        conf->required = prev->required;
    }

    if (conf->trusted == NULL) {
        conf->trusted = prev->trusted;
    }

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

    if (conf->schemes != NGX_CONF_UNSET_UINT) {
        conf->policy.schemes = (uint32_t) conf->schemes;
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
                           "from Host)",
                           conf->mode == NGX_HTTP_AAUTH_ON ? "on"
                                                           : "optional");
        return NGX_CONF_ERROR;
    }

    conf->policy_ready = 1;

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
                               "jwks_uri, jwks, legacy-jwks, jwt, jkt-jwt or "
                               "self-jwt", &value[i]);
            return NGX_CONF_ERROR;
        }

        bits |= (ngx_uint_t) 1 << j;
    }

    alcf->schemes = bits;

    return NGX_CONF_OK;
}


/*
 * aauth_trusted_keys <id-or-issuer> <jwks-file>;
 *
 * A static trust store: the identifier (the plan's signer: the Signature-Key `id` of
 * jwks_uri and legacy jwks, the `url` of jwks, or the `iss` of jwt/self-jwt tokens) maps
 * directly to the JWKS in the file, read now into the configuration pool (a reload reads it
 * again). There is no metadata document to fetch: the configuration vouches for the mapping,
 * and the JWKS is handed to the verifier as a trusted JWKS (AAUTH_KEY_KIND_TRUSTED_JWKS).
 */
static char *
ngx_http_aauth_trusted_keys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    u_char                    *p, *last, c;
    size_t                     size;
    ssize_t                    n;
    ngx_fd_t                   fd;
    ngx_uint_t                 i;
    ngx_str_t                 *value, name;
    ngx_file_info_t            fi;
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

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &name);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &name);
        goto failed;
    }

    size = (size_t) ngx_file_size(&fi);

    if (size == 0 || size > NGX_HTTP_AAUTH_MAX_JWKS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "JWKS file \"%V\" has %uz bytes: expected 1 to %d",
                           &name, size, NGX_HTTP_AAUTH_MAX_JWKS);
        goto failed;
    }

    p = ngx_pnalloc(cf->pool, size);
    if (p == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, p, size);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &name);
        goto failed;
    }

    if ((size_t) n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "short read of \"%V\"", &name);
        goto failed;
    }

    ngx_close_file(fd);

    /* A shallow check that it is a JWKS; the verifier parses it strictly per request. */
    last = p + size;
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

failed:

    ngx_close_file(fd);
    return NGX_CONF_ERROR;
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


static ngx_int_t
ngx_http_aauth_init_process(ngx_cycle_t *cycle)
{
    if (aauth_token_cache_init(&ngx_http_aauth_token_cache) != AAUTH_RESULT_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "aauth: token cache init failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}
