/* cit: the Newland NQuire aisle price checker ("CIT" server mode), the part
 * without I/O: what the device sends (one scanned code a line) and the
 * screen it is sent back (display commands and text). docs/price-checker.md
 * describes the layout template and the default screen.
 *
 * The device sends a code, optionally preceded by a symbology prefix set up
 * on the device (F EAN-13, FF EAN-8, A UPC-A, E UPC-E, or an AIM identifier
 * such as ]E0), ended by CR and/or LF. The server answers one screen:
 *   ESC 0x25           clear the screen, cursor top left
 *   ESC 0x42 0x30/31   small / large font
 *   text 0x0D          a line of text, then a new line
 *   ESC 0x2E p text 0x03   text aligned at p = 0x30..0x38 (top-left,
 *                      top-centre, top-right, middle-left, centre,
 *                      middle-right, bottom-left, bottom-centre, bottom-right)
 *   ESC 0x5E           beep
 * Text is UTF-8 or GB18030, a per-device setting.
 *
 * Thread safety: the request functions and a compiled layout are pure and
 * read-only (a layout may be shared by every thread). A converter
 * (pl_cit_conv_t) holds an iconv descriptor, which is not thread-safe: one
 * per thread, never shared.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/resolve.h"

/* ---- requests ------------------------------------------------------------ */

#define PL_CIT_LINE_MAX 256              /* longest line the device may send, with its break */
#define PL_CIT_CODE_MAX PL_CODE_ECHO_MAX /* longest code, bytes (63: what an answer echoes) */
#define PL_CIT_PREFIX_MAX 3              /* longest letter prefix ("FF"); AIM ids are 3 too */

/* Finds the first line in the bytes received so far on a stream,
 * buf[0..len). A line ends at CR or LF; line breaks with nothing between
 * them (the LF of a CR LF pair, a keep-alive) are skipped, never answered.
 * Returns:
 *   1  a line is at buf[*off .. *off + *n) (without its break, *n >= 1);
 *      *used = bytes to drop, through the line's break.
 *   0  no whole line yet; *used = line breaks at the start that may be
 *      dropped (0 or more); *off and *n are 0.
 *  -1  PL_CIT_LINE_MAX bytes came without a line break: the stream cannot
 *      be a price checker's. Send an error screen and close. *used = 0.
 * A datagram needs no framing: pass it to pl_cit_request whole. */
int pl_cit_frame(const char *buf, size_t len, size_t *off, size_t *n, size_t *used);

typedef struct pl_cit_req {
    char code[PL_CIT_CODE_MAX + 1];     /* the code to look up, NUL-terminated */
    size_t len;                         /* strlen(code) */
    char prefix[PL_CIT_PREFIX_MAX + 1]; /* the prefix removed ("F", "]E0"), or "" */
    char error[96];                     /* on error: what is wrong, where, why */
} pl_cit_req_t;

/* Parses one line the device sent, line[0..len): line breaks (CR, LF) at
 * its end and spaces around the code are dropped, then a symbology prefix:
 *  - an AIM identifier, "]" + letter + letter or digit, always;
 *  - letters followed by a code made of digits only: with prefixes == NULL
 *    any run of 1..PL_CIT_PREFIX_MAX ASCII letters; with a comma-separated
 *    list ("F,FF,A,E") only those (longest first, case-sensitive); with ""
 *    none. Anything else stays intact: "A-1234", "AB12C", "ABCD1234" (with
 *    NULL) and codes of letters only are keyed item codes. A chain whose
 *    keyed item codes are a letter and digits ("C10023") must pass the
 *    device's list, or "C10023" is looked up as 10023.
 * Returns 0 with req->code set, or PL_EFORMAT with req->error saying what
 * and where: "empty line", "control byte 0x1b at position 4: not a scanned
 * code", "byte 0xc3 at position 2: not ASCII (binary data?)", "code of 70
 * bytes after prefix F: longer than 63". A code the line protocol would
 * refuse is refused here too; whether it is a valid barcode is the
 * resolver's call (a bad_code answer). */
