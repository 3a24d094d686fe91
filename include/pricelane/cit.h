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
