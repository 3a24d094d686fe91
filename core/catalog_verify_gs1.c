/* Catalogue invariants: what 2D codes are checked against (catalog_gs1.c):
 * recalls and the item → recalls index, both directions; expiry markdown and
 * best-before rules. A catalogue made before recalls has no recalls
 * databases: nothing to check there. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_verify_int.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"

/* ---- recalls ------------------------------------------------------------------- */

static int check_recall(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char id[PL_RECALL_ID_MAX + 1], what[64];
    pl_recall_t r;
    pl_item_t it;
    (void)val;
    if (!verify_key_id(v, k, id, PL_RECALL_ID_MAX, "", "a recall id"))
        return 0;
    int rc = verify_decoded(v, pl_recall_get(v->t, id, &r), "recall", id);
    if (rc <= 0)
        return rc;
    snprintf(what, sizeof(what), "recall %s", id);
    rc = verify_need_item(v, r.sku, &it, what);
    if (rc < 0)
        return rc;
    if (r.end != PL_TIME_NONE && r.end < r.start)
        verify_report(v, "recall %s: window ends (@%" PRId64 ") before it starts (@%" PRId64 ")",
                      id, r.end, r.start);
    if (r.lot_to[0] && (strlen(r.lot_to) != strlen(r.lot_from) || strcmp(r.lot_to, r.lot_from) < 0))
        verify_report(v, "recall %s: lot range %s..%s is not a range", id, r.lot_from, r.lot_to);
    if (r.gtin[0]) {
        char owner[PL_ITEM_CODE_MAX + 1];
        rc = pl_cat_barcode_get(v->t, r.gtin, owner);
        if (rc == PL_ENOTFOUND || (!rc && strcmp(owner, r.sku) != 0))
            verify_report(v, "recall %s: barcode %s is not item %s's", id, r.gtin, r.sku);
        else if (rc && rc != PL_ECORRUPT)
            return rc;
    }
    rc = verify_has_pair(v, DB_RECALLITEMS, r.sku, strlen(r.sku), id, strlen(id));
    if (rc == 0)
        verify_report(v, "recall %s of item %s, but recallitems lacks %s → %s", id, r.sku, r.sku,
                      id);
    return rc < 0 ? rc : 0;
}

static int check_recallitem(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], id[PL_RECALL_ID_MAX + 1];
    if (!verify_index_entry(v, k, val, sku, id, PL_RECALL_ID_MAX, "recall"))
        return 0;
    pl_recall_t r;
    int rc = pl_recall_get(v->t, id, &r);
    if (rc == PL_ENOTFOUND)
        verify_report(v, "item %s → recall %s, which does not exist", sku, id);
    else if (!rc && strcmp(r.sku, sku) != 0)
        verify_report(v, "item %s → recall %s, which is of item %s", sku, id, r.sku);
    else if (rc && rc != PL_ECORRUPT && rc != PL_EVERSION)
        return rc;
    return 0;
}

struct xmd_check {
    verify_t *v;
    int rc;
};

static int check_xmd_rule(const pl_xmd_t *x, void *arg)
{
    struct xmd_check *c = arg;
    verify_t *v = c->v;
    char what[64];
    pl_item_t it;
    v->c->records++;
    snprintf(what, sizeof(what), "%s %s",
             x->kind == PL_XMD_MARKDOWN ? "expiry markdown" : "best-before rule", x->id);
    for (int i = 0; i < x->nitems; i++) {
        int rc = verify_need_item(v, x->items[i], &it, what);
        if (rc < 0)
            return rc;
    }
    for (int i = 0; i < x->nscope && x->scope_kind != PL_SCOPE_ALL; i++)
        verify_need_scope(v, x->scope_kind == PL_SCOPE_ZONES ? PL_LEVEL_ZONE : PL_LEVEL_STORE,
                          x->scope[i], what);
    if (x->end != PL_TIME_NONE && x->end <= x->start)
        verify_report(v, "%s: window ends before it starts", what);
    return 0;
}

/* Expiry markdown rules: each decodes, names existing items and scopes. */
static int check_xmds(verify_t *v)
{
    struct xmd_check c = {v, 0};
    v->db = "xmarkdowns";
    int rc = pl_xmd_each(v->t, check_xmd_rule, &c);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        verify_report(v, "a rule does not decode (%s)", pl_strerror(rc));
        rc = 0;
    }
    return rc;
}

int verify_gs1(verify_t *v)
{
    int rc = 0;
    if (cat_has(v->t, DB_RECALLS))
        rc = verify_walk(v, DB_RECALLS, "recalls", check_recall);
    if (!rc && cat_has(v->t, DB_RECALLITEMS))
        rc = verify_walk(v, DB_RECALLITEMS, "recallitems", check_recallitem);
    if (!rc)
        rc = check_xmds(v);
    return rc;
}
