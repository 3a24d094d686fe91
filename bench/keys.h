/* Keys for the load generator: the codes of a key file (one code per line,
 * as `pricelane-bench catalog --keys` writes), generated codes that exist in
 * no catalogue, and the request sequence drawn from them.
 *
 * Every code gets an index. Indices [0, nitems) are the key file's ordinary
 * codes, [nitems, nitems + nscale) its in-store scale codes (13 digits with
 * prefix 20-29, or 12 digits starting with 2), and the rest the generated
 * missing codes.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum pl_key_kind {
    PL_KEY_ITEM = 0,    /* a code of the key file: answered ok (or no_price) */
    PL_KEY_SCALE = 1,   /* an in-store scale code of the key file: answered ok */
    PL_KEY_MISSING = 2, /* a valid GTIN in no catalogue: answered not_found */
} pl_key_kind_t;

typedef struct pl_keys {
    char *text;    /* every code, each followed by a NUL */
    uint32_t *off; /* offset of code i in text */
    uint8_t *len;  /* length of code i */
    size_t n;      /* codes in all */
    size_t nitems, nscale, nmissing;
} pl_keys_t;

/* Reads `path` (blank lines and lines starting with '#' are skipped; a line
 * may be "code" or "code<TAB>anything": only the first field is taken) and
 * appends `nmissing` generated codes (seeded) that are not in the file.
 * Returns 0, or -1 after printing why on stderr. */
int pl_keys_load(pl_keys_t *k, const char *path, size_t nmissing, uint64_t seed);

/* Synthetic keys for the echo server when no key file is given: n valid
 * EAN-13 codes. Returns 0 or -1. */
int pl_keys_synthetic(pl_keys_t *k, size_t n, uint64_t seed);

void pl_keys_free(pl_keys_t *k);

static inline const char *pl_keys_code(const pl_keys_t *k, uint32_t i, size_t *len)
{
    *len = k->len[i];
    return k->text + k->off[i];
}

static inline pl_key_kind_t pl_keys_kind(const pl_keys_t *k, uint32_t i)
{
    return i < k->nitems ? PL_KEY_ITEM : i < k->nitems + k->nscale ? PL_KEY_SCALE : PL_KEY_MISSING;
}

typedef struct pl_keymix {
    int zipf;       /* 0 uniform, 1 Zipf over the ordinary codes */
    double zipf_s;  /* exponent */
    double missing; /* share of missing codes, 0..1 */
    double scale;   /* share of scale codes, 0..1 */
    uint64_t seed;
} pl_keymix_t;

/* Fills seq[0..len) with key indices drawn by `mix`. The hottest Zipf ranks
 * are spread over the key file by a seeded permutation, so they are not the
 * file's first lines. Returns 0, or -1 when the mix asks for a kind of code
 * the keys do not have (message on stderr). */
int pl_keys_sequence(const pl_keys_t *k, const pl_keymix_t *mix, uint32_t *seq, size_t len);

/* Computes the GS1 check digit of digits[0..n) and returns it as a char. */
char pl_keys_check_digit(const char *digits, size_t n);
