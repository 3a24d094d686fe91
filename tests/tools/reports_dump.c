/* reports_dump: prints a report store (pricelane/report.h) for the
 * end-to-end tests, one line per record:
 *   report STORE LANE ID KIND CAUSE SHELF SYSTEM CHARGE REFUND AT CODE
 *   keyed DAY STORE SKU N
 * Usage: reports_dump DIR [FIRST_DAY LAST_DAY]  (days since 1970-01-01 in
 * the catalogue's offset, for the keyed counts). Exit 0, or 1 with the
 * error on stderr (a missing store, a corrupt record). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pricelane/err.h"
#include "pricelane/report.h"

static int one(const pl_report_t *r, void *arg)
{
    (void)arg;
    printf("report %s %s %s %s %s %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %s\n",
           r->store, r->lane, r->id, pl_report_kind_name(r->kind), pl_report_cause_name(r->cause),
           r->shelf_price == INT64_MIN ? -1 : r->shelf_price,
           r->system_price == INT64_MIN ? -1 : r->system_price,
           r->charge == INT64_MIN ? -1 : r->charge, r->refund, r->at, r->code);
    return 0;
}

static int keyed(const pl_keyed_count_t *k, void *arg)
{
    printf("keyed %" PRId64 " %s %s %" PRIu64 "\n", *(int64_t *)arg, k->store, k->sku, k->n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: reports_dump DIR [FIRST_DAY LAST_DAY]\n");
        return 2;
    }
    pl_reports_t *rs;
    char err[512];
    int rc = pl_reports_open(argv[1], 0, &rs, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "reports_dump: %s\n", err);
        return 1;
    }
    rc = pl_reports_each(rs, INT64_MIN, INT64_MAX, NULL, one, NULL);
    for (int64_t d = argc == 4 ? atoll(argv[2]) : 1, last = argc == 4 ? atoll(argv[3]) : 0;
         !rc && d <= last; d++)
        rc = pl_reports_keyed_each(rs, d, NULL, keyed, &d);
    pl_reports_close(rs);
    if (rc) {
        fprintf(stderr, "reports_dump: %s: %s\n", argv[1], pl_strerror(rc));
        return 1;
    }
    return 0;
}
