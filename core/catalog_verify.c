/* Catalogue invariants (see pricelane/catalog_verify.h): the walk, meta and
 * the stores, and the helpers every part of the check shares (the parts are
 * listed in catalog_verify_int.h). Every database is walked with a raw
 * cursor, so records that no index reaches are checked too; each record is
 * then decoded with the catalogue's own getters, so a record they could not
 * read is reported here first. Both directions of every duplicated fact are
 * checked with MDB_GET_BOTH, in constant memory (only the store table is
 * held). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_verify_int.h"
#include "pricelane/err.h"
#include "rec.h"

void verify_report(verify_t *v, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    v->c->violations++;
    v->fn(v->db, msg, v->arg);
}

/* A key or value as text: printable ASCII and UTF-8 as is, other bytes \xNN,
 * at most 60 bytes of it. */
const char *verify_show(const void *p, size_t n, char *out, size_t cap)
{
    const unsigned char *s = p;
    size_t o = 0;
    for (size_t i = 0; i < n && i < 60 && o + 5 < cap; i++) {
        if (s[i] >= 0x20 && s[i] != 0x7f && s[i] != '\\')
            out[o++] = (char)s[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
    }
    if (n > 60 && o + 4 < cap)
        o += (size_t)snprintf(out + o, cap - o, "...");
    out[o] = 0;
    return out;
}

/* Copies a key into a C string of at most max bytes; 0 when it does not fit
 * or holds a NUL. */
int verify_key_str(const MDB_val *k, char *out, size_t max)
{
    if (k->mv_size == 0 || k->mv_size > max || memchr(k->mv_data, 0, k->mv_size))
        return 0;
    memcpy(out, k->mv_data, k->mv_size);
    out[k->mv_size] = 0;
    return 1;
}

int verify_key_id(verify_t *v, const MDB_val *k, char *out, size_t max, const char *kind,
                  const char *noun)
{
    char sh[256];
    if (verify_key_str(k, out, max))
        return 1;
    verify_report(v, "%s%skey \"%s\" is not %s", kind, kind[0] ? " " : "",
                  verify_show(k->mv_data, k->mv_size, sh, sizeof(sh)), noun);
    return 0;
}

int verify_index_entry(verify_t *v, const MDB_val *k, const MDB_val *val, char *sku, char *id,
                       size_t max, const char *noun)
{
    char sh[256], sh2[256];
    if (verify_key_str(k, sku, PL_ITEM_CODE_MAX) && verify_key_str(val, id, max))
        return 1;
    verify_report(v, "entry \"%s\" → \"%s\" is not SKU → %s",
                  verify_show(k->mv_data, k->mv_size, sh, sizeof(sh)),
                  verify_show(val->mv_data, val->mv_size, sh2, sizeof(sh2)), noun);
    return 0;
}

int verify_decoded(verify_t *v, int rc, const char *kind, const char *id)
{
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        verify_report(v, "%s %s: record does not decode (%s)", kind, id, pl_strerror(rc));
        return 0;
    }
    return rc ? rc : 1;
}

/* Walks every entry (every duplicate of dupsort databases). */
int verify_walk(verify_t *v, int db, const char *name,
                int (*fn)(verify_t *v, const MDB_val *k, const MDB_val *val))
{
    MDB_cursor *cur;
    v->db = name;
    int rc = pl_err_from_mdb(mdb_cursor_open(v->t->txn, v->t->cat->dbi[db], &cur));
    if (rc)
        return rc;
    MDB_val k, val;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == MDB_SUCCESS && !rc;
         mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        v->c->records++;
        rc = fn(v, &k, &val);
    }
    if (!rc && mrc != MDB_NOTFOUND && mrc != MDB_SUCCESS)
        rc = pl_err_from_mdb(mrc);
    mdb_cursor_close(cur);
    return rc;
}

