/*
 * Discovery: included by ngx_http_aauth_module.c. (Stub until the discovery step.)
 */


static ngx_int_t
ngx_http_aauth_discover(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx, aauth_result *res)
{
    *res = aauth_verifier_host_refusal(ctx->verifier, AAUTH_RESULT_UNKNOWN_KEY);
    return NGX_OK;
}


static ngx_int_t
ngx_http_aauth_refetch(ngx_http_request_t *r, ngx_http_aauth_loc_conf_t *alcf,
    ngx_http_aauth_ctx_t *ctx)
{
    return NGX_DECLINED;
}


static char *
ngx_http_aauth_discovery(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_aauth_loc_conf_t *alcf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        return NGX_CONF_OK;
    }

    alcf->discovery = value[1];
    return NGX_CONF_OK;
}


static char *
ngx_http_aauth_patterns(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return NGX_CONF_OK;
}


static char *
ngx_http_aauth_ttl(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return NGX_CONF_OK;
}
