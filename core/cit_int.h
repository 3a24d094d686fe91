/* cit: what the request side (cit.c), the layout compiler (cit_layout.c)
 * and the screens (cit_screen.c) share: the converter, the fields a template
 * may name, and how big each can get. */
#pragma once
#include <iconv.h>
#include <stddef.h>
#include <stdint.h>

#include "pricelane/cit.h"

enum cit_field {
    F_TEXT = 0, /* a literal run, not a field */
    F_NAME,
    F_CODE,
    F_SKU,
    F_UNIT,
    F_PACK,
    F_PRICE,
    F_UNIT_PRICE,
    F_WEIGHT,
    F_QTY,
    F_PROMO,
    F_PROMO_END,
    F_WAS,
    F_MEMBER,
    F_LABEL_PRICE,
    F_LABEL_LOWER,
    CIT_NFIELDS
};

struct pl_cit_conv {
    iconv_t cd;
};

/* Field names as templates write them, indexed by cit_field (F_TEXT: ""). */
extern const char *const cit_field_names[CIT_NFIELDS];

/* The most characters a line holds in UTF-8 bytes (literal text and field
 * values, before wrapping): the renderer's line buffer. */
#define CIT_LINE_BYTES 2048

/* The most characters field f can show with this layout's texts. */
size_t cit_field_max_chars(const pl_cit_layout_t *lay, int f);

/* Characters in the valid UTF-8 text s[0..n). */
size_t cit_chars(const char *s, size_t n);

/* The most bytes one line of at most `chars` characters takes on the
 * screen, wrapped at `width` columns, with padding, commands and line
 * breaks, in either character set. */
size_t cit_line_bound(size_t chars, int width);
