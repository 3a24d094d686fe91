/* Catalogue invariants (see pricelane/catalog_verify.h). Every database is
 * walked with a raw cursor, so records that no index reaches are checked
 * too; each record is then decoded with the catalogue's own getters, so a
 * record they could not read is reported here first. Both directions of
 * every duplicated fact are checked with MDB_GET_BOTH, in constant memory
 * (only the store table is held). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"
#include "pricelane/catalog_verify.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "rec.h"

typedef struct verify {
    pl_txn_t *t;
    pl_verify_fn fn;
    void *arg;
    pl_verify_counts_t *c;
    /* zones that have stores, sorted; store ids, sorted */
    char (*zones)[PL_SCOPE_MAX + 1];
    size_t nzones;
    char (*stores)[PL_SCOPE_MAX + 1];
    size_t nstores;
    uint64_t max_job;
    char price_sku[PL_ITEM_CODE_MAX + 1]; /* prices: the item whose rows were checked last */
    const char *db;                       /* database being walked, for reports */
} verify_t;

static void report(verify_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(verify_t *v, const char *fmt, ...)
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
static const char *show(const void *p, size_t n, char *out, size_t cap)
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
static int key_str(const MDB_val *k, char *out, size_t max)
{
    if (k->mv_size == 0 || k->mv_size > max || memchr(k->mv_data, 0, k->mv_size))
        return 0;
    memcpy(out, k->mv_data, k->mv_size);
    out[k->mv_size] = 0;
    return 1;
}

/* Walks every entry (every duplicate of dupsort databases). */
static int walk(verify_t *v, int db, const char *name,
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
static int has_pair(verify_t *v, int db, const void *k, size_t klen, const void *val, size_t vlen)
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

static int in_set(char (*set)[PL_SCOPE_MAX + 1], size_t n, const char *id)
{
    return n && bsearch(id, set, n, sizeof(*set), cmp_id) != NULL;
}

/* An item that must exist: 1 (it.flags filled), 0 (reported), < 0 error. */
static int need_item(verify_t *v, const char *sku, pl_item_t *it, const char *what)
{
    int rc = pl_item_get(v->t, sku, it);
    if (rc == PL_ENOTFOUND) {
        report(v, "%s: item %s does not exist", what, sku);
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
static void need_scope(verify_t *v, int level, const char *scope, const char *what)
{
    if (level == PL_LEVEL_BASE && scope[0])
        report(v, "%s: chain level with scope \"%s\" (the chain's scope is \"\")", what, scope);
    else if (level == PL_LEVEL_ZONE && !scope[0])
        report(v, "%s: zone level without a zone", what);
    else if (level == PL_LEVEL_STORE && !in_set(v->stores, v->nstores, scope))
        report(v, "%s: store %s does not exist", what, scope);
    else if (level > PL_LEVEL_STORE)
        report(v, "%s: level %d is not base, zone or store", what, level);
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
    char id[PL_SCOPE_MAX + 1], sh[256];
    pl_store_t st;
    if (!key_str(k, id, PL_SCOPE_MAX)) {
        report(v, "store key \"%s\" is not a store id",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    int rc = pl_store_get(v->t, id, &st);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION)
        report(v, "store %s: record does not decode (%s)", id, pl_strerror(rc));
    else if (rc)
        return rc;
    else if (st.zone[0] && in_set(v->stores, v->nstores, st.zone))
        report(v, "store %s: its zone %s is also a store id (zones and stores share one namespace)",
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
        if (key_str(&k, id, PL_SCOPE_MAX) && pl_store_get(v->t, id, &st) == 0)
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
    return walk(v, DB_STORES, "stores", check_store);
}

static int meta_u64(verify_t *v, const char *key, uint64_t *out)
{
    MDB_val val;
    int rc = cat_get(v->t, DB_META, key, strlen(key), &val);
    if (rc == PL_ENOTFOUND) {
        report(v, "meta record \"%s\" is missing", key);
        return 0;
    }
    if (rc)
        return rc;
    rec_r r = {val.mv_data, val.mv_size, 0, 0};
    *out = rr_u64(&r);
    if (r.err || r.off != r.len)
        report(v, "meta record \"%s\" is %zu bytes, not a 64-bit number", key, val.mv_size);
    return 0;
}

/* ---- items and barcodes ------------------------------------------------------ */

static int check_item(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], sh[256], key[PL_BARCODE_KEY_MAX + 2],
        owner[PL_ITEM_CODE_MAX + 1];
    pl_item_t it;
    (void)val;
    if (!key_str(k, sku, PL_ITEM_CODE_MAX)) {
        report(v, "item key \"%s\" is not a SKU", show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    int rc = pl_item_get(v->t, sku, &it);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "item %s: record does not decode (%s)", sku, pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    if (it.pack_qty < 1)
        report(v, "item %s: pack quantity 0", sku);
    if (it.plu[0]) {
        snprintf(key, sizeof(key), "P%s", it.plu);
        rc = pl_cat_barcode_get(v->t, key, owner);
        if (rc == PL_ENOTFOUND)
            report(v, "item %s: its scale code %s is not in barcodes", sku, it.plu);
        else if (!rc && strcmp(owner, sku) != 0)
            report(v, "item %s: its scale code %s belongs to item %s", sku, it.plu, owner);
        else if (rc && rc != PL_ECORRUPT)
            return rc;
    }
    return 0;
}

static int barcode_key_ok(const char *key)
{
    size_t n = strlen(key);
    if (key[0] == 'P')
        return n >= 2 && n <= 1 + PL_PLU_MAX && strspn(key + 1, "0123456789") == n - 1;
    return n == 14 && strspn(key, "0123456789") == 14 &&
           pl_barcode_check_digit(key, 13) == key[13] - '0';
}

static int check_barcode(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char key[PL_BARCODE_KEY_MAX + 1], sku[PL_ITEM_CODE_MAX + 1], sh[256];
    pl_item_t it;
    if (!key_str(k, key, PL_BARCODE_KEY_MAX) || !barcode_key_ok(key)) {
        report(v, "key \"%s\" is neither a GTIN-14 with a valid check digit nor P+scale code",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    if (!key_str(val, sku, PL_ITEM_CODE_MAX)) {
        report(v, "barcode %s: value \"%s\" is not a SKU", key,
               show(val->mv_data, val->mv_size, sh, sizeof(sh)));
        return 0;
    }
    if (key[0] != 'P') {
        pl_barcode_cfg_t cfg;
        pl_code_t c;
        pl_barcode_cfg_default(&cfg);
        cfg.nformats = 0;
        /* An EAN-8 is stored as 000000 + 8 digits: read back as scanned. */
        int ean8 = strncmp(key, "000000", 6) == 0;
        if (pl_barcode_normalize(&cfg, ean8 ? key + 6 : key, ean8 ? 8 : 14, &c) == 0 && c.in_store)
            report(v,
                   "barcode %s of item %s is an in-store code (prefix 02, 20-29): lanes decode "
                   "it as a scale label, never as this barcode; remove it (barcode_remove) and "
                   "give the item a plu",
                   key, sku);
    }
    char what[128];
    snprintf(what, sizeof(what), "barcode %s", key);
    int rc = need_item(v, sku, &it, what);
    if (rc < 0)
        return rc;
    rc = has_pair(v, DB_ITEMCODES, sku, strlen(sku), key, strlen(key));
    if (rc == 0)
        report(v, "barcode %s points at item %s, but the item's barcode list (itemcodes) lacks it",
               key, sku);
    return rc < 0 ? rc : 0;
}

static int check_itemcode(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char key[PL_BARCODE_KEY_MAX + 1], sku[PL_ITEM_CODE_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
    char sh[256], sh2[256];
    pl_item_t it;
    if (!key_str(k, sku, PL_ITEM_CODE_MAX) || !key_str(val, key, PL_BARCODE_KEY_MAX)) {
        report(v, "entry \"%s\" → \"%s\" is not SKU → barcode",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)),
               show(val->mv_data, val->mv_size, sh2, sizeof(sh2)));
        return 0;
    }
    int rc = pl_cat_barcode_get(v->t, key, owner);
    if (rc == PL_ENOTFOUND)
        report(v, "item %s lists barcode %s, which is on no item in barcodes", sku, key);
    else if (!rc && strcmp(owner, sku) != 0)
        report(
            v,
            "barcode %s is listed under items %s and %s (barcodes says %s): a barcode on two items",
            key, sku, owner, owner);
    else if (rc && rc != PL_ECORRUPT)
        return rc;
    char what[128];
    snprintf(what, sizeof(what), "itemcodes entry %s → %s", sku, key);
    rc = need_item(v, sku, &it, what);
    return rc < 0 ? rc : 0;
}

/* ---- prices ------------------------------------------------------------------- */

static int check_price(const pl_price_t *p, void *arg)
{
    verify_t *v = arg;
    char what[128];
    snprintf(what, sizeof(what), "price row of item %s", p->sku);
    need_scope(v, p->level, p->scope, what);
    if (p->price < 0 && !(p->price == PL_PRICE_REMOVED && p->level != PL_LEVEL_BASE))
        report(v, "%s (%s %s from @%" PRId64 "): price %" PRId64 " is negative", what,
               p->level == PL_LEVEL_BASE   ? "base"
               : p->level == PL_LEVEL_ZONE ? "zone"
                                           : "store",
               p->scope, p->start, p->price);
    return 0;
}

static int check_prices_of(verify_t *v, const char *sku)
{
    pl_item_t it;
    int rc = need_item(v, sku, &it, "price rows");
    if (rc < 0)
        return rc;
    rc = pl_price_each(v->t, sku, check_price, v);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "price rows of item %s: a record does not decode (%s)", sku, pl_strerror(rc));
        rc = 0;
    }
    return rc;
}

static int check_price_key(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sh[256];
    const uint8_t *z = memchr(k->mv_data, 0, k->mv_size);
    size_t n = z ? (size_t)(z - (const uint8_t *)k->mv_data) : 0;
    (void)val;
    if (!z || n == 0 || n > PL_ITEM_CODE_MAX || k->mv_size < n + 1 + 1 + 1 + 8) {
        report(v, "key \"%s\" is not sku NUL level scope NUL start",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    if (strlen(v->price_sku) == n && memcmp(v->price_sku, k->mv_data, n) == 0)
        return 0; /* rows of this item were checked with the first one */
    memcpy(v->price_sku, k->mv_data, n);
    v->price_sku[n] = 0;
    return check_prices_of(v, v->price_sku);
}

/* ---- promotions ----------------------------------------------------------------- */

struct promo_check {
    verify_t *v;
    const char *id;
    const char *want; /* promoitems side: the SKU looked for */
    int found;
};

static int check_promo_item(const char *sku, void *arg)
{
    struct promo_check *pc = arg;
    verify_t *v = pc->v;
    pl_item_t it;
    char what[128];
    snprintf(what, sizeof(what), "promotion %s", pc->id);
    int rc = need_item(v, sku, &it, what);
    if (rc < 0)
        return rc;
    rc = has_pair(v, DB_PROMOITEMS, sku, strlen(sku), pc->id, strlen(pc->id));
    if (rc == 0)
        report(v, "promotion %s lists item %s, but promoitems lacks %s → %s", pc->id, sku, sku,
               pc->id);
    return rc < 0 ? rc : 0;
}

static int check_promo(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char id[PL_PROMO_ID_MAX + 1], sh[256];
    pl_promo_t pr;
    (void)val;
    if (!key_str(k, id, PL_PROMO_ID_MAX)) {
        report(v, "key \"%s\" is not a promotion id", show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    int rc = pl_promo_get(v->t, id, &pr);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "promotion %s: record does not decode (%s)", id, pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    if (pr.kind < PL_PROMO_SPECIAL || pr.kind > PL_PROMO_CLEARANCE)
        report(v, "promotion %s: unknown kind %d", id, pr.kind);
    if (pr.end <= pr.start)
        report(v, "promotion %s: window ends (@%" PRId64 ") before it starts (@%" PRId64 ")", id,
               pr.end, pr.start);
    if (pr.price == PL_PRICE_NONE ? pr.pct_off_bp <= 0 || pr.pct_off_bp >= 10000 : pr.price < 0)
        report(v, "promotion %s: neither a price nor a percent off in (0, 100)", id);
    if (pr.scope_kind > PL_SCOPE_STORES || (pr.scope_kind != PL_SCOPE_ALL && !pr.nscope))
        report(v, "promotion %s: scope kind %d with %d entries", id, pr.scope_kind, pr.nscope);
    char what[128];
    snprintf(what, sizeof(what), "promotion %s", id);
    for (int i = 0; i < pr.nscope && pr.scope_kind != PL_SCOPE_ALL; i++)
        need_scope(v, pr.scope_kind == PL_SCOPE_ZONES ? PL_LEVEL_ZONE : PL_LEVEL_STORE, pr.scope[i],
                   what);
    struct promo_check pc = {v, id, NULL, 0};
    rc = pl_promo_items(v->t, id, check_promo_item, &pc);
    if (rc == PL_ECORRUPT) {
        report(v, "promotion %s: item list does not decode", id);
        rc = 0;
    }
    return rc;
}

static int find_item(const char *sku, void *arg)
{
    struct promo_check *pc = arg;
    pc->found |= strcmp(sku, pc->want) == 0;
    return 0;
}

static int check_promoitem(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], id[PL_PROMO_ID_MAX + 1], sh[256], sh2[256];
    if (!key_str(k, sku, PL_ITEM_CODE_MAX) || !key_str(val, id, PL_PROMO_ID_MAX)) {
        report(v, "entry \"%s\" → \"%s\" is not SKU → promotion",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)),
               show(val->mv_data, val->mv_size, sh2, sizeof(sh2)));
        return 0;
    }
    struct promo_check pc = {v, id, sku, 0};
    int rc = pl_promo_items(v->t, id, find_item, &pc);
    if (rc == PL_ENOTFOUND)
        report(v, "item %s → promotion %s, which does not exist", sku, id);
    else if (!rc && !pc.found)
        report(v, "item %s → promotion %s, which does not list the item", sku, id);
    else if (rc && rc != PL_ECORRUPT && rc != PL_EVERSION)
        return rc;
    return 0;
}

/* ---- recalls ------------------------------------------------------------------- */

static int check_recall(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char id[PL_RECALL_ID_MAX + 1], sh[256], what[64];
    pl_recall_t r;
    pl_item_t it;
    (void)val;
    if (!key_str(k, id, PL_RECALL_ID_MAX)) {
        report(v, "key \"%s\" is not a recall id", show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    int rc = pl_recall_get(v->t, id, &r);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "recall %s: record does not decode (%s)", id, pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    snprintf(what, sizeof(what), "recall %s", id);
    rc = need_item(v, r.sku, &it, what);
    if (rc < 0)
        return rc;
    if (r.end != PL_TIME_NONE && r.end < r.start)
        report(v, "recall %s: window ends (@%" PRId64 ") before it starts (@%" PRId64 ")", id,
               r.end, r.start);
    if (r.lot_to[0] && (strlen(r.lot_to) != strlen(r.lot_from) || strcmp(r.lot_to, r.lot_from) < 0))
        report(v, "recall %s: lot range %s..%s is not a range", id, r.lot_from, r.lot_to);
    if (r.gtin[0]) {
        char owner[PL_ITEM_CODE_MAX + 1];
        rc = pl_cat_barcode_get(v->t, r.gtin, owner);
        if (rc == PL_ENOTFOUND || (!rc && strcmp(owner, r.sku) != 0))
            report(v, "recall %s: barcode %s is not item %s's", id, r.gtin, r.sku);
        else if (rc && rc != PL_ECORRUPT)
            return rc;
    }
    rc = has_pair(v, DB_RECALLITEMS, r.sku, strlen(r.sku), id, strlen(id));
    if (rc == 0)
        report(v, "recall %s of item %s, but recallitems lacks %s → %s", id, r.sku, r.sku, id);
    return rc < 0 ? rc : 0;
}

static int check_recallitem(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], id[PL_RECALL_ID_MAX + 1], sh[256], sh2[256];
    if (!key_str(k, sku, PL_ITEM_CODE_MAX) || !key_str(val, id, PL_RECALL_ID_MAX)) {
        report(v, "entry \"%s\" → \"%s\" is not SKU → recall",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)),
               show(val->mv_data, val->mv_size, sh2, sizeof(sh2)));
        return 0;
    }
    pl_recall_t r;
    int rc = pl_recall_get(v->t, id, &r);
    if (rc == PL_ENOTFOUND)
        report(v, "item %s → recall %s, which does not exist", sku, id);
    else if (!rc && strcmp(r.sku, sku) != 0)
        report(v, "item %s → recall %s, which is of item %s", sku, id, r.sku);
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
        int rc = need_item(v, x->items[i], &it, what);
        if (rc < 0)
            return rc;
    }
    for (int i = 0; i < x->nscope && x->scope_kind != PL_SCOPE_ALL; i++)
        need_scope(v, x->scope_kind == PL_SCOPE_ZONES ? PL_LEVEL_ZONE : PL_LEVEL_STORE, x->scope[i],
                   what);
    if (x->end != PL_TIME_NONE && x->end <= x->start)
        report(v, "%s: window ends before it starts", what);
    return 0;
}

/* Expiry markdown rules: each decodes, names existing items and scopes. */
static int check_xmds(verify_t *v)
{
    struct xmd_check c = {v, 0};
    v->db = "xmarkdowns";
    int rc = pl_xmd_each(v->t, check_xmd_rule, &c);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "a rule does not decode (%s)", pl_strerror(rc));
        rc = 0;
    }
    return rc;
}

/* ---- labels and jobs ------------------------------------------------------------ */

static int scope_level(verify_t *v, const char *scope)
{
    return !scope[0]                              ? PL_LEVEL_BASE
           : in_set(v->stores, v->nstores, scope) ? PL_LEVEL_STORE
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
        report(v, "key \"%s\" is not sku NUL scope", show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    memcpy(sku, k->mv_data, n);
    sku[n] = 0;
    memcpy(scope, z + 1, slen);
    scope[slen] = 0;
    int rc = pl_label_get(v->t, sku, scope, &lb);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "label of item %s scope \"%s\": record does not decode (%s)", sku, scope,
               pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    char what[128];
    snprintf(what, sizeof(what), "label of item %s scope \"%s\"", sku, scope);
    rc = need_item(v, sku, &it, what);
    if (rc < 0)
        return rc;
    need_scope(v, scope_level(v, scope), scope, what);
    /* What prune keeps: a priced item keeps at least the row in force at
     * its cutoff, so an item with a shelf label never loses all its price
     * rows (no loader removes one otherwise). */
    uint8_t pk[PL_ITEM_CODE_MAX + 1];
    memcpy(pk, sku, n + 1);
    rc = cat_walk(v->t, DB_PRICES, pk, n + 1, first_row, NULL);
    if (rc < 0)
        return rc;
    if (rc == 0)
        report(v, "%s: the item has no price row (its price in force was removed)", what);
    if (lb.price < 0)
        report(v, "%s: price %" PRId64 " is negative", what, lb.price);
    return 0;
}

static int check_job(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sh[256];
    pl_label_job_t j;
    pl_item_t it;
    (void)val;
    if (k->mv_size != 8) {
        report(v, "key \"%s\" is not an 8-byte job id",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    uint64_t id = key_get_be64(k->mv_data);
    if (id > v->max_job)
        v->max_job = id;
    int rc = pl_job_get(v->t, id, &j);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "job %" PRIu64 ": record does not decode (%s)", id, pl_strerror(rc));
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
        report(v, "job %" PRIu64 ": unknown state %d", id, j.state);
    rc = need_item(v, j.sku, &it, what);
    if (rc < 0)
        return rc;
    if (j.state != PL_JOB_PENDING)
        return 0;
    if (rc == 1 && (it.flags & PL_ITEM_DISCONTINUED))
        report(v, "%s is for item %s, which is discontinued", what, j.sku);
    need_scope(v, j.level, j.scope, what);
    if (j.price < 0)
        report(v, "%s: price to print %" PRId64 " is negative", what, j.price);
    rc = has_pair(v, DB_LJOBITEM, j.sku, strlen(j.sku), k->mv_data, 8);
    if (rc == 0)
        report(v, "%s is missing from the pending index (ljobitem) of item %s", what, j.sku);
    return rc < 0 ? rc : 0;
}

static int check_jobitem(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], sh[256];
    pl_label_job_t j;
    if (!key_str(k, sku, PL_ITEM_CODE_MAX) || val->mv_size != 8) {
        report(v, "entry \"%s\" is not SKU → 8-byte job id",
               show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    uint64_t id = key_get_be64(val->mv_data);
    int rc = pl_job_get(v->t, id, &j);
    if (rc == PL_ENOTFOUND)
        report(v, "item %s → job %" PRIu64 ", which does not exist", sku, id);
    else if (!rc && j.state != PL_JOB_PENDING)
        report(v, "item %s → job %" PRIu64 ", which is %s, not pending", sku, id,
               j.state == PL_JOB_ACKED ? "acked" : "superseded");
    else if (!rc && strcmp(j.sku, sku) != 0)
        report(v, "item %s → job %" PRIu64 ", which is for item %s", sku, id, j.sku);
    else if (rc && rc != PL_ECORRUPT && rc != PL_EVERSION)
        return rc;
    return 0;
}

/* ---- batch ledger ---------------------------------------------------------------- */

struct ledger {
    uint64_t max_gen;
    char max_id[PL_BATCH_ID_MAX + 1];
    uint64_t *gens;
    size_t n;
};

static __thread struct ledger *cur_ledger;

static int check_batch(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char id[PL_BATCH_ID_MAX + 1], sh[256];
    pl_batch_rec_t b;
    struct ledger *l = cur_ledger;
    (void)val;
    if (!key_str(k, id, PL_BATCH_ID_MAX)) {
        report(v, "key \"%s\" is not a batch id", show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    int rc = pl_batch_get(v->t, id, &b);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "batch %s: record does not decode (%s)", id, pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    uint64_t *g = realloc(l->gens, (l->n + 1) * sizeof(*g));
    if (!g)
        return -ENOMEM;
    l->gens = g;
    l->gens[l->n++] = b.gen;
    if (b.gen > l->max_gen || l->n == 1) {
        l->max_gen = b.gen;
        memcpy(l->max_id, id, sizeof(l->max_id));
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int check_ledger(verify_t *v)
{
    struct ledger l = {0};
    pl_meta_t m;
    cur_ledger = &l;
    int rc = walk(v, DB_BATCHES, "batches", check_batch);
    cur_ledger = NULL;
    v->db = "meta";
    int mrc = pl_meta_get(v->t, &m);
    if (mrc == PL_ENOTFOUND || mrc == PL_ECORRUPT) {
        report(v, "the meta records do not decode (%s)", pl_strerror(mrc));
    } else if (mrc) {
        rc = rc ? rc : mrc;
    } else if (!rc) {
        if (m.schema != PL_SCHEMA_VERSION)
            report(v, "schema version %u, expected %d", m.schema, PL_SCHEMA_VERSION);
        if (l.n && m.gen != l.max_gen)
            report(v,
                   "generation %" PRIu64 ", but the batch ledger's highest is %" PRIu64
                   " (batch %s)",
                   m.gen, l.max_gen, l.max_id);
        else if (l.n && strcmp(m.last_batch, l.max_id) != 0)
            report(v, "last_batch is \"%s\", but the batch of generation %" PRIu64 " is %s",
                   m.last_batch, l.max_gen, l.max_id);
        else if (!l.n && m.gen != 0)
            report(v, "generation %" PRIu64 " with an empty batch ledger", m.gen);
        if (l.n)
            qsort(l.gens, l.n, sizeof(*l.gens), cmp_u64);
        for (size_t i = 1; i < l.n; i++)
            if (l.gens[i] == l.gens[i - 1])
                report(v, "two batches of the ledger committed as generation %" PRIu64, l.gens[i]);
    }
    free(l.gens);
    return rc;
}

/* The change log: the records kept end at the current generation and state
 * and chain (each one's state before is the state of the one before it);
 * none is newer than the generation. A catalogue older than the log has no
 * records for its first generations: the chain may start anywhere. */
static int check_changes(verify_t *v)
{
    pl_meta_t m;
    pl_change_t c;
    v->db = "changes";
    int rc = pl_meta_get(v->t, &m);
    if (rc)
        return 0; /* reported by check_ledger */
    rc = pl_change_get(v->t, m.gen + 1, &c, NULL, NULL);
    if (rc != PL_ENOTFOUND)
        report(v, "a change record of generation %" PRIu64 ", past the catalogue's %" PRIu64,
               m.gen + 1, m.gen);
    uint64_t want = m.state, n = 0;
    for (uint64_t g = m.gen; g > 0; g--, n++) {
        rc = pl_change_get(v->t, g, &c, NULL, NULL);
        if (rc == PL_ENOTFOUND)
            break;
        if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
            report(v, "the change record of generation %" PRIu64 " does not decode (%s)", g,
                   pl_strerror(rc));
            break;
        }
        if (rc)
            return rc;
        if (c.state != want) {
            report(v,
                   "the change record of generation %" PRIu64 " ends in state %016" PRIx64
                   ", but %s state is %016" PRIx64,
                   g, c.state, g == m.gen ? "the catalogue's" : "the next record's previous", want);
            break;
        }
        want = c.prev_state;
    }
    if (n > PL_CHANGE_KEEP)
        report(v, "%" PRIu64 " change records, more than the %d kept", n, PL_CHANGE_KEEP);
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
        rc = walk(&v, DB_ITEMS, "items", check_item);
    if (!rc)
        rc = walk(&v, DB_BARCODES, "barcodes", check_barcode);
    if (!rc)
        rc = walk(&v, DB_ITEMCODES, "itemcodes", check_itemcode);
    if (!rc)
        rc = walk(&v, DB_PRICES, "prices", check_price_key);
    if (!rc)
        rc = walk(&v, DB_PROMOS, "promos", check_promo);
    if (!rc)
        rc = walk(&v, DB_PROMOITEMS, "promoitems", check_promoitem);
    if (!rc && cat_has(txn, DB_RECALLS))
        rc = walk(&v, DB_RECALLS, "recalls", check_recall);
    if (!rc && cat_has(txn, DB_RECALLITEMS))
        rc = walk(&v, DB_RECALLITEMS, "recallitems", check_recallitem);
    if (!rc)
        rc = check_xmds(&v);
    if (!rc)
        rc = walk(&v, DB_LABELS, "labels", check_label);
    if (!rc)
        rc = walk(&v, DB_LJOBS, "ljobs", check_job);
    if (!rc)
        rc = walk(&v, DB_LJOBITEM, "ljobitem", check_jobitem);
    if (!rc && v.max_job && next_job <= v.max_job) {
        v.db = "meta";
        report(&v, "next_job is %" PRIu64 ", but job %" PRIu64 " exists (ids would be reused)",
               next_job, v.max_job);
    }
    if (!rc)
        rc = check_ledger(&v);
    if (!rc)
        rc = check_changes(&v);
    if (!rc)
        rc = cat_verify_recs(txn, fn, arg, &counts->violations);
    free(v.zones);
    free(v.stores);
    return rc;
}
