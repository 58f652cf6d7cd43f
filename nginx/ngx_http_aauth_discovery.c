/*
 * Discovery, included by ngx_http_aauth_module.c: the signer's metadata document and JWKS
 * fetched through nginx's own upstream machinery (subrequests to the internal location named
 * by `aauth_discovery`, whose `proxy_pass $aauth_fetch_url` does the I/O), the decoded keys
 * kept in a shared zone for every worker.
 *
 * Per signer (the metadata or JWKS URL, under the location's key rules) the zone holds the
 * keys `aauth_jwks_decode` gave, when they go stale (Cache-Control max-age clamped to
 * aauth_discovery_ttl), the last fetch, the failure count and backoff, and a lease: the one
 * request (of any worker) fetching now. Others wait for its result (polling the zone every
 * 20 ms, within the fetch deadline) or, with stale keys, use those.
 *
 * Egress (SK-09 §7.3) is the library's: aauth_egress_listed (aauth_discovery_allow), then
 * aauth_egress_admit_url (https only, except aauth_discovery_http; loopback, private and
 * link-local only when listed). A name that is not listed is resolved here with the location's
 * `resolver`, every address checked with aauth_egress_admit_address, and the subrequest sent
 * to the checked address ($aauth_fetch_url holds the address; $aauth_fetch_host the Host and
 * $aauth_fetch_server_name the name for SNI and the certificate check). Each document is
 * bounded by the library's limits (4 KiB metadata, 16 KiB JWKS) and subrequest_output_buffer_size,
 * each fetch by aauth_discovery_timeout; redirects are never followed.
 */


/* Discovery states of a request. */
#define NGX_HTTP_AAUTH_D_IDLE      0
#define NGX_HTTP_AAUTH_D_WAIT      1   /* another request holds the lease */
#define NGX_HTTP_AAUTH_D_RESOLVE   2   /* resolving the document's host */
#define NGX_HTTP_AAUTH_D_FETCH     3   /* the subrequest is under way */

/* Which document. */
#define NGX_HTTP_AAUTH_DOC_METADATA  0
#define NGX_HTTP_AAUTH_DOC_JWKS      1

#define NGX_HTTP_AAUTH_POLL          20  /* ms */
#define NGX_HTTP_AAUTH_MAX_BACKOFF   3600
/* How long past their expiry the last good keys serve while refreshes fail. */
#define NGX_HTTP_AAUTH_MAX_STALE     86400


/* A signer's entry in the discovery zone (the keys follow it). */
typedef struct {
    time_t                    expires;   /* fresh until */
    time_t                    fetched;   /* the last fetch started */
    time_t                    retry_at;  /* the backoff: no fetch before */
    time_t                    lease;     /* a fetch in flight until */
    uint32_t                  failures;
    uint32_t                  nkeys;
} ngx_http_aauth_signer_t;


typedef struct ngx_http_aauth_cleanup_s  ngx_http_aauth_cleanup_t;

struct ngx_http_aauth_cleanup_s {
    ngx_http_aauth_ctx_t     *ctx;
    ngx_resolver_ctx_t       *rctx;
};


static void ngx_http_aauth_wake(ngx_event_t *ev);
static ngx_int_t ngx_http_aauth_fetch_start(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx, ngx_str_t *url,
    aauth_result *res);
static ngx_int_t ngx_http_aauth_fetch_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static void ngx_http_aauth_resolved(ngx_resolver_ctx_t *rctx);
static ngx_int_t ngx_http_aauth_subrequest(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx);
static void ngx_http_aauth_store(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx,
    aauth_jwks_key *keys, size_t nkeys);
static void ngx_http_aauth_failed(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx, const char *why);
static ngx_int_t ngx_http_aauth_fetched(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx, aauth_result *res);
static ngx_int_t ngx_http_aauth_settle(ngx_http_request_t *r,
    ngx_http_aauth_loc_conf_t *alcf, ngx_http_aauth_ctx_t *ctx, aauth_result *res);


static ngx_http_aauth_zone_t *
ngx_http_aauth_dzone(ngx_http_request_t *r)
{
    ngx_http_aauth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_aauth_module);

    return ngx_http_aauth_zone_of(amcf->discovery_zone);
}


static u_char
ngx_http_aauth_rules(ngx_http_aauth_loc_conf_t *alcf)
{
    return (u_char) ((alcf->policy.compat.alg_less_keys ? 0 : 1)
                     | (alcf->policy.compat.eddsa ? 2 : 0)
                     | (alcf->policy.compat.legacy_metadata ? 4 : 0));
}


static ngx_http_aauth_signer_t *
ngx_http_aauth_signer(ngx_http_aauth_entry_t *e)
{
    return (ngx_http_aauth_signer_t *) (e->data + e->key_len);
}


static aauth_jwks_key *
ngx_http_aauth_signer_keys(ngx_http_aauth_entry_t *e)
{
    return (aauth_jwks_key *) (e->data + e->key_len
                               + sizeof(ngx_http_aauth_signer_t));
}


/* The entry's key: the rules byte, then the URL. Keys are stored aligned after it. */
static ngx_http_aauth_entry_t *
ngx_http_aauth_signer_find(ngx_http_aauth_zone_t *z, ngx_http_aauth_ctx_t *ctx)
{
    return ngx_http_aauth_zone_find(z, ctx->cache_key.data, ctx->cache_key.len,
                                    ngx_http_aauth_hash(ctx->cache_key.data,
                                                        ctx->cache_key.len));
}


