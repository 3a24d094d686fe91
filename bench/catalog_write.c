/* The writer of `pricelane-bench catalog` (catalog_write.h): buffered
 * output, CSV rows (RFC 4180), and the rows of stores, items and promotions
 * with the values the generator gives them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_words.h"
#include "catalog_write.h"
#include "pricelane/timefmt.h"

/* ---- output ---------------------------------------------------------------- */

static void out_flush(struct out *o)
{
    size_t off = 0;
    while (off < o->len && !o->err) {
        ssize_t n = write(o->fd, o->buf + off, o->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            o->err = errno;
        else
            off += (size_t)n;
    }
    o->bytes += o->len;
    o->len = 0;
}

static inline void out_put(struct out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap)
        out_flush(o);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

int out_open(struct out *o, const char *path, size_t cap)
{
    o->path = path;
    o->fd = strcmp(path, "-") == 0 ? STDOUT_FILENO
                                   : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    o->buf = malloc(cap);
    o->cap = cap;
    if (o->fd < 0 || !o->buf) {
        fprintf(stderr, "pricelane-bench catalog: %s: %s\n", path,
                o->fd < 0 ? strerror(errno) : "out of memory");
        return -1;
    }
    return 0;
}

int out_close(struct out *o)
{
    if (!o->buf)
        return 0;
    out_flush(o);
    if (o->fd > STDOUT_FILENO && close(o->fd) != 0 && !o->err)
        o->err = errno;
    free(o->buf);
    o->buf = NULL;
    if (o->err) {
        fprintf(stderr, "pricelane-bench catalog: writing %s: %s\n", o->path, strerror(o->err));
        return -1;
    }
    return 0;
}

/* ---- rows ------------------------------------------------------------------ */

enum col {
    C_OP,
    C_BATCH,
    C_SKU,
    C_BARCODE,
    C_NAME,
    C_UNIT,
    C_PACK_QTY,
    C_DEPT,
    C_FLAGS,
    C_PLU,
    C_CONTENT,
    C_PRICE,
    C_ZONE,
    C_STORE,
    C_START,
    C_END,
    C_PROMO,
    C_KIND,
    C_PCT_OFF,
    C_PRIORITY,
    C_MEMBER,
    C_SCOPE,
    C_ITEMS,
    C_TEXT,
    C_FORMATS,
    NCOL
};

static const char *const col_names[NCOL] = {
    "op",      "batch",    "sku",    "barcode", "name",  "unit",  "pack_qty", "dept",  "flags",
    "plu",     "content",  "price",  "zone",    "store", "start", "end",      "promo", "kind",
    "pct_off", "priority", "member", "scope",   "items", "text",  "formats"};

typedef struct row {
    const char *v[NCOL];
} row_t;

static void emit(struct out *o, const row_t *r, uint64_t *rows)
{
    for (int c = 0; c < NCOL; c++) {
        if (c)
            out_put(o, ",", 1);
        const char *s = r->v[c];
        if (!s || !*s)
            continue;
        if (!strpbrk(s, ",\"\r\n")) {
            out_str(o, s);
            continue;
        }
        out_put(o, "\"", 1);
        for (const char *q; (q = strchr(s, '"')); s = q + 1) {
            out_put(o, s, (size_t)(q - s) + 1);
            out_put(o, "\"", 1);
        }
        out_str(o, s);
        out_put(o, "\"", 1);
    }
    out_put(o, "\n", 1);
    (*rows)++;
}

void write_header(struct out *o)
{
    for (int col = 0; col < NCOL; col++) {
        if (col)
            out_put(o, ",", 1);
        out_str(o, col_names[col]);
    }
    out_put(o, "\n", 1);
}

static const char *money(char *buf, int64_t fen)
{
    size_t n = gen_put_u(buf, (uint64_t)(fen / 100), 0);
    buf[n++] = '.';
    gen_put_u(buf + n, (uint64_t)(fen % 100), 2);
    return buf;
}

const char *write_when(char *buf, int64_t t)
{
    pl_time_format(t, UTC_OFFSET_MIN, buf, 32);
    return buf;
}

static void zone_id(char *buf, unsigned z)
{
    buf[0] = 'Z';
    gen_put_u(buf + 1, z + 1, 0);
}

static void store_id(char *buf, unsigned s)
{
    buf[0] = 'S';
    gen_put_u(buf + 1, s + 1, 3);
}

void write_stores(struct gen *g, struct out *o, struct counts *k)
{
    for (unsigned s = 0; s < g->stores; s++) {
        row_t r = {{0}};
        char id[16], zone[16], name[64];
        size_t n = 0;
        store_id(id, s);
        zone_id(zone, s % g->zones);
        const char *const *c = words_cities[s % words_ncities];
        name[0] = '\0';
        gen_cat_str(name, sizeof(name), &n, c[0]);
        gen_cat_str(name, sizeof(name), &n, c[1]);
        if (s >= words_ncities) {
            char num[16];
            gen_put_u(num, s / words_ncities + 1, 0);
            gen_cat_str(name, sizeof(name), &n, num);
            gen_cat_str(name, sizeof(name), &n, "号");
        }
        gen_cat_str(name, sizeof(name), &n, "店");
        r.v[C_OP] = "store";
        r.v[C_STORE] = id;
        r.v[C_ZONE] = zone;
        r.v[C_NAME] = name;
        /* every fifth store also reads EAN-13 price labels with a price check digit */
        if (s % 5 == 4)
            r.v[C_FORMATS] = "20IIIIIPPPPPC,21IIIIIWWWWWC,22IIIIINNNNNC,28IIIIVPPPPPC";
        emit(o, &r, &k->rows);
    }
}

static void write_key_scale(struct out *keys, const char *prefix, const char *plu, uint64_t amount)
{
    char code[16];
    memcpy(code, prefix, 2);
    memcpy(code + 2, plu, 5);
    gen_put_u(code + 7, amount, 5);
    gen_add_check(code);
    code[13] = '\n';
    out_put(keys, code, 14);
}

/* The item's barcode rows, and with keys its codes: every barcode, and for a
 * weighed or counted item a scale label with a weight or a count. */
static void write_codes(struct gen *g, uint64_t i, const struct item *it, struct out *o,
                        struct out *keys, struct counts *k)
{
    for (int b = 0; b < it->nbar; b++) {
        row_t rb = {{0}};
        rb.v[C_OP] = "barcode";
        rb.v[C_SKU] = it->sku;
        rb.v[C_BARCODE] = it->bar[b];
        emit(o, &rb, &k->rows);
        k->barcodes++;
        if (keys) {
            out_str(keys, it->bar[b]);
            out_put(keys, "\n", 1);
            k->keys++;
        }
    }
    if (it->kind == WEIGHED) {
        k->weighed++;
        if (keys) {
            write_key_scale(keys, "21", it->plu, 100 + gen_hash(g, 7, i) % 2900);
            k->keys++;
        }
    } else if (it->kind == COUNTED) {
        k->counted++;
        if (keys) {
            write_key_scale(keys, "22", it->plu, 1 + gen_hash(g, 7, i) % 12);
            k->keys++;
        }
    }
}

/* The item's zone, store and scheduled prices. */
static void write_prices(struct gen *g, uint64_t i, const struct item *it, struct out *o,
                         struct counts *k)
{
    char p2[24], t[32], zone[16], store[16];
    uint64_t rz = gen_hash(g, 3, i), rs = gen_hash(g, 4, i), rp = gen_hash(g, 5, i);
    /* zone prices for about 8% of items, sometimes in two zones */
    if (rz % 100 < 8) {
        int nz = g->zones > 1 && (rz >> 8) % 3 == 0 ? 2 : 1;
        for (int z = 0; z < nz; z++) {
            row_t rr = {{0}};
            zone_id(zone, (unsigned)(((rz >> 16) + (uint64_t)z) % g->zones));
            rr.v[C_OP] = "price";
            rr.v[C_SKU] = it->sku;
            rr.v[C_ZONE] = zone;
            rr.v[C_PRICE] =
                money(p2, gen_round10(it->price * (int64_t)(95 + (rz >> (24 + 8 * z)) % 16) / 100));
            emit(o, &rr, &k->rows);
            k->zone_prices++;
        }
    }
    /* store prices for about 2%; a tenth of them end (withdrawn) in two weeks */
    if (rs % 100 < 2) {
        row_t rr = {{0}};
        store_id(store, (unsigned)((rs >> 8) % g->stores));
        rr.v[C_OP] = "price";
        rr.v[C_SKU] = it->sku;
        rr.v[C_STORE] = store;
        rr.v[C_PRICE] = money(p2, gen_round10(it->price * (int64_t)(88 + (rs >> 24) % 18) / 100));
        emit(o, &rr, &k->rows);
        k->store_prices++;
        if ((rs >> 40) % 10 == 0) {
            rr.v[C_PRICE] = "-";
            rr.v[C_START] = write_when(t, g->day0 + 14 * DAY);
            emit(o, &rr, &k->rows);
        }
    }
    /* scheduled price changes for about 3%, one in four at zone level */
    if (rp % 100 < 3) {
        row_t rr = {{0}};
        rr.v[C_OP] = "price";
        rr.v[C_SKU] = it->sku;
        if ((rp >> 8) % 4 == 0) {
            zone_id(zone, (unsigned)((rp >> 12) % g->zones));
            rr.v[C_ZONE] = zone;
        }
        rr.v[C_PRICE] = money(p2, gen_round10(it->price * (int64_t)(90 + (rp >> 24) % 26) / 100));
        rr.v[C_START] = write_when(t, g->day0 + (int64_t)(1 + (rp >> 32) % 30) * DAY);
        emit(o, &rr, &k->rows);
        k->scheduled++;
    }
}

void write_item(struct gen *g, uint64_t i, struct out *o, struct out *keys, struct counts *k)
{
    struct item it;
    char price[24];
    gen_item(g, i, &it);

    row_t r = {{0}};
    r.v[C_OP] = "item";
    r.v[C_SKU] = it.sku;
    r.v[C_NAME] = it.name;
    r.v[C_UNIT] = it.unit;
    r.v[C_PACK_QTY] = it.pack_s;
    r.v[C_DEPT] = it.dept;
    r.v[C_FLAGS] = it.flags;
    r.v[C_PLU] = it.plu;
    r.v[C_CONTENT] = it.content;
    r.v[C_PRICE] = money(price, it.price);
    emit(o, &r, &k->rows);

    write_codes(g, i, &it, o, keys, k);
    write_prices(g, i, &it, o, k);
}

/* The promotion's items, drawn from the sequence: nitems distinct ones, their
 * SKUs joined with '|' into items. *it is left holding the last of them. */
static void promo_items(struct gen *g, unsigned nitems, char *items, size_t cap, struct item *it)
{
    uint64_t idx[5];
    unsigned n = 0;
    while (n < nitems) {
        uint64_t x = gen_rnd(g) % g->n;
        int dup = 0;
        for (unsigned q = 0; q < n; q++)
            dup |= idx[q] == x;
        if (!dup)
            idx[n++] = x;
    }
    size_t il = 0;
    for (unsigned q = 0; q < n; q++) {
        gen_item(g, idx[q], it);
        if (q)
            gen_cat_str(items, cap, &il, "|");
        gen_cat_str(items, cap, &il, it->sku);
    }
}

/* The promotion's window [*s, *e): past (window 0), current (1) or future (2). */
static void promo_window(struct gen *g, int window, int64_t *s, int64_t *e)
{
    uint64_t rw = gen_rnd(g);
    if (window == 0) {
        *e = g->day0 - (int64_t)(1 + rw % 10) * DAY;
        *s = *e - (int64_t)(3 + (rw >> 8) % 12) * DAY;
    } else if (window == 1) {
        *s = g->day0 - (int64_t)((rw >> 16) % 6) * DAY;
        *e = g->day0 + (int64_t)(2 + (rw >> 24) % 29) * DAY;
    } else {
        *s = g->day0 + (int64_t)(1 + (rw >> 32) % 14) * DAY;
        *e = *s + (int64_t)(3 + (rw >> 40) % 12) * DAY;
    }
}

/* Three promotions in ten are limited to one or two zones or stores: their
 * scope in scope[0..cap). Returns scope, or NULL for the whole chain. */
static const char *promo_scope(const struct gen *g, uint64_t r, char *scope, size_t cap)
{
    uint64_t sc = (r >> 24) % 10;
    size_t sl = 0;
    scope[0] = '\0';
    if (sc < 7)
        return NULL;
    char a[16], b[16];
    int zones = sc < 9;
    unsigned lim = zones ? g->zones : g->stores, x = (unsigned)((r >> 32) % lim),
             y = (unsigned)((r >> 48) % lim);
    if (zones)
        zone_id(a, x), zone_id(b, y);
    else
        store_id(a, x), store_id(b, y);
    gen_cat_str(scope, cap, &sl, zones ? "zone:" : "store:");
    gen_cat_str(scope, cap, &sl, a);
    if (x != y) {
        gen_cat_str(scope, cap, &sl, "|");
        gen_cat_str(scope, cap, &sl, b);
    }
    return scope;
}

void write_promo(struct gen *g, uint64_t j, struct out *o, struct counts *k)
{
    const struct pkind *pk = &words_pkinds[j % words_npkinds];
    int window = (int)(j / words_npkinds % 3); /* 0 past, 1 current, 2 future */
    uint64_t r = gen_rnd(g);
    int by_price = pk->by_price == 2 ? (int)(r & 1) : pk->by_price;
    unsigned nitems = by_price ? 1 : 1 + (unsigned)((r >> 4) % 5);
    if (nitems > g->n)
        nitems = (unsigned)g->n;

    char items[5 * 16 + 8] = "", id[24] = "PR", price[24], start[32], end[32], scope[64];
    struct item it;
    promo_items(g, nitems, items, sizeof(items), &it);
    gen_put_u(id + 2, j + 1, 6);

    int64_t s, e;
    promo_window(g, window, &s, &e);
    if (pk->priority == 10) /* flyers switch at store opening */
        s += 8 * 3600;

    row_t rr = {{0}};
    rr.v[C_OP] = "promo";
    rr.v[C_PROMO] = id;
    rr.v[C_KIND] = pk->kind;
    rr.v[C_ITEMS] = items;
    if (by_price) /* the single item's price, 8-30% off, in whole jiao */
        rr.v[C_PRICE] = money(price, it.price * (70 + (int64_t)((r >> 8) % 23)) / 1000 * 10);
    else
        rr.v[C_PCT_OFF] = pk->pcts[(r >> 12) % 4];
    rr.v[C_START] = write_when(start, s);
    rr.v[C_END] = write_when(end, e);
    char prio[8];
    gen_put_u(prio, (uint64_t)pk->priority + ((r >> 20) % 8 == 0 ? 1 : 0), 0);
    rr.v[C_PRIORITY] = prio;
    if (!strcmp(pk->kind, "member"))
        rr.v[C_MEMBER] = "true";
    rr.v[C_SCOPE] = promo_scope(g, r, scope, sizeof(scope));
    rr.v[C_TEXT] = pk->text[(r >> 28) % 3];
    emit(o, &rr, &k->rows);
    k->promos++;
}