int pl_cit_request(const char *line, size_t len, const char *prefixes, pl_cit_req_t *req);

/* ---- character sets ------------------------------------------------------- */

typedef enum pl_cit_charset {
    PL_CIT_UTF8 = 0, /* the device's default */
    PL_CIT_GB18030 = 1,
} pl_cit_charset_t;

/* "utf-8"/"utf8" or "gb18030" (any case) → *cs. Returns 0 or PL_EINVAL. */
int pl_cit_charset_parse(const char *s, pl_cit_charset_t *cs);
/* "utf-8" or "gb18030", static. */
const char *pl_cit_charset_name(pl_cit_charset_t cs);

/* A converter from UTF-8 into a device character set (glibc iconv). One per
 * thread: iconv descriptors are not thread-safe. Open it at start-up, so a
 * system without the conversion (a container without glibc's gconv modules)
 * fails there, not on the first scan. */
typedef struct pl_cit_conv pl_cit_conv_t;

/* Opens a converter to cs. PL_CIT_UTF8 needs none: *out = NULL and 0.
 * Returns 0, -ENOMEM, or -EINVAL when iconv cannot convert to cs. */
int pl_cit_conv_open(pl_cit_charset_t cs, pl_cit_conv_t **out);
void pl_cit_conv_close(pl_cit_conv_t *c); /* NULL is fine */

/* ---- layout --------------------------------------------------------------- */

#define PL_CIT_TEMPLATE_MAX 2048 /* template bytes (a configuration string) */
#define PL_CIT_LINES_MAX 16      /* template lines */
#define PL_CIT_PARTS_MAX 64      /* text runs and fields, all lines together */
#define PL_CIT_SETTING_MAX 96    /* bytes of a text setting (a message) */
/* Every screen of every layout pl_cit_layout_compile accepts fits in this
 * many bytes, in either character set: the compiler refuses a layout whose
 * worst case (longest names, every line wrapped) could be larger. */
#define PL_CIT_OUT_MAX 8192
#define PL_CIT_ALIGN_TEXT_MAX 25 /* characters the device takes in one aligned text */

/* Messages and names a layout can override (%name=text, see
 * docs/price-checker.md). */
enum pl_cit_text {
    PL_CIT_T_NOT_FOUND = 0, /* unknown code */
    PL_CIT_T_BAD_CODE,      /* not a valid code; the reason follows */
    PL_CIT_T_CHECK_DIGIT,   /* the reason when it is a wrong check digit */
    PL_CIT_T_NO_PRICE,      /* the item has no price in force */
    PL_CIT_T_ERROR,         /* the catalogue could not be read */
    PL_CIT_T_SPECIAL,       /* promotion kinds, as the source field names them */
    PL_CIT_T_FLYER,
    PL_CIT_T_MARKDOWN,
    PL_CIT_T_MEMBER,
    PL_CIT_T_CLEARANCE,
    PL_CIT_T_PROMO,    /* any other kind */
    PL_CIT_T_CURRENCY, /* before every price */
    PL_CIT_NTEXTS
};

typedef struct pl_cit_part {
    /* 0: literal text a; else a field shown as a + value + b, or (with
     * 0x80 set, {field:text} without %) as a alone when the value is not
     * empty */
    uint8_t field;
    uint16_t a_off, a_len; /* into pool */
    uint16_t b_off, b_len;
} pl_cit_part_t;

typedef struct pl_cit_line {
    uint8_t large;  /* large font */
    uint8_t align;  /* 0 left, 1 centre, 2 right (flowing lines) */
    uint8_t anchor; /* 0: flows; else the aligned-text position byte 0x30..0x38 */
    uint8_t first, nparts;
} pl_cit_line_t;