/* Inserts (or replaces) the signer's entry with room for `nkeys` keys. Locked. */
static ngx_http_aauth_entry_t *
ngx_http_aauth_signer_put(ngx_http_aauth_zone_t *z, ngx_http_aauth_ctx_t *ctx,
    ngx_http_aauth_signer_t *s, aauth_jwks_key *keys, size_t nkeys)
{
    ngx_http_aauth_entry_t   *e;
    ngx_http_aauth_signer_t  *ns;

    e = ngx_http_aauth_signer_find(z, ctx);
    if (e != NULL) {
        ngx_http_aauth_zone_delete(z, e);
    }

    e = ngx_http_aauth_zone_insert(z, ctx->cache_key.data, ctx->cache_key.len,
                                   ngx_http_aauth_hash(ctx->cache_key.data,
                                                       ctx->cache_key.len),
                                   sizeof(ngx_http_aauth_signer_t)
                                   + nkeys * sizeof(aauth_jwks_key), 0);
    if (e == NULL) {
        return NULL;
    }

    ns = ngx_http_aauth_signer(e);
    *ns = *s;
    ns->nkeys = (uint32_t) nkeys;

    if (nkeys) {
        ngx_memcpy(ngx_http_aauth_signer_keys(e), keys, nkeys * sizeof(aauth_jwks_key));
    }

    return e;
}


static void
ngx_http_aauth_cleanup(void *data)
{
    ngx_http_aauth_cleanup_t  *cln = data;

    if (cln->ctx->wake.timer_set) {
        ngx_del_timer(&cln->ctx->wake);
    }

    if (cln->ctx->wake.posted) {
        ngx_delete_posted_event(&cln->ctx->wake);
    }

    if (cln->rctx) {
        ngx_resolve_name_done(cln->rctx);
        cln->rctx = NULL;
    }
}


/* Sets up the wake event (timers of this request) and its cleanup, once. */
static ngx_int_t
ngx_http_aauth_wake_init(ngx_http_request_t *r, ngx_http_aauth_ctx_t *ctx)
{
    ngx_pool_cleanup_t        *pc;
    ngx_http_aauth_cleanup_t  *cln;

    if (ctx->wake.data != NULL) {
        return NGX_OK;
    }

    pc = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_aauth_cleanup_t));
    if (pc == NULL) {
        return NGX_ERROR;
    }

    cln = pc->data;
    cln->ctx = ctx;
    cln->rctx = NULL;
    pc->handler = ngx_http_aauth_cleanup;

    ctx->wake.handler = ngx_http_aauth_wake;
    ctx->wake.data = r;
    ctx->wake.log = r->connection->log;
    ctx->cleanup = cln;

    return NGX_OK;
}


/*
 * The wake event: a poll of the zone while another request fetches, or a fetch's deadline
 * (the subrequest's upstream is then timed out as nginx times it out itself). Either way the
 * request's phases run again and the state machine goes on.
 */
static void
ngx_http_aauth_wake(ngx_event_t *ev)
{
    ngx_connection_t      *c, *uc;
    ngx_http_request_t    *r, *sr;
    ngx_http_aauth_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

    if (ctx->dstate == NGX_HTTP_AAUTH_D_FETCH) {
        sr = ctx->sr;
        ctx->timed_out = 1;

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "aauth: discovery fetch timed out (aauth_discovery_timeout)");

        if (!ctx->fetch_done && sr != NULL && sr->upstream != NULL
            && sr->upstream->peer.connection != NULL)
        {
            /* What nginx's own read timer does: the upstream ends with 504. */
            uc = sr->upstream->peer.connection;

            if (uc->read->timer_set) {
                ngx_del_timer(uc->read);
            }

            uc->read->timedout = 1;
            uc->read->handler(uc->read);
        }

        return;
    }

    if (ctx->dstate == NGX_HTTP_AAUTH_D_RESOLVE) {
        ctx->timed_out = 1;

        if (ctx->cleanup->rctx) {
            ngx_resolve_name_done(ctx->cleanup->rctx);
            ctx->cleanup->rctx = NULL;
        }
    }

    ngx_http_set_log_request(c->log, r);

    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


/* Parses max-age from the subrequest's Cache-Control; -1 without one. */
static time_t
ngx_http_aauth_max_age(ngx_http_request_t *sr)
{
    u_char           *p, *last;
    time_t            n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &sr->headers_out.headers.part;
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

        if (h[i].hash == 0
            || !ngx_http_aauth_is(&h[i], "cache-control", sizeof("cache-control") - 1))
        {
            continue;
        }

        last = h[i].value.data + h[i].value.len;

        if (ngx_strlcasestrn(h[i].value.data, last, (u_char *) "no-store", 8 - 1)
            || ngx_strlcasestrn(h[i].value.data, last, (u_char *) "no-cache", 8 - 1))
        {
            return 0;
        }

        p = ngx_strlcasestrn(h[i].value.data, last, (u_char *) "max-age=", 8 - 1);
        if (p == NULL) {
            continue;
        }

        p += 8;
        n = 0;

        while (p < last && *p >= '0' && *p <= '9' && n < 100000000) {
            n = n * 10 + (*p++ - '0');
        }

        return n;
    }

    return -1;
}


/*
 * The post-subrequest handler: keeps the status, a copy of the body (within the document's
 * limit) and the cache lifetime; the parent's phases run again when the subrequest ends.
 */
static ngx_int_t
ngx_http_aauth_fetch_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_aauth_ctx_t *ctx = data;

    size_t      len, max;
    ngx_buf_t  *b;
    ngx_str_t  *doc;

    ctx->fetch_done = 1;
    ctx->fetch_rc = rc;
    ctx->fetch_status = sr->headers_out.status;
    ctx->fetch_ttl = ngx_http_aauth_max_age(sr);

    if (ctx->wake.timer_set) {
        ngx_del_timer(&ctx->wake);
    }

    doc = (ctx->doc == NGX_HTTP_AAUTH_DOC_METADATA) ? &ctx->metadata : &ctx->jwks;
    max = (ctx->doc == NGX_HTTP_AAUTH_DOC_METADATA) ? NGX_HTTP_AAUTH_MAX_METADATA
                                                    : NGX_HTTP_AAUTH_MAX_JWKS;
    doc->len = 0;
    doc->data = NULL;

    if (rc == NGX_OK && sr->out != NULL && sr->out->buf != NULL) {
        b = sr->out->buf;
        len = b->last - b->pos;

        if (len > max || ctx->fetch_big) {
            ctx->fetch_big = 1;

        } else {
            doc->data = ngx_pnalloc(sr->pool, len ? len : 1);
            if (doc->data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(doc->data, b->pos, len);
            doc->len = len;
        }
    }

    return rc;
}


