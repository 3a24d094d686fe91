/* The admin port's request reader, with no I/O: bytes in, a decision out
 * (tests/fuzz/fuzz_admin_req.c feeds it arbitrary bytes in arbitrary
 * pieces). One request per connection: GET or HEAD, a URL of at most
 * ADMIN_URL_MAX - 1 bytes, at most ADMIN_MAX_REQUEST bytes in all. */
#pragma once
#include <http_parser.h>
#include <stddef.h>

#define ADMIN_MAX_REQUEST 16384
#define ADMIN_URL_MAX 1024

typedef struct admin_req {
    http_parser parser;
    char url[ADMIN_URL_MAX];
    size_t url_len;
    size_t nread;
    int url_too_long;
    int complete; /* the request has been read whole */
} admin_req_t;

typedef enum admin_verdict {
    ADMIN_MORE = 0, /* feed more bytes */
    ADMIN_ROUTE,    /* complete and acceptable: answer `path` (GET, or HEAD) */
    ADMIN_REFUSE,   /* answer `status` with `message` and close */
} admin_verdict_t;

typedef struct admin_decision {
    admin_verdict_t verdict;
    int head;                 /* ADMIN_ROUTE: HEAD (headers only) */
    char path[ADMIN_URL_MAX]; /* ADMIN_ROUTE: the URL's path, "/" when it has none */
    int status;               /* ADMIN_REFUSE: 400 or 405 */
    char message[128];        /* ADMIN_REFUSE: one line ending in \n */
} admin_decision_t;

void admin_req_init(admin_req_t *r);

/* Feeds the next n bytes of the connection. Once the verdict is not
 * ADMIN_MORE the request is decided: later bytes are not looked at. */
void admin_req_feed(admin_req_t *r, const char *buf, size_t n, admin_decision_t *d);
