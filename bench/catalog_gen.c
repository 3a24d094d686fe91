/* The generator of `pricelane-bench catalog`: items and the permutations
 * behind them (catalog_gen.h).
 *
 * Uniqueness is by construction, not by lookup: SKUs are sequential, barcodes
 * are an affine permutation of [0, 10^10) applied to (item, slot), and scale
 * codes (PLUs) a permutation of the 5-digit range applied to the weighed
 * item's ordinal. */
#include <string.h>

#include "catalog_gen.h"
#include "catalog_words.h"
#include "pricelane/barcode.h"

#define PLU_SPACE 90000 /* 5-digit scale codes 10000-99999 */
#define WEIGHED_MAX 85000
#define COUNTED_MAX 5000

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    return (uint64_t)((unsigned __int128)a * b % m);
}

void gen_cat_str(char *dst, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l >= cap)
        l = cap - 1 - *n;
    memcpy(dst + *n, s, l);
    *n += l;
    dst[*n] = '\0';
}

/* Writes v as decimal digits, zero-padded to width; returns the length. */
size_t gen_put_u(char *dst, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    for (int i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return (size_t)n;
}

/* "6l", "1.8l", "250ml", "1kg", "500g" */
static void content_text(char *out, unsigned v, char cu)
{
    const char *big = cu == 'g' ? "kg" : "l", *small = cu == 'g' ? "g" : "ml";
    if (v >= 1000) {
        size_t n = gen_put_u(out, v / 1000, 0);
        unsigned frac = v % 1000;
        if (frac) {
            out[n++] = '.';
            n += gen_put_u(out + n, frac, 3);
            while (out[n - 1] == '0')
                n--;
        }
        strcpy(out + n, big);
    } else {
        size_t n = gen_put_u(out, v, 0);
        strcpy(out + n, small);
    }
}

int64_t gen_round10(int64_t fen)
{
    fen = (fen + 5) / 10 * 10;
    return fen < 50 ? 50 : fen;
}

/* Appends the GS1 check digit to the digits in d (NUL-terminated). */
void gen_add_check(char *d)
{
    size_t n = strlen(d);
    d[n] = (char)('0' + pl_barcode_check_digit(d, n));
    d[n + 1] = '\0';
}

void gen_item(const struct gen *g, uint64_t i, struct item *it)
{
    uint64_t p = (mulmod(g->perm_a, i, g->n) + g->perm_b) % g->n;
    uint64_t r0 = gen_hash(g, 0, i), r1 = gen_hash(g, 1, i);
    size_t n = 0;

    gen_put_u(it->sku, g->sku_base + i, g->sku_digits);
    it->name[0] = '\0';
    it->nbar = 0;
    it->plu[0] = '\0';
    it->content[0] = '\0';
    it->pack = 1;
    it->flags = "";
    it->kind = p % 20 == 7 && p / 20 < WEIGHED_MAX      ? WEIGHED
               : p % 200 == 13 && p / 200 < COUNTED_MAX ? COUNTED
                                                        : PACKED;
    if (it->kind != PACKED) {
        uint64_t ord = it->kind == WEIGHED ? p / 20 : WEIGHED_MAX + p / 200;
        gen_put_u(it->plu, 10000 + (ord * 7919 + g->plu_off) % PLU_SPACE, 5);
        const struct fresh *f = it->kind == WEIGHED ? &words_weighed[r0 % words_nweighed]
                                                    : &words_counted[r0 % words_ncounted];
        if (it->kind == WEIGHED)
            gen_cat_str(it->name, sizeof(it->name), &n, words_fresh_q[(r0 >> 8) % words_nfresh_q]);
        gen_cat_str(it->name, sizeof(it->name), &n, f->name);
        it->dept = f->dept;
        it->unit = it->kind == WEIGHED ? "kg" : "个";
        it->flags = it->kind == WEIGHED ? "weighed" : "counted";
        it->price = gen_round10((int64_t)f->fen * (int64_t)(80 + (r1 >> 16) % 50) / 100);
    } else {
        uint64_t w = r0 % g->cat_total;
        const struct category *c = words_cats;
        while (w >= c->weight)
            w -= c->weight, c++;
        const struct line *ln = &c->lines[(r0 >> 16) % c->nlines];
        const struct spec *sp = &c->specs[(r0 >> 24) % c->nspecs];
        gen_cat_str(it->name, sizeof(it->name), &n, ln->brand);
        gen_cat_str(it->name, sizeof(it->name), &n, " ");
        gen_cat_str(it->name, sizeof(it->name), &n, ln->product);
        gen_cat_str(it->name, sizeof(it->name), &n, " ");
        gen_cat_str(it->name, sizeof(it->name), &n, sp->text);
        it->dept = c->dept;
        it->unit = sp->unit;
        it->flags = c->flags;
        it->pack = sp->pack;
        if (sp->content)
            content_text(it->content, sp->content, sp->cu);
        it->price =
            gen_round10((int64_t)ln->fen * sp->pct / 100 * (int64_t)(92 + (r1 >> 16) % 17) / 100);
        it->nbar = (r1 >> 40) % 10 == 0 ? 2 : 1;
        for (int s = 0; s < it->nbar; s++) {
            uint64_t x =
                (mulmod(g->bar_a, 2 * i + (uint64_t)s, 10000000000ULL) + g->bar_b) % 10000000000ULL;
            it->bar[s][0] = '6';
            it->bar[s][1] = '9';
            gen_put_u(it->bar[s] + 2, x, 10);
            gen_add_check(it->bar[s]);
        }
    }
    gen_put_u(it->pack_s, it->pack, 0);
}

void gen_init(struct gen *g, uint64_t seed, uint64_t n, unsigned stores, unsigned zones,
              int64_t now)
{
    memset(g, 0, sizeof(*g));
    g->seed = gen_mix64(seed ^ 0x5052494345ULL);
    g->n = n;
    g->stores = stores;
    g->zones = zones;
    g->now = now;
    g->day0 = (now + UTC_OFFSET_MIN * 60) / DAY * DAY - UTC_OFFSET_MIN * 60;
    g->perm_a = (uint64_t)((double)n * 0.6180339887) | 1;
    while (gcd(g->perm_a, n) != 1)
        g->perm_a++;
    g->perm_b = gen_hash(g, 100, 0) % n;
    g->bar_a = 1000000000ULL + gen_hash(g, 101, 0) % 8000000000ULL;
    while (g->bar_a % 2 == 0 || g->bar_a % 5 == 0)
        g->bar_a++;
    g->bar_b = gen_hash(g, 102, 0) % 10000000000ULL;
    g->plu_off = gen_hash(g, 103, 0) % PLU_SPACE;
    for (size_t c = 0; c < words_ncats; c++)
        g->cat_total += words_cats[c].weight;
    /* SKUs of 7 digits (never a GTIN length), 9 beyond 9 million items */
    g->sku_digits = n <= 9000000 ? 7 : 9;
    g->sku_base = n <= 9000000 ? 1000000 : 100000000;
    for (int i = 0; i < 4; i++)
        g->rng[i] = gen_hash(g, 200 + (uint64_t)i, 0);
}
