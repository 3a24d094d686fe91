/* Fuzz target: the admin port's request reader (server/admin_req.c), the
 * only code that reads what an admin client sends.
 *
 * Input: the first byte is a piece size (1-256; 0 = the whole input at
 * once), the rest the bytes of the connection.
 *
 * Checks: the verdict does not depend on how the bytes are split (fed
 * whole and fed in pieces give the same verdict, path and status); a route
 * has a NUL-terminated path starting with '/' no longer than the URL limit;
 * a refusal is 400 or 405 with a one-line message; more than the request
 * limit is never routed; once decided, a request stays decided. */
#include <string.h>

#include "admin_req.h"
#include "fuzz.h"

static void check_decision(const admin_decision_t *d)
{
    if (d->verdict == ADMIN_ROUTE) {
        FUZZ_CHECK(memchr(d->path, 0, sizeof(d->path)) != NULL, "path not terminated");
        FUZZ_CHECK(d->path[0] == '/', "path \"%s\"", d->path);
    } else if (d->verdict == ADMIN_REFUSE) {
        FUZZ_CHECK(d->status == 400 || d->status == 405, "status %d", d->status);
        size_t n = strnlen(d->message, sizeof(d->message));
        FUZZ_CHECK(n > 1 && n < sizeof(d->message) && d->message[n - 1] == '\n', "message");
    } else {
        FUZZ_CHECK(d->verdict == ADMIN_MORE, "verdict %d", d->verdict);
    }
}

/* Feeds data in pieces of `step` bytes (0: at once) until decided. */
static size_t run(const uint8_t *data, size_t len, size_t step, admin_decision_t *d)
{
    static admin_req_t r;
    admin_req_init(&r);
    memset(d, 0, sizeof(*d));
    size_t fed = 0;
    while (fed < len || (fed == 0 && len == 0)) {
        size_t n = step && len - fed > step ? step : len - fed;
        admin_req_feed(&r, (const char *)data + fed, n, d);
        fed += n;
        check_decision(d);
        if (d->verdict != ADMIN_MORE || n == 0)
            break;
    }
    return fed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0];
    data++, size--;
    static admin_decision_t whole, pieces;
    size_t fed_whole = run(data, size, 0, &whole);
    size_t fed_pieces = run(data, size, step, &pieces);
    if (whole.verdict == ADMIN_ROUTE)
        FUZZ_CHECK(fed_whole <= ADMIN_MAX_REQUEST, "routed after %zu bytes", fed_whole);
    /* A request that is over the size limit only by bytes past its end is
     * decided sooner when fed in pieces: compare when both read it whole. */
    if (size <= ADMIN_MAX_REQUEST) {
        FUZZ_CHECK(whole.verdict == pieces.verdict, "verdict %d whole, %d in pieces of %zu",
                   whole.verdict, pieces.verdict, step);
        if (whole.verdict == ADMIN_ROUTE)
            FUZZ_CHECK(strcmp(whole.path, pieces.path) == 0 && whole.head == pieces.head,
                       "path \"%s\" whole, \"%s\" in pieces", whole.path, pieces.path);
        if (whole.verdict == ADMIN_REFUSE)
            FUZZ_CHECK(whole.status == pieces.status, "status %d whole, %d in pieces", whole.status,
                       pieces.status);
    }
    (void)fed_pieces;
    return 0;
}