/* The most bytes a fetch subrequest may deliver: the library's document limit, and never
 * more than subrequest_output_buffer_size (nginx fails the client's connection otherwise). */
static size_t
ngx_http_aauth_fetch_limit(ngx_http_request_t *sr, ngx_http_aauth_ctx_t *pctx)
{
    size_t                     max;
    ngx_http_core_loc_conf_t  *clcf;

    max = (pctx->doc == NGX_HTTP_AAUTH_DOC_METADATA) ? NGX_HTTP_AAUTH_MAX_METADATA
                                                     : NGX_HTTP_AAUTH_MAX_JWKS;
    clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

    return ngx_min(max, clcf->subrequest_output_buffer_size);
}


/*
 * For a fetch subrequest: a response larger than its limit is not kept. A declared length
 * over the limit is dropped from the headers and every body byte discarded, so that nginx's
 * in-memory buffer never overflows (an overflow is an output error that closes the client's
 * connection); the fetch then fails as oversized.
 */
static ngx_int_t
ngx_http_aauth_fetch_header(ngx_http_request_t *r, ngx_http_aauth_ctx_t *sctx)
{
    ngx_http_aauth_ctx_t  *pctx = sctx->fetch->parent;

    pctx->fetch_big = 0;
    sctx->fetched_len = 0;

    if (r->headers_out.content_length_n > (off_t) ngx_http_aauth_fetch_limit(r, pctx)) {
        pctx->fetch_big = 1;
        r->headers_out.content_length_n = -1;
    }

    return NGX_OK;
}


static ngx_chain_t *
ngx_http_aauth_fetch_body(ngx_http_request_t *r, ngx_http_aauth_ctx_t *sctx,
    ngx_chain_t *in)
{
    size_t                 len, limit;
    ngx_buf_t             *b;
    ngx_chain_t           *cl, *out, **ll;
    ngx_http_aauth_ctx_t  *pctx = sctx->fetch->parent;

    limit = ngx_http_aauth_fetch_limit(r, pctx);
    out = NULL;
    ll = &out;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_special(b) && ngx_buf_in_memory(b)) {
            len = b->last - b->pos;

            if (pctx->fetch_big || sctx->fetched_len + len > limit) {
                /* Discarded: consumed here, never passed on. A last buffer's flag is
                 * passed on alone. */
                pctx->fetch_big = 1;
                b->pos = b->last;

                if (!b->last_buf && !b->last_in_chain && !b->flush) {
                    continue;
                }

                b = ngx_calloc_buf(r->pool);
                if (b == NULL) {
                    return NULL;
                }

                b->last_buf = cl->buf->last_buf;
                b->last_in_chain = cl->buf->last_in_chain;
                b->flush = cl->buf->flush;
                b->sync = (b->last_buf || b->flush) ? 0 : 1;

            } else {
                sctx->fetched_len += len;
            }
        }

        *ll = ngx_alloc_chain_link(r->pool);
        if (*ll == NULL) {
            return NULL;
        }

        (*ll)->buf = b;
        ll = &(*ll)->next;
    }

    *ll = NULL;

    return out;
}


/* Builds "scheme://ADDRESS:port/target" for a checked address. */
static ngx_int_t
ngx_http_aauth_pinned_url(ngx_http_request_t *r, ngx_http_aauth_ctx_t *ctx,
    struct sockaddr *sa, socklen_t len)
{
    u_char      *p, text[NGX_SOCKADDR_STRLEN];
    size_t       n;

    n = ngx_sock_ntop(sa, len, text, sizeof(text), 0);

