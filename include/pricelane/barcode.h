/* GS1 code normalization.
 *
 * A scanned or typed code becomes exactly one of:
 *  - PL_CODE_GTIN: a trade item number (EAN-13, EAN-8, UPC-A, UPC-E expanded,
 *    GTIN-14, ISBN-13/ISSN, ISBN-10 converted to 978), stored as 14 digits;
 *  - PL_CODE_VARIABLE: an in-store restricted-circulation number (prefix 02,
 *    20-29, or UPC number system 2) decoded by one of the store's formats into
 *    a scale item code (PLU) and an embedded price, weight or count;
 *  - PL_CODE_ITEM: a keyed item code (the cashier types the code when the
 *    barcode will not scan) matching the configured item-code pattern.
 * Anything else is an error with a precise message in pl_code_t.error.
 *
 * All functions are pure: no allocation, no I/O, thread-safe.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum pl_code_kind {
    PL_CODE_NONE = 0,
    PL_CODE_GTIN = 1,
    PL_CODE_VARIABLE = 2,
    PL_CODE_ITEM = 3,
} pl_code_kind_t;

/* What the amount field of a variable-measure code holds. */
typedef enum pl_measure {
    PL_MEASURE_NONE = 0,
    PL_MEASURE_PRICE = 1,  /* price in minor units (fen, cents) */
    PL_MEASURE_WEIGHT = 2, /* weight in grams */
    PL_MEASURE_COUNT = 3,  /* number of pieces */
} pl_measure_t;

#define PL_ITEM_CODE_MAX 32 /* longest keyed item code / SKU, bytes */
#define PL_PLU_MAX 8        /* longest scale item code, digits */

/* One restricted-circulation layout. The pattern is as long as the code and
 * says what each position holds:
 *   '0'-'9'  literal prefix digit that must match
 *   'I'      scale item code (PLU) digit (1..PL_PLU_MAX of them)
 *   'P'      price digit (minor units)     'W'  weight digit (grams)
 *   'N'      count digit                   (one of P, W, N per pattern)
 *   'V'      price check digit of the P/W/N field, GS1 7.9.3/7.9.4:
 *            4 digits → weights 2-,2-,3,5-, check = units digit of 3 × sum;
 *            5 digits → weights 5+,2-,5-,5+,2-, check = the digit whose 5-
 *            product is (10 - sum mod 10) mod 10. E.g. 2875 → 9, 14685 → 6.
 *   'C'      the code's own GS1 check digit (last position)
 * Examples: "20IIIIIPPPPPC" (Chinese scale, price in fen),
 *           "21IIIIIWWWWWC" (Chinese scale, weight in grams),
 *           "2IIIIIVPPPPC"  (UPC-A number system 2, 4-digit price + check),
 *           "02IIIIVPPPPPC" / "28IIIIVPPPPPC" (EAN-13, 5-digit price + check). */
typedef struct pl_rcn_format {
    char pattern[16];
} pl_rcn_format_t;

#define PL_RCN_FORMATS_MAX 8

/* Normalization settings: usually one per store (its scale formats). */
typedef struct pl_barcode_cfg {
    int nformats;
    pl_rcn_format_t formats[PL_RCN_FORMATS_MAX];
    /* Keyed item codes: allowed characters are [A-Za-z0-9-_.]; a keyed code
     * must be item_min..item_max bytes long (item_max is capped at
     * PL_ITEM_CODE_MAX). A code made only of digits that has a GTIN length
     * (8, 12, 13, 14), or 10 (ISBN-10), is never taken as a keyed code. */
    int item_min, item_max;
} pl_barcode_cfg_t;

typedef struct pl_code {
    pl_code_kind_t kind;
    /* GTIN: the 14-digit GTIN; VARIABLE: the code as a 14-digit GTIN (what was
     * scanned, left-padded); ITEM: empty. NUL-terminated. */
    char gtin[15];
    /* VARIABLE: the PLU digits; ITEM: the keyed code as typed (trimmed). */
    char item[PL_ITEM_CODE_MAX + 1];
    pl_measure_t measure; /* VARIABLE only */
    int64_t amount;       /* VARIABLE only: the embedded price/weight/count */
    int format;           /* VARIABLE only: index into cfg->formats */
    /* GTIN and VARIABLE: 1 when the code is a restricted-circulation number
     * (an in-store code: prefix 02 or 20-29, UPC-A number system 2, an
     * EAN-8 starting with 2), whether or not a format decoded it. Such a
     * code is the store's, never a trade item's barcode. */
    int in_store;
    /* On error: a one-line message naming what is wrong, e.g.
     * "check digit is 3, expected 7" or "13 digits but prefix 978 ISBN...". */
    char error[128];
} pl_code_t;