/* Is (k, val) in dupsort database db? 1, 0, or a negative code. */
int verify_has_pair(verify_t *v, int db, const void *k, size_t klen, const void *val, size_t vlen)
{
    MDB_cursor *cur;
    int rc = pl_err_from_mdb(mdb_cursor_open(v->t->txn, v->t->cat->dbi[db], &cur));
    if (rc)
        return rc;
    MDB_val key = {klen, (void *)k}, data = {vlen, (void *)val};
    int mrc = mdb_cursor_get(cur, &key, &data, MDB_GET_BOTH);
    mdb_cursor_close(cur);
    if (mrc == MDB_NOTFOUND)
        return 0;
    return mrc == MDB_SUCCESS ? 1 : pl_err_from_mdb(mrc);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

int verify_in_set(char (*set)[PL_SCOPE_MAX + 1], size_t n, const char *id)
{
    return n && bsearch(id, set, n, sizeof(*set), cmp_id) != NULL;
}

/* An item that must exist: 1 (it.flags filled), 0 (reported), < 0 error. */
int verify_need_item(verify_t *v, const char *sku, pl_item_t *it, const char *what)
{
    int rc = pl_item_get(v->t, sku, it);
    if (rc == PL_ENOTFOUND) {
        verify_report(v, "%s: item %s does not exist", what, sku);
        return 0;
    }
    if (rc == PL_ECORRUPT || rc == PL_EVERSION)
        return 0; /* reported when the items database is walked */
    return rc ? rc : 1;
}

/* A label or price scope: "" (chain), a zone, or a store. A zone need not
 * have stores: a batch may only create rows for a zone that has some, but
 * its stores may all move to other zones later, which leaves its rows in
 * place, unused until a store joins the zone again. */
void verify_need_scope(verify_t *v, int level, const char *scope, const char *what)
{
    if (level == PL_LEVEL_BASE && scope[0])
        verify_report(v, "%s: chain level with scope \"%s\" (the chain's scope is \"\")", what,
                      scope);
    else if (level == PL_LEVEL_ZONE && !scope[0])
        verify_report(v, "%s: zone level without a zone", what);
    else if (level == PL_LEVEL_STORE && !verify_in_set(v->stores, v->nstores, scope))
        verify_report(v, "%s: store %s does not exist", what, scope);
    else if (level > PL_LEVEL_STORE)
        verify_report(v, "%s: level %d is not base, zone or store", what, level);
}
/* ---- meta and stores -------------------------------------------------------- */

static int add_store(verify_t *v, const pl_store_t *st)
{
    void *z = realloc(v->zones, (v->nzones + 1) * sizeof(*v->zones));
    if (z)
        v->zones = z;
    void *s = z ? realloc(v->stores, (v->nstores + 1) * sizeof(*v->stores)) : NULL;
    if (!s)
        return -ENOMEM;
    v->stores = s;
    memcpy(v->stores[v->nstores++], st->id, PL_SCOPE_MAX + 1);
    if (st->zone[0])
        memcpy(v->zones[v->nzones++], st->zone, PL_SCOPE_MAX + 1);
    return 0;
}

static int check_store(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char id[PL_SCOPE_MAX + 1];
    pl_store_t st;
    if (!verify_key_id(v, k, id, PL_SCOPE_MAX, "store", "a store id"))
        return 0;
    int rc = verify_decoded(v, pl_store_get(v->t, id, &st), "store", id);
    if (rc <= 0)
        return rc;
    if (st.zone[0] && verify_in_set(v->stores, v->nstores, st.zone))
        verify_report(
            v, "store %s: its zone %s is also a store id (zones and stores share one namespace)",
            id, st.zone);
    (void)val;
    return 0;
}

/* The stores are loaded first: every other check may name a zone or store.
 * Records that do not decode are left out (and reported by the walk). */
static int load_stores(verify_t *v)
{
    MDB_cursor *cur;
    MDB_val k, val;
    int rc = pl_err_from_mdb(mdb_cursor_open(v->t->txn, v->t->cat->dbi[DB_STORES], &cur));
    if (rc)
        return rc;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == MDB_SUCCESS && !rc;
         mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
        char id[PL_SCOPE_MAX + 1];
        pl_store_t st;
        if (verify_key_str(&k, id, PL_SCOPE_MAX) && pl_store_get(v->t, id, &st) == 0)
            rc = add_store(v, &st);
    }
    if (!rc && mrc != MDB_NOTFOUND && mrc != MDB_SUCCESS)
        rc = pl_err_from_mdb(mrc);
    mdb_cursor_close(cur);
    if (rc)
        return rc;
    if (v->nstores)
        qsort(v->stores, v->nstores, sizeof(*v->stores), cmp_id);
    if (v->nzones)
        qsort(v->zones, v->nzones, sizeof(*v->zones), cmp_id);
    size_t n = 0;
    for (size_t i = 0; i < v->nzones; i++)
        if (!n || strcmp(v->zones[n - 1], v->zones[i]) != 0)
            memmove(v->zones[n++], v->zones[i], sizeof(*v->zones));
    v->nzones = n;
    return verify_walk(v, DB_STORES, "stores", check_store);
}

static int meta_u64(verify_t *v, const char *key, uint64_t *out)
{
    MDB_val val;
    int rc = cat_get(v->t, DB_META, key, strlen(key), &val);
    if (rc == PL_ENOTFOUND) {
        verify_report(v, "meta record \"%s\" is missing", key);
        return 0;
    }
    if (rc)
        return rc;
    rec_r r = {val.mv_data, val.mv_size, 0, 0};
    *out = rr_u64(&r);
    if (r.err || r.off != r.len)
        verify_report(v, "meta record \"%s\" is %zu bytes, not a 64-bit number", key, val.mv_size);
    return 0;
}
/* ---- the walk ---------------------------------------------------------------------- */

int pl_cat_verify(pl_txn_t *txn, pl_verify_fn fn, void *arg, pl_verify_counts_t *counts)
{
    verify_t v = {0};
    uint64_t next_job = 0, u;
    v.t = txn;
    v.fn = fn;
    v.arg = arg;
    v.c = counts;
    memset(counts, 0, sizeof(*counts));

    v.db = "meta";
    int rc = meta_u64(&v, "schema", &u);
    if (!rc)
        rc = meta_u64(&v, "gen", &u);
    if (!rc)
        rc = meta_u64(&v, "next_job", &next_job);
    if (!rc)
        rc = load_stores(&v);
    if (!rc)
        rc = verify_items(&v);
    if (!rc)
        rc = verify_prices(&v);
    if (!rc)
        rc = verify_gs1(&v);
    if (!rc)
        rc = verify_labels(&v, next_job);
    if (!rc)
        rc = verify_ledger(&v);
    if (!rc)
        rc = cat_verify_recs(txn, fn, arg, &counts->violations);
    free(v.zones);
    free(v.stores);
    return rc;
}