/* A compiled layout: a plain value (no pointers; copy it, share it
 * read-only between threads). Fill it with pl_cit_layout_compile only; the
 * fields are the renderer's. */
typedef struct pl_cit_layout {
    int width;       /* columns in the small font (CJK characters count 2) */
    int width_large; /* columns in the large font */
    int cut_names;   /* 1: a name longer than its line is cut, 0: it wraps */
    int jin;         /* 1: per-weight prices per 500 g (斤) instead of per kg */
    int beep;        /* 0 never, 1 on the message screens, 2 on every screen */
    int nlines, nparts;
    size_t out_max; /* the most bytes one screen of this layout can take */
    pl_cit_line_t lines[PL_CIT_LINES_MAX];
    pl_cit_part_t parts[PL_CIT_PARTS_MAX];
    char texts[PL_CIT_NTEXTS][PL_CIT_SETTING_MAX + 1];
    uint16_t pool_len;
    char pool[PL_CIT_TEMPLATE_MAX];
} pl_cit_layout_t;

/* The default template: the Chinese marked-price screen (明码标价) of
 * docs/price-checker.md. Static. */
const char *pl_cit_layout_default(void);

/* Compiles a template (NUL-terminated; NULL or "" = the default) into *lay.
 * Settings a template leaves out keep their defaults (docs/price-checker.md);
 * a template with no screen line gets the default lines (so "%width=24" is
 * a whole template).
 * Returns 0, or PL_EFORMAT with err[errlen] saying what, where and why,
 * e.g. "byte 14 (line 2): unknown field {nmae}; fields are name, ...",
 * "byte 1 (line 1): %width: '200' is not a number in 8..64", "a screen may
 * take 9000 bytes, more than 8192: fewer lines or fields". *lay is
 * unchanged on error. */
int pl_cit_layout_compile(pl_cit_layout_t *lay, const char *tmpl, char *err, size_t errlen);

/* ---- screens -------------------------------------------------------------- */

/* The screen for an answer, into out[0..cap), in the character set of conv
 * (NULL: UTF-8). Returns its length, or 0 when it does not fit cap (nothing
 * usable written; cap >= lay->out_max, at most PL_CIT_OUT_MAX, always fits).
 *  a:       the lookup's answer. Status ok → the layout's lines; not_found,
 *           bad_code, no_price, error → the layout's message for it (with the
 *           code for not_found; the name for no_price; a short reason for
 *           bad_code: the check-digit message, or a->error).
 *  member:  NULL, or the same code looked up as a member (pl_resolve with
 *           member = 1). The answer has no member price of its own; the
 *           {member} field shows this one's price when it is ok, of the same
 *           item, and lower than a's.
 *  utc_offset_min: for the promotion's end (pl_resolver_utc_offset).
 * Prices are minor units with 2 decimals (pricelane's money, whatever the
 * catalogue's currency code); the currency symbol is a layout setting.
 * Names are cleaned: bytes that are not valid UTF-8 become U+FFFD (as in
 * JSON answers) and control characters become spaces, so no name can send
 * a command to the device. Characters the character set cannot encode
 * become '?'. */
size_t pl_cit_render(const pl_cit_layout_t *lay, const pl_answer_t *a, const pl_answer_t *member,
                     int utc_offset_min, pl_cit_conv_t *conv, char *out, size_t cap);

/* A message screen without an answer: status picks the layout's message
 * (PL_ANS_BAD_CODE with detail = pl_cit_req_t.error for a line
 * pl_cit_request refused; PL_ANS_ERROR when no lookup could be made; PL_ANS_OK
 * counts as an error); detail (may be NULL; cut to 127 bytes, before a
 * character) is shown under it. Returns as pl_cit_render. */
size_t pl_cit_render_status(const pl_cit_layout_t *lay, pl_status_t status, const char *detail,
                            pl_cit_conv_t *conv, char *out, size_t cap);