    p = ngx_pnalloc(r->pool, sizeof("https://[]:65535") + n + ctx->dest.target.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->fetch->url.data = p;
    p = ngx_sprintf(p, "%s://", ctx->dest.https ? "https" : "http");

    if (sa->sa_family == AF_INET6) {
        p = ngx_sprintf(p, "[%*s]", n, text);
    } else {
        p = ngx_cpymem(p, text, n);
    }

    p = ngx_sprintf(p, ":%ui", (ngx_uint_t) ctx->dest.port);
    p = ngx_cpymem(p, ctx->dest.target.data, ctx->dest.target.len);
    ctx->fetch->url.len = p - ctx->fetch->url.data;

    return NGX_OK;
}


/*
 * Starts fetching `url` (the metadata document or the JWKS): egress admission, then either
 * the subrequest (an address, or a listed name nginx may resolve) or the resolution of a name
 * whose addresses must be checked first. NGX_AGAIN: under way; NGX_DECLINED: refused (*res).
 */
static ngx_int_t
ngx_http_aauth_fetch_start(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, ngx_str_t *url, aauth_result *res)
{
    bool                       listed;
    ngx_str_t                  esc;
    aauth_result               ar;
    struct sockaddr_in        *sin;
    struct sockaddr_in6       *sin6;
    ngx_resolver_ctx_t        *rctx, temp;
    ngx_http_core_loc_conf_t  *clcf;
    u_char                     sa[sizeof(struct sockaddr_in6)];

    if (ngx_http_aauth_escape(r->pool, url, &esc) == NULL) {
        return NGX_ERROR;
    }

    listed = false;
    ar = aauth_egress_listed(alcf->allow->elts, alcf->allow->nelts, url->data,
                             url->len, &listed);

    if (ar != AAUTH_RESULT_OK || !listed) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aauth: \"%V\" is not in aauth_discovery_allow: not fetched",
                      &esc);
        *res = ar == AAUTH_RESULT_OK ? AAUTH_RESULT_UNKNOWN_KEY : ar;
        return NGX_DECLINED;
    }

    ar = aauth_egress_admit_url(url->data, url->len,
                                alcf->http ? alcf->http->elts : NULL,
                                alcf->http ? alcf->http->nelts : 0,
                                alcf->private_ ? alcf->private_->elts : NULL,
                                alcf->private_ ? alcf->private_->nelts : 0,
                                &ctx->dest);
    if (ar != AAUTH_RESULT_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aauth: egress refuses \"%V\" (%s): not fetched", &esc,
                      aauth_result_name(ar));
        *res = ar;
        return NGX_DECLINED;
    }

    ctx->fetch = ngx_pcalloc(r->pool, sizeof(ngx_http_aauth_fetch_t));
    if (ctx->fetch == NULL) {
        return NGX_ERROR;
    }

    ctx->fetch->parent = ctx;
    ctx->fetch->host.data = (u_char *) ctx->dest.authority.data;
    ctx->fetch->host.len = ctx->dest.authority.len;
    ctx->fetch->server_name.data = (u_char *) ctx->dest.host.data;
    ctx->fetch->server_name.len = ctx->dest.host.len;

    if (ctx->dest.host_kind != AAUTH_HOST_NAME) {
        /* An IP literal the library admitted (public, or listed). */
        ngx_memzero(sa, sizeof(sa));

        if (ctx->dest.host_kind == AAUTH_HOST_IPV4) {
            sin = (struct sockaddr_in *) sa;
            sin->sin_family = AF_INET;
            ngx_memcpy(&sin->sin_addr, ctx->dest.address, 4);
            if (ngx_http_aauth_pinned_url(r, ctx, (struct sockaddr *) sa,
                                          sizeof(struct sockaddr_in))
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else {
            sin6 = (struct sockaddr_in6 *) sa;
            sin6->sin6_family = AF_INET6;
            ngx_memcpy(&sin6->sin6_addr, ctx->dest.address, 16);
            if (ngx_http_aauth_pinned_url(r, ctx, (struct sockaddr *) sa,
                                          sizeof(struct sockaddr_in6))
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        return ngx_http_aauth_subrequest(r, alcf, ctx);
    }

    /* A name: resolve it here, check every address, pin the connection to one. */
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    temp.name.data = (u_char *) ctx->dest.host.data;
    temp.name.len = ctx->dest.host.len;

    rctx = ngx_resolve_start(clcf->resolver, &temp);
    if (rctx == NULL) {
        return NGX_ERROR;
    }

    if (rctx == NGX_NO_RESOLVER) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aauth: \"%V\" needs the \"resolver\" directive in this "
                      "location (names are resolved and pinned by the module)",
                      &esc);
        *res = AAUTH_RESULT_UNKNOWN_KEY;
        return NGX_DECLINED;
    }

    rctx->name.data = (u_char *) ctx->dest.host.data;
    rctx->name.len = ctx->dest.host.len;
    rctx->handler = ngx_http_aauth_resolved;
    rctx->data = r;
    rctx->timeout = clcf->resolver_timeout;

    ctx->dstate = NGX_HTTP_AAUTH_D_RESOLVE;
    ctx->resolved_ok = 0;
    ctx->cleanup->rctx = rctx;

    ngx_add_timer(&ctx->wake, alcf->fetch_timeout);

    ctx->resolve_done = 0;
    ctx->resolving = 1;

    if (ngx_resolve_name(rctx) != NGX_OK) {
        ctx->resolving = 0;
        ctx->cleanup->rctx = NULL;
        return NGX_ERROR;
    }

    ctx->resolving = 0;

    if (ctx->resolve_done) {
        /* Answered from the resolver's cache, within the call: go on here, not nested. */
        ctx->resolve_done = 0;

        if (!ctx->resolved_ok) {
            *res = AAUTH_RESULT_UNKNOWN_KEY;
            return NGX_DECLINED;
        }

        return ngx_http_aauth_subrequest(r, alcf, ctx);
    }

    return NGX_AGAIN;
}


/* The resolver's answer: every address checked (unless the host is listed), one pinned. */
static void
ngx_http_aauth_resolved(ngx_resolver_ctx_t *rctx)
{
    ngx_uint_t             i, ok;
    aauth_result           ar;
    ngx_connection_t      *c;
    ngx_http_request_t    *r;
    struct sockaddr       *sa;
    ngx_http_aauth_ctx_t  *ctx;

    r = rctx->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_aauth_module);

    ok = 0;

    if (rctx->state) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "aauth: discovery: could not resolve \"%V\" (%i: %s)",
                      &rctx->name, rctx->state, ngx_resolver_strerror(rctx->state));

    } else if (rctx->naddrs) {
        ok = 1;

        for (i = 0; ok && i < rctx->naddrs; i++) {
            sa = rctx->addrs[i].sockaddr;

            if (ctx->dest.admitted != AAUTH_ADMITTED_RESOLVE) {
                continue;   /* listed: the deployment vouches for what it resolves to */
            }

            if (sa->sa_family == AF_INET) {
                ar = aauth_egress_admit_address(
                         (u_char *) &((struct sockaddr_in *) sa)->sin_addr, 4);
            } else if (sa->sa_family == AF_INET6) {
                ar = aauth_egress_admit_address(
                         (u_char *) &((struct sockaddr_in6 *) sa)->sin6_addr, 16);
            } else {
                ar = AAUTH_RESULT_UNKNOWN_KEY;
            }

            if (ar != AAUTH_RESULT_OK) {
                ngx_log_error(NGX_LOG_INFO, c->log, 0,
                              "aauth: discovery: \"%V\" resolves to a loopback, "
                              "private or link-local address: not fetched",
                              &rctx->name);
                ok = 0;
            }
        }

        if (ok && ngx_http_aauth_pinned_url(r, ctx, rctx->addrs[0].sockaddr,
                                            rctx->addrs[0].socklen)
                  != NGX_OK)
        {
            ok = 0;
        }
    }

    ngx_resolve_name_done(rctx);
    ctx->cleanup->rctx = NULL;

    if (ctx->wake.timer_set) {
        ngx_del_timer(&ctx->wake);
    }

    ctx->resolved_ok = ok;
    ctx->resolve_done = 1;

    if (ctx->resolving) {
        return;     /* ngx_http_aauth_fetch_start goes on */
    }

    ngx_http_set_log_request(c->log, r);
    r->write_event_handler(r);
    ngx_http_run_posted_requests(c);
}