/* Fills cfg with the defaults: Chinese scale formats ("20IIIIIPPPPPC",
 * "21IIIIIWWWWWC", "22IIIIINNNNNC"), GS1 price-check variants
 * ("2IIIIIVPPPPC" for UPC-A number system 2, "02IIIIVPPPPPC"), keyed item
 * codes of 1..20 bytes. */
void pl_barcode_cfg_default(pl_barcode_cfg_t *cfg);

/* Parses a comma-separated list of patterns into cfg->formats (replacing
 * them). Spaces around a pattern are ignored; an empty or NULL list means no
 * formats (every in-store code stays a GTIN). Returns 0, or PL_EFORMAT with a
 * message in err (errlen bytes; err may be NULL) when a pattern is malformed
 * (bad character, no 'C' at the end, 'V' without a 4- or 5-digit price,
 * length not 8/12/13/14, no 'I' or more than PL_PLU_MAX, no P/W/N or a mix of
 * them), a pattern is empty or there are more than PL_RCN_FORMATS_MAX. On
 * error cfg is left unchanged. */
int pl_barcode_cfg_formats(pl_barcode_cfg_t *cfg, const char *list, char *err, size_t errlen);

/* GS1 check digit (weights 3,1,3,... from the right) of the n digits in d.
 * Returns 0..9, or -1 when a byte is not a digit. */
int pl_barcode_check_digit(const char *d, size_t n);

/* Expands an 8-digit UPC-E (number system 0 or 1, with check digit) into the
 * 12-digit UPC-A out (13 bytes incl. NUL). Returns 0, PL_EBADCODE (a
 * non-digit, or number system 2-9; out is "") or PL_ECHECK (the UPC-E check
 * digit is that of the expansion; out holds the expansion with its correct
 * check digit). Reading stops at the first non-digit. */
int pl_barcode_upce_expand(const char *upce, char *out);

/* Normalizes in[0..len) (surrounding spaces, tabs and CR/LF are ignored;
 * inner spaces and dashes are removed for ISBN-10 only) into out. Returns 0
 * or a negative code (PL_EBADCODE, PL_ECHECK) with out->error set and
 * out->kind PL_CODE_NONE. Rules:
 *  - 8 digits starting with 0 or 1: UPC-E (number system 0, or 1 as many
 *    scanners emit), expanded to UPC-A; its check digit is that of the
 *    expansion. (GS1-8 prefixes 0xx are restricted-circulation EAN-8 that
 *    lanes do not meet, while UPC-E is common; a code valid as both reads as
 *    UPC-E.) Other 8-digit codes: EAN-8.
 *  - 12 digits UPC-A, 13 EAN-13, 14 GTIN-14; 10 characters of ISBN-10
 *    (nine digits then a digit or X/x, with any dashes or spaces between)
 *    → 978 + 9 digits + new check digit. Every such input is taken as an
 *    ISBN-10, so a wrong mod-11 check digit is PL_ECHECK (and a 10-digit
 *    keyed code is not possible).
 *  - A code made only of zeros is PL_EBADCODE (a misread, never allocated),
 *    and so is a UPC-E whose expansion is (00000030, 00000040).
 *  - After the check digit is verified, a GTIN-14 whose indicator digit is 0
 *    and whose 13-digit body starts with 02 or 20-29 (or UPC-A number system
 *    2, i.e. body "02…"), or an EAN-8 starting with 2 (RCN-8), is a
 *    restricted circulation number: decoded with the first format that has
 *    the length of the code as scanned (a 12-digit UPC-A only meets
 *    12-character patterns, a 13-digit EAN-13 13-character ones, a 14-digit
 *    code 14-character ones) and whose literal digits match. A wrong 'V'
 *    digit is then PL_ECHECK (no further format is tried). If no format
 *    matches, it is kept as a GTIN (a store may label RCNs it does not
 *    weigh). Indicator 1-9 is a trade item, never in-store.
 *  - Anything else: a keyed item code if made of the allowed characters and
 *    item_min..item_max long (this includes all-digit codes of lengths other
 *    than 8, 10, 12, 13, 14), else PL_EBADCODE ("7 digits: not a GTIN length
 *    (8, 12, 13, 14) nor an item code (1..6)", "bad character '$' at
 *    position 4"). */
int pl_barcode_normalize(const pl_barcode_cfg_t *cfg, const char *in, size_t len, pl_code_t *out);

/* Key under which a normalized code is stored in the barcodes database:
 * GTIN → the 14 digits; VARIABLE → "P" + PLU digits as scanned, leading zeros
 * kept (the scale item code, shared by every prefix/format of the same PLU
 * width); ITEM → not a barcode (returns 0 and writes nothing). Writes at most
 * cap bytes incl. NUL, like snprintf: returns the full key length, so a
 * result >= cap means out was truncated. */
size_t pl_barcode_key(const pl_code_t *code, char *out, size_t cap);
