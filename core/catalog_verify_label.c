/* Catalogue invariants: shelf labels, label jobs and the pending-job index
 * (ljobitem: item → its pending jobs) against the jobs, both directions; no
 * job id at or above meta's next_job. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_verify_int.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "rec.h"

/* ---- labels and jobs ------------------------------------------------------------ */

static int scope_level(verify_t *v, const char *scope)
{
    return !scope[0]                                     ? PL_LEVEL_BASE
           : verify_in_set(v->stores, v->nstores, scope) ? PL_LEVEL_STORE
                                                         : PL_LEVEL_ZONE;
}

static int first_row(const MDB_val *k, const MDB_val *val, void *arg)
{
    (void)k, (void)val, (void)arg;
    return 1; /* one is enough: stops the walk */
}

static int check_label(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], scope[PL_SCOPE_MAX + 1], sh[256];
    const uint8_t *z = memchr(k->mv_data, 0, k->mv_size);
    size_t n = z ? (size_t)(z - (const uint8_t *)k->mv_data) : 0;
    size_t slen = z ? k->mv_size - n - 1 : 0;
    pl_label_t lb;
    pl_item_t it;
    (void)val;
    if (!z || !n || n > PL_ITEM_CODE_MAX || slen > PL_SCOPE_MAX || memchr(z + 1, 0, slen)) {
        verify_report(v, "key \"%s\" is not sku NUL scope",
                      verify_show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    memcpy(sku, k->mv_data, n);
    sku[n] = 0;
    memcpy(scope, z + 1, slen);
    scope[slen] = 0;
    int rc = pl_label_get(v->t, sku, scope, &lb);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        verify_report(v, "label of item %s scope \"%s\": record does not decode (%s)", sku, scope,
                      pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    char what[128];
    snprintf(what, sizeof(what), "label of item %s scope \"%s\"", sku, scope);
    rc = verify_need_item(v, sku, &it, what);
    if (rc < 0)
        return rc;
    verify_need_scope(v, scope_level(v, scope), scope, what);
    /* What prune keeps: a priced item keeps at least the row in force at
     * its cutoff, so an item with a shelf label never loses all its price
     * rows (no loader removes one otherwise). */
    uint8_t pk[PL_ITEM_CODE_MAX + 1];
    memcpy(pk, sku, n + 1);
    rc = cat_walk(v->t, DB_PRICES, pk, n + 1, first_row, NULL);
    if (rc < 0)
        return rc;
    if (rc == 0)
        verify_report(v, "%s: the item has no price row (its price in force was removed)", what);
    if (lb.price < 0)
        verify_report(v, "%s: price %" PRId64 " is negative", what, lb.price);
    return 0;
}

static int check_job(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sh[256];
    pl_label_job_t j;
    pl_item_t it;
    (void)val;
    if (k->mv_size != 8) {
        verify_report(v, "key \"%s\" is not an 8-byte job id",
                      verify_show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    uint64_t id = key_get_be64(k->mv_data);
    if (id > v->max_job)
        v->max_job = id;
    int rc = pl_job_get(v->t, id, &j);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        verify_report(v, "job %" PRIu64 ": record does not decode (%s)", id, pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    char what[160];
    snprintf(what, sizeof(what), "job %" PRIu64 " (%s)", id,
             j.state == PL_JOB_PENDING ? "pending"
             : j.state == PL_JOB_ACKED ? "acked"
                                       : "superseded");
    if (j.state > PL_JOB_SUPERSEDED)
        verify_report(v, "job %" PRIu64 ": unknown state %d", id, j.state);
    rc = verify_need_item(v, j.sku, &it, what);
    if (rc < 0)
        return rc;
    if (j.state != PL_JOB_PENDING)
        return 0;
    if (rc == 1 && (it.flags & PL_ITEM_DISCONTINUED))
        verify_report(v, "%s is for item %s, which is discontinued", what, j.sku);
    verify_need_scope(v, j.level, j.scope, what);
    if (j.price < 0)
        verify_report(v, "%s: price to print %" PRId64 " is negative", what, j.price);
    rc = verify_has_pair(v, DB_LJOBITEM, j.sku, strlen(j.sku), k->mv_data, 8);
    if (rc == 0)
        verify_report(v, "%s is missing from the pending index (ljobitem) of item %s", what, j.sku);
    return rc < 0 ? rc : 0;
}

static int check_jobitem(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], sh[256];
    pl_label_job_t j;
    if (!verify_key_str(k, sku, PL_ITEM_CODE_MAX) || val->mv_size != 8) {
        verify_report(v, "entry \"%s\" is not SKU → 8-byte job id",
                      verify_show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    uint64_t id = key_get_be64(val->mv_data);
    int rc = pl_job_get(v->t, id, &j);
    if (rc == PL_ENOTFOUND)
        verify_report(v, "item %s → job %" PRIu64 ", which does not exist", sku, id);
    else if (!rc && j.state != PL_JOB_PENDING)
        verify_report(v, "item %s → job %" PRIu64 ", which is %s, not pending", sku, id,
                      j.state == PL_JOB_ACKED ? "acked" : "superseded");
    else if (!rc && strcmp(j.sku, sku) != 0)
        verify_report(v, "item %s → job %" PRIu64 ", which is for item %s", sku, id, j.sku);
    else if (rc && rc != PL_ECORRUPT && rc != PL_EVERSION)
        return rc;
    return 0;
}

int verify_labels(verify_t *v, uint64_t next_job)
{
    int rc = verify_walk(v, DB_LABELS, "labels", check_label);
    if (!rc)
        rc = verify_walk(v, DB_LJOBS, "ljobs", check_job);
    if (!rc)
        rc = verify_walk(v, DB_LJOBITEM, "ljobitem", check_jobitem);
    if (!rc && v->max_job && next_job <= v->max_job) {
        v->db = "meta";
        verify_report(v,
                      "next_job is %" PRIu64 ", but job %" PRIu64 " exists (ids would be reused)",
                      next_job, v->max_job);
    }
    return rc;
}