/* Sends the subrequest to the internal location; its proxy_pass uses $aauth_fetch_url. */
static ngx_int_t
ngx_http_aauth_subrequest(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx)
{
    ngx_http_request_t           *sr;
    ngx_http_aauth_ctx_t         *sctx;
    ngx_http_post_subrequest_t   *ps;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_aauth_fetch_done;
    ps->data = ctx;

    ctx->fetch_done = 0;
    ctx->timed_out = 0;

    if (ngx_http_subrequest(r, &alcf->discovery, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            | NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* Nothing of the client's request goes to the signer's server: no header, no body. */
    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 2, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;
    sr->request_body = NULL;
    sr->header_only = 0;

    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_aauth_ctx_t));
    if (sctx == NULL) {
        return NGX_ERROR;
    }

    sctx->fetch = ctx->fetch;
    ngx_http_set_ctx(sr, sctx, ngx_http_aauth_module);

    ctx->sr = sr;
    ctx->dstate = NGX_HTTP_AAUTH_D_FETCH;

    ngx_add_timer(&ctx->wake, alcf->fetch_timeout);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "aauth: discovery fetch \"%V\"", &ctx->fetch->url);

    return NGX_AGAIN;
}


/* A fetch failed: the backoff grows, the lease ends, the last good keys stay. Locked here. */
static void
ngx_http_aauth_failed(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, const char *why)
{
    time_t                    now, backoff;
    ngx_str_t                 esc;
    ngx_http_aauth_zone_t    *z;
    ngx_http_aauth_entry_t   *e;
    ngx_http_aauth_signer_t  *s;

    now = ngx_time();

    if (ngx_http_aauth_escape(r->pool, &ctx->fetch_url, &esc) == NULL) {
        esc.len = 0;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "aauth: discovery of \"%V\" failed: %s", &esc, why);

    z = ngx_http_aauth_dzone(r);

    ngx_shmtx_lock(&z->shpool->mutex);

    e = ngx_http_aauth_signer_find(z, ctx);

    if (e != NULL) {
        s = ngx_http_aauth_signer(e);
        s->failures++;
        backoff = alcf->refetch_interval;
        if (s->failures > 1) {
            backoff <<= ngx_min(s->failures - 1, 6);
        }

        s->retry_at = now + ngx_min(backoff, NGX_HTTP_AAUTH_MAX_BACKOFF);
        s->lease = 0;
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    ctx->dstate = NGX_HTTP_AAUTH_D_IDLE;
    ctx->fetched_fail = 1;
}


/* Fresh keys: stored for every worker, the lease ended, the backoff reset. */
static void
ngx_http_aauth_store(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_jwks_key *keys, size_t nkeys)
{
    time_t                    now, ttl;
    ngx_http_aauth_zone_t    *z;
    ngx_http_aauth_entry_t   *e;
    ngx_http_aauth_signer_t   s, *old;

    now = ngx_time();
    ttl = ctx->fetch_ttl;
    if (ttl < alcf->ttl_min) {
        ttl = alcf->ttl_min;
    }

    if (ttl > alcf->ttl_max) {
        ttl = alcf->ttl_max;
    }

    z = ngx_http_aauth_dzone(r);

    ngx_shmtx_lock(&z->shpool->mutex);

    e = ngx_http_aauth_signer_find(z, ctx);
    old = e ? ngx_http_aauth_signer(e) : NULL;

    s.expires = now + ttl;
    s.fetched = old ? old->fetched : now;
    s.retry_at = 0;
    s.lease = 0;
    s.failures = 0;

    e = ngx_http_aauth_signer_put(z, ctx, &s, keys, nkeys);

    ngx_shmtx_unlock(&z->shpool->mutex);

    if (e == NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "aauth: the discovery zone is too small for one signer's keys");
    }
}


/* The lease a fetch holds: twice the deadline (a metadata document, then a JWKS), + 1 s. */
static time_t
ngx_http_aauth_lease(ngx_http_aauth_loc_conf_t *alcf, time_t now)
{
    return now + (time_t) (alcf->fetch_timeout / 1000) * 2 + 2;
}


/*
 * The keys for the plan's signer from the discovery zone, or a fetch. Returns NGX_OK with
 * ctx->source set or *res a refusal, NGX_AGAIN while waiting, NGX_ERROR.
 */
