#include <stdio.h>
#include <string.h>

#include "admin_req.h"

static int on_url(http_parser *p, const char *at, size_t len)
{
    admin_req_t *r = p->data;
    if (r->url_too_long || r->url_len + len >= sizeof(r->url)) {
        r->url_too_long = 1;
        return 0;
    }
    memcpy(r->url + r->url_len, at, len);
    r->url_len += len;
    r->url[r->url_len] = 0;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    admin_req_t *r = p->data;
    r->complete = 1;
    return 1; /* one request per connection: stop parsing */
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_message_complete = on_message_complete,
};

void admin_req_init(admin_req_t *r)
{
    memset(r, 0, sizeof(*r));
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

static void refuse(admin_decision_t *d, int status, const char *msg)
{
    d->verdict = ADMIN_REFUSE;
    d->status = status;
    snprintf(d->message, sizeof(d->message), "%s\n", msg);
}

static void decide(admin_req_t *r, admin_decision_t *d)
{
    if (r->url_too_long) {
        refuse(d, 400, "URL too long");
        return;
    }
    unsigned m = r->parser.method;
    if (m != HTTP_GET && m != HTTP_HEAD) {
        refuse(d, 405, "only GET and HEAD");
        return;
    }
    struct http_parser_url u;
    http_parser_url_init(&u);
    snprintf(d->path, sizeof(d->path), "/");
    if (http_parser_parse_url(r->url, r->url_len, 0, &u) == 0 && (u.field_set & (1 << UF_PATH)))
        snprintf(d->path, sizeof(d->path), "%.*s", (int)u.field_data[UF_PATH].len,
                 r->url + u.field_data[UF_PATH].off);
    if (d->path[0] != '/') { /* the asterisk form ("*metrics") and the like */
        refuse(d, 400, "bad request: the URL must be a path such as /metrics");
        return;
    }
    d->head = m == HTTP_HEAD;
    d->verdict = ADMIN_ROUTE;
}

void admin_req_feed(admin_req_t *r, const char *buf, size_t n, admin_decision_t *d)
{
    memset(d, 0, sizeof(*d));
    d->verdict = ADMIN_MORE;
    r->nread += n;
    if (r->nread > ADMIN_MAX_REQUEST) {
        refuse(d, 400, "request too large");
        return;
    }
    size_t used = http_parser_execute(&r->parser, &settings, buf, n);
    if (r->complete) {
        decide(r, d);
        return;
    }
    if (r->parser.http_errno != HPE_OK || used != n) {
        char msg[96];
        snprintf(msg, sizeof(msg), "bad request: %s",
                 http_errno_name((enum http_errno)r->parser.http_errno));
        refuse(d, 400, msg);
    }
}