static ngx_int_t
ngx_http_aauth_discover(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_result *res)
{
    u_char                    *p, buf[NGX_HTTP_AAUTH_MAX_URL];
    size_t                     n;
    time_t                     now;
    ngx_int_t                  rc;
    ngx_str_t                  origin, dwk, kid;
    ngx_uint_t                 fetch, have;
    aauth_result               ar;
    const aauth_jwks_key      *k;
    ngx_http_aauth_zone_t     *z;
    ngx_http_aauth_entry_t    *e;
    ngx_http_aauth_signer_t   *s, ns;

    *res = AAUTH_RESULT_OK;
    z = ngx_http_aauth_dzone(r);
    now = ngx_time();

    if (ngx_http_aauth_wake_init(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    /* A fetch under way: go on with it. */
    if (ctx->dstate == NGX_HTTP_AAUTH_D_RESOLVE) {
        if (!ctx->resolve_done && !ctx->timed_out) {
            return NGX_AGAIN;
        }

        ctx->resolve_done = 0;

        if (!ctx->resolved_ok) {
            ngx_http_aauth_failed(r, alcf, ctx, ctx->timed_out
                                  ? "resolving timed out"
                                  : "the name did not resolve to an admitted address");
            return ngx_http_aauth_settle(r, alcf, ctx, res);
        }

        return ngx_http_aauth_subrequest(r, alcf, ctx);
    }

    if (ctx->dstate == NGX_HTTP_AAUTH_D_FETCH) {
        if (!ctx->fetch_done) {
            return NGX_AGAIN;
        }

        return ngx_http_aauth_fetched(r, alcf, ctx, res);
    }

    ctx->dstate = NGX_HTTP_AAUTH_D_IDLE;

    /* First visit: the signer's cache key (the rules byte, then the URL of its keys). */
    if (ctx->cache_key.len == 0) {

        if (ctx->plan.fetch == AAUTH_FETCH_METADATA) {
            if (ngx_http_aauth_text(r, &ctx->plan.origin, &origin) != NGX_OK
                || ngx_http_aauth_text(r, &ctx->plan.dwk, &dwk) != NGX_OK)
            {
                return NGX_ERROR;
            }

            n = 0;
            ar = aauth_egress_metadata_url(origin.data, origin.len, dwk.data, dwk.len,
                                           buf, sizeof(buf), &n);
            if (ar != AAUTH_RESULT_OK) {
                /* Not an identifier the library admits: nothing to fetch. */
                *res = aauth_verifier_host_refusal(ctx->verifier, ar);
                return NGX_OK;
            }

        } else {
            if (ngx_http_aauth_text(r, &ctx->plan.url, &origin) != NGX_OK) {
                return NGX_ERROR;
            }

            if (origin.len > sizeof(buf)) {
                *res = aauth_verifier_host_refusal(ctx->verifier,
                                                   AAUTH_RESULT_INVALID_KEY);
                return NGX_OK;
            }

            ngx_memcpy(buf, origin.data, origin.len);
            n = origin.len;
        }

        p = ngx_pnalloc(r->pool, n + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        p[0] = ngx_http_aauth_rules(alcf);
        ngx_memcpy(p + 1, buf, n);
        ctx->cache_key.data = p;
        ctx->cache_key.len = n + 1;
        ctx->fetch_url.data = p + 1;
        ctx->fetch_url.len = n;
    }

    if (ngx_http_aauth_text(r, &ctx->plan.kid, &kid) != NGX_OK) {
        return NGX_ERROR;
    }

    /* The warm path: the decoded key, copied under the zone's lock; no document parsed. */
    fetch = 0;
    have = 0;

    ngx_shmtx_lock(&z->shpool->mutex);

    e = ngx_http_aauth_signer_find(z, ctx);
    s = e ? ngx_http_aauth_signer(e) : NULL;

    if (s != NULL && s->nkeys) {
        k = ngx_http_aauth_find_kid(ngx_http_aauth_signer_keys(e), s->nkeys, &kid);
        if (k != NULL) {
            ctx->decoded = *k;
            have = 1;
        }
    }

    if (ctx->fetch_tried) {
        /* This request fetched already (and failed, or found no such kid): settle. */

    } else if (s == NULL) {
        /* Nobody knows this signer yet: this request fetches, holding the lease. */
        ngx_memzero(&ns, sizeof(ns));
        ns.fetched = now;
        ns.lease = ngx_http_aauth_lease(alcf, now);
        (void) ngx_http_aauth_signer_put(z, ctx, &ns, NULL, 0);
        fetch = 1;

    } else if (s->lease > now) {
        /* Another request (of any worker) fetches: wait for it, unless a key is here. */
        fetch = have ? 0 : 2;

    } else if (now < s->retry_at) {
        /* Backing off after failures: the last good keys, if any (stale-on-error). */

    } else if (s->nkeys == 0) {
        fetch = 1;

    } else if (!have || ctx->refetched) {
        /* An unknown kid (a rotation?) or a key that failed: one refetch per interval. */
        if (now - s->fetched >= alcf->refetch_interval) {
            fetch = 1;
        }

    } else if (now >= s->expires) {
        /* Stale: refresh now; the stale key serves if the refresh fails. */
        fetch = 1;
    }

    if (fetch == 1 && s != NULL) {
        s->lease = ngx_http_aauth_lease(alcf, now);
        s->fetched = now;
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    if (fetch == 2) {
        /* Poll the zone until the other fetch ends, within this request's deadline. */
        if (ctx->deadline == 0) {
            ctx->deadline = ngx_current_msec + alcf->fetch_timeout * 2;
        }

        if ((ngx_msec_int_t) (ctx->deadline - ngx_current_msec) > 0) {
            ctx->dstate = NGX_HTTP_AAUTH_D_WAIT;
            ngx_add_timer(&ctx->wake, NGX_HTTP_AAUTH_POLL);
            return NGX_AGAIN;
        }

        fetch = 0;
    }

    if (fetch == 1) {
        ctx->fetch_tried = 1;
        ctx->fetch_ttl_min = -1;
        ctx->doc = (ctx->plan.fetch == AAUTH_FETCH_METADATA) ? NGX_HTTP_AAUTH_DOC_METADATA
                                                             : NGX_HTTP_AAUTH_DOC_JWKS;
        rc = ngx_http_aauth_fetch_start(r, alcf, ctx, &ctx->fetch_url, &ar);

        if (rc == NGX_DECLINED) {
            ctx->doc_res = ar;
            ngx_http_aauth_failed(r, alcf, ctx, "egress admission refused it");
            return ngx_http_aauth_settle(r, alcf, ctx, res);
        }

        return rc;
    }

    if (ctx->refetched && !have) {
        ctx->decoded.kid_len = 0;
    }

    if (ctx->refetched && have && ctx->refetch_res != AAUTH_RESULT_OK) {
        /* The same key failed and no refetch is allowed now: the failure stands. */
        *res = ctx->refetch_res;
        return NGX_OK;
    }

    return ngx_http_aauth_settle(r, alcf, ctx, res);
}


/* The key found (a stale one after a failed refresh included), or the refusal. */
static ngx_int_t
ngx_http_aauth_settle(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_result *res)
{
    ngx_str_t                 kid, ek, eu;
    const aauth_jwks_key     *k;
    ngx_http_aauth_zone_t    *z;
    ngx_http_aauth_entry_t   *e;
    ngx_http_aauth_signer_t  *s;

    if (ngx_http_aauth_text(r, &ctx->plan.kid, &kid) != NGX_OK) {
        return NGX_ERROR;
    }

    /* The zone again: a failed refresh keeps the last good keys (stale-on-error). */
    z = ngx_http_aauth_dzone(r);

    ngx_shmtx_lock(&z->shpool->mutex);

    e = ngx_http_aauth_signer_find(z, ctx);
    s = e ? ngx_http_aauth_signer(e) : NULL;
    k = (s && s->nkeys) ? ngx_http_aauth_find_kid(ngx_http_aauth_signer_keys(e), s->nkeys,
                                                  &kid)
                        : NULL;

    if (k != NULL && ngx_time() < s->expires + NGX_HTTP_AAUTH_MAX_STALE) {
        ctx->decoded = *k;
    } else {
        k = NULL;
    }

    ngx_shmtx_unlock(&z->shpool->mutex);

    if (k != NULL) {
        ctx->source.kind = AAUTH_KEY_KIND_DECODED;
        ctx->source.decoded = &ctx->decoded;
        ctx->from_zone = 1;
        *res = AAUTH_RESULT_OK;
        return NGX_OK;
    }

    if (ngx_http_aauth_escape(r->pool, &kid, &ek) != NULL
        && ngx_http_aauth_escape(r->pool, &ctx->fetch_url, &eu) != NULL)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aauth: no key \"%V\" known for \"%V\"", &ek, &eu);
    }

    *res = aauth_verifier_host_refusal(ctx->verifier,
                                       ctx->doc_res != AAUTH_RESULT_OK
                                       ? ctx->doc_res : AAUTH_RESULT_UNKNOWN_KEY);
    return NGX_OK;
}


/* A document arrived (or its fetch failed): the next step. */
static ngx_int_t
ngx_http_aauth_fetched(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_result *res)
{
    u_char          buf[NGX_HTTP_AAUTH_MAX_URL], why[128];
    size_t          n, nkeys;
    ngx_int_t       rc;
    aauth_result    ar;
    aauth_jwks_key  keys[AAUTH_MAX_JWKS_KIDS];

    ctx->dstate = NGX_HTTP_AAUTH_D_IDLE;

    if (ctx->timed_out) {
        ngx_http_aauth_failed(r, alcf, ctx, "the fetch timed out (aauth_discovery_timeout)");
        return ngx_http_aauth_settle(r, alcf, ctx, res);
    }

    if (ctx->fetch_rc != NGX_OK || ctx->fetch_status != NGX_HTTP_OK
        || (ctx->doc == NGX_HTTP_AAUTH_DOC_METADATA ? ctx->metadata.data
                                                    : ctx->jwks.data) == NULL)
    {
        if (ctx->fetch_status >= 300 && ctx->fetch_status < 400) {
            ngx_sprintf(why, "status %i: redirects are not followed%Z", ctx->fetch_status);

        } else if (ctx->fetch_big || ctx->fetch_rc == NGX_ERROR) {
            ngx_sprintf(why, "larger than the library's limit (%d bytes) or "
                        "subrequest_output_buffer_size, or the upstream failed%Z",
                        ctx->doc == NGX_HTTP_AAUTH_DOC_METADATA
                        ? NGX_HTTP_AAUTH_MAX_METADATA : NGX_HTTP_AAUTH_MAX_JWKS);

        } else {
            ngx_sprintf(why, "status %i%Z", ctx->fetch_status ? ctx->fetch_status
                                                              : ctx->fetch_rc);
        }

        ngx_http_aauth_failed(r, alcf, ctx, (const char *) why);
        return ngx_http_aauth_settle(r, alcf, ctx, res);
    }

    if (ctx->fetch_ttl >= 0
        && (ctx->fetch_ttl_min < 0 || ctx->fetch_ttl < ctx->fetch_ttl_min))
    {
        ctx->fetch_ttl_min = ctx->fetch_ttl;
    }

    if (ctx->doc == NGX_HTTP_AAUTH_DOC_METADATA) {
        /* The library checks the document (issuer = identifier) and names the JWKS. */
        n = 0;
        ar = aauth_verifier_check_metadata(ctx->verifier, ctx->metadata.data,
                                           ctx->metadata.len, buf, sizeof(buf), &n);
        if (ar != AAUTH_RESULT_OK) {
            ctx->doc_res = aauth_result_is_verification_error(ar)
                           ? ar : AAUTH_RESULT_INVALID_KEY;
            ngx_sprintf(why, "the metadata document is refused (%s)%Z",
                        aauth_result_name(ar));
            ngx_http_aauth_failed(r, alcf, ctx, (const char *) why);
            return ngx_http_aauth_settle(r, alcf, ctx, res);
        }

        ctx->jwks_uri.data = ngx_pnalloc(r->pool, n);
        if (ctx->jwks_uri.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(ctx->jwks_uri.data, buf, n);
        ctx->jwks_uri.len = n;

        /* A cross-origin jwks_uri only when its origin is allowed. */
        ar = aauth_egress_check_jwks_uri(ctx->jwks_uri.data, ctx->jwks_uri.len,
                                         ctx->fetch_url.data, ctx->fetch_url.len,
                                         alcf->allow->elts, alcf->allow->nelts);
        if (ar != AAUTH_RESULT_OK) {
            ctx->doc_res = ar;
            ngx_http_aauth_failed(r, alcf, ctx,
                                  "its jwks_uri is on another origin that "
                                  "aauth_discovery_allow does not list");
            return ngx_http_aauth_settle(r, alcf, ctx, res);
        }

        ctx->doc = NGX_HTTP_AAUTH_DOC_JWKS;
        rc = ngx_http_aauth_fetch_start(r, alcf, ctx, &ctx->jwks_uri, &ar);

        if (rc == NGX_DECLINED) {
            ctx->doc_res = ar;
            ngx_http_aauth_failed(r, alcf, ctx, "egress admission refused its jwks_uri");
            return ngx_http_aauth_settle(r, alcf, ctx, res);
        }

        return rc;
    }

    /* The JWKS: decoded once for every worker. */
    nkeys = 0;
    ar = aauth_jwks_decode(&alcf->policy, ctx->jwks.data, ctx->jwks.len, keys,
                           AAUTH_MAX_JWKS_KIDS, &nkeys);
    if (ar != AAUTH_RESULT_OK) {
        ctx->doc_res = aauth_result_is_verification_error(ar) ? ar : AAUTH_RESULT_INVALID_KEY;
        ngx_sprintf(why, "the JWKS is refused (%s)%Z", aauth_result_name(ar));
        ngx_http_aauth_failed(r, alcf, ctx, (const char *) why);
        return ngx_http_aauth_settle(r, alcf, ctx, res);
    }

    ctx->fetch_ttl = ctx->fetch_ttl_min;
    ngx_http_aauth_store(r, alcf, ctx, keys, nkeys);

    /* This request: the library's whole check over the documents just fetched. */
    ctx->source.kind = AAUTH_KEY_KIND_DOCUMENTS;
    ctx->source.jwks.data = ctx->jwks.data;
    ctx->source.jwks.len = ctx->jwks.len;

    if (ctx->plan.fetch == AAUTH_FETCH_METADATA) {
        ctx->source.metadata.data = ctx->metadata.data;
        ctx->source.metadata.len = ctx->metadata.len;
    }

    ctx->from_zone = 0;
    *res = AAUTH_RESULT_OK;

    return NGX_OK;
}


/*
 * After phase 2 failed with a discovered key: when the library says a fresh copy of the
 * signer's keys may cure it (an unknown kid, a key that no longer verifies: SK-09 §7.2), go
 * back to the keys once; the refetch floor (aauth_discovery_refetch_interval) decides whether
 * a fetch happens. NGX_OK: back to KEYS; NGX_DECLINED: the failure stands.
 */
static ngx_int_t
ngx_http_aauth_refetch(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_result res)
{
    bool          again;
    uint16_t      check;

    if (alcf->discovery.len == 0 || !ctx->from_zone || ctx->refetched) {
        return NGX_DECLINED;
    }

    again = false;
    if (aauth_verifier_last_refetch(ctx->verifier, &again) != AAUTH_RESULT_OK || !again) {
        return NGX_DECLINED;
    }

    check = 0;
    (void) aauth_verifier_last_check(ctx->verifier, &check);

    ctx->refetched = 1;
    ctx->refetch_res = res;     /* the failure, should no refetch be allowed now */
    ctx->from_zone = 0;
    ctx->fetch_tried = 0;
    ctx->phase = NGX_HTTP_AAUTH_KEYS;

    return NGX_OK;
}


/* Configuration *************************************************************/


/* aauth_discovery <uri> | off; */
static char *
ngx_http_aauth_discovery(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    ngx_str_t  *value;

    if (alcf->discovery.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(&alcf->discovery, "");
        return NGX_CONF_OK;
    }

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid location \"%V\": expected the URI of an "
                           "internal location (\"/_aauth_fetch\") or off", &cmd->name,
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    alcf->discovery = value[1];

    return NGX_CONF_OK;
}


/* aauth_discovery_{allow,http,private} <pattern> ...; each checked by the library. */
static char *
ngx_http_aauth_patterns(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_uint_t     i;
    ngx_str_t     *value;
    ngx_array_t  **list;
    aauth_slice   *s;

    list = (ngx_array_t **) (p + cmd->offset);

    if (*list != NULL) {
        return "is duplicate";
    }

    if (cf->args->nelts - 1 > AAUTH_MAX_PATTERNS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "at most %d patterns",
                           AAUTH_MAX_PATTERNS);
        return NGX_CONF_ERROR;
    }

    *list = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(aauth_slice));
    if (*list == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (aauth_egress_check_pattern(value[i].data, value[i].len) != AAUTH_RESULT_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": invalid pattern \"%V\": expected host[:port], "
                               "*.suffix[:port] or *[:port] (lowercase, no scheme)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(*list);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        s->data = value[i].data;
        s->len = value[i].len;
    }

    return NGX_CONF_OK;
}


/* aauth_discovery_ttl <min> <max>; */
static char *
ngx_http_aauth_ttl(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    time_t      lo, hi;
    ngx_str_t  *value;

    if (alcf->ttl_min != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lo = ngx_parse_time(&value[1], 1);
    hi = ngx_parse_time(&value[2], 1);

    if (lo == (time_t) NGX_ERROR || hi == (time_t) NGX_ERROR || lo > hi || hi > 86400) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid ttl \"%V %V\": expected min max, "
                           "min <= max <= 24h", &cmd->name, &value[1], &value[2]);
        return NGX_CONF_ERROR;
    }

    alcf->ttl_min = lo;
    alcf->ttl_max = hi;

    return NGX_CONF_OK;
}


/* aauth_discovery_refetch_interval <time>; (SK-09: at least a minute; shorter: tests). */
static char *
ngx_http_aauth_refetch_interval(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    time_t      t;
    ngx_str_t  *value;

    if (alcf->refetch_interval != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    t = ngx_parse_time(&value[1], 1);

    if (t == (time_t) NGX_ERROR || t < 1) {
        return "needs a time of at least 1s";
    }

    if (t < 60) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "aauth_discovery_refetch_interval below 60s: for tests "
                           "only (SK-09 §7.2 refetches a signer at most once a minute)");
    }

    alcf->refetch_interval = t;

    return NGX_CONF_OK;
}
