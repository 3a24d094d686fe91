/* GS1 data in a scanned code: element strings (GS1 DataMatrix, GS1 QR,
 * GS1-128, GS1 DataBar) and GS1 Digital Link URIs.
 *
 * What a scanner sends:
 *  - optionally a symbology identifier (ISO/IEC 15424): "]d2" GS1 DataMatrix,
 *    "]Q3" GS1 QR, "]C1" GS1-128, "]e0" GS1 DataBar (element strings);
 *    "]d1"/"]Q1" plain DataMatrix/QR (a Digital Link URI, or a plain code);
 *    "]E0"/"]E4" EAN-13/EAN-8, "]E3" EAN-13 with add-on, "]A0" Code 39,
 *    "]C0" Code 128, "]I0"/"]I1" ITF, "]X0" other (a plain code);
 *  - element strings: an application identifier (AI, 2-4 digits) and its
 *    value, again and again; a value whose length is not predefined by its
 *    AI's first two digits (GS1 General Specifications figure 7.8.5-2) ends
 *    with the group separator GS (byte 0x1D) unless it is the last; where
 *    a raw control byte cannot be sent, "^]", "\x1D" (or "\x1d") and
 *    "<GS>" stand for it;
 *  - a Digital Link URI: http(s)://any.host[/any/prefix]/01/<GTIN>
 *    [/22/<cpv>][/10/<lot>][/21/<serial>][?<ai>=<value>&...][#...], values
 *    percent-encoded; query keys that are not all digits (linkType...) are
 *    ignored.
 *  - what some readers print for GS1 DataBar: the human readable form
 *    "(01)06920000000012(3922)5000" (a value runs to the next "(NN)"),
 *    and a bare GTIN-14 after "]e0" (a plain code).
 * Without a symbology identifier, a code is taken as GS1 data when it starts
 * with "http://" or "https://" (a Digital Link), holds a GS (or an escape of
 * it), or starts
 * with "01" followed by 14 digits with a right check digit and has more
 * after them (element strings); anything else is a plain code.
 *
 * The parser is pure: no allocation, no I/O, thread-safe, and a fuzz target
 * (tests/fuzz/fuzz_gs1.c).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define PL_GS1_AIS_MAX 24   /* most AIs in one code */
#define PL_GS1_DATA_MAX 512 /* the decoded values, each with a NUL */
#define PL_GS1_LOT_MAX 20   /* AI 10 and 21: up to 20 characters */

typedef enum pl_gs1_form {
    PL_GS1_PLAIN = 0,    /* not GS1 data: an ordinary code, at plain_off/plain_len */
    PL_GS1_ELEMENTS = 1, /* element strings */
    PL_GS1_LINK = 2,     /* a GS1 Digital Link URI */
} pl_gs1_form_t;

/* A date from a YYMMDD AI, day 00 already turned into the month's last day.
 * y == 0: absent. */
typedef struct pl_gs1_date {
    int16_t y;
    int8_t m, d;
} pl_gs1_date_t;

/* One AI as found, its value in data[off..off+len) (NUL after it). */
typedef struct pl_gs1_ai {
    char ai[5];
    uint16_t off, len;
} pl_gs1_ai_t;

typedef struct pl_gs1 {
    pl_gs1_form_t form;
    char sym[4];      /* the symbology identifier as sent, "" when none */
    size_t plain_off; /* PL_GS1_PLAIN: the code after the identifier... */
    size_t plain_len; /* ...in the input, this many bytes */
    int nais;         /* every AI, in the order found */
    pl_gs1_ai_t ais[PL_GS1_AIS_MAX];
    char data[PL_GS1_DATA_MAX];
    /* Decoded (ELEMENTS and LINK). Strings are NUL-terminated, "" when absent. */
    char gtin[15];                      /* AI 01 (a Digital Link's 8-13 digits padded to 14) */
    char lot[PL_GS1_LOT_MAX + 1];       /* AI 10 */
    char serial[PL_GS1_LOT_MAX + 1];    /* AI 21 */
    pl_gs1_date_t prod, pack;           /* AI 11, 13 */
    pl_gs1_date_t best_before, sell_by; /* AI 15, 16 */
    pl_gs1_date_t expiry;               /* AI 17 */
    pl_gs1_date_t expiry_at;            /* AI 7003: its date... */
    int16_t expiry_hhmm;                /* ...and time, hh * 100 + mm; -1 when absent */
    int64_t weight_g;                   /* AI 310n in grams (rounded down); -1 when absent */
    int64_t amount;                     /* AI 392n / 393n amount, amount_dec decimals; -1 absent */
    int amount_dec;
    int currency;    /* AI 393n: ISO 4217 numeric code; 0 for 392n */
    char error[128]; /* on error: what, where, why */
} pl_gs1_t;

/* Parses in[0..len) (surrounding spaces, tabs and CR/LF are ignored).
 * year_now: the current year where the code is read (at the request's
 * instant, in the catalogue's offset): YYMMDD dates get their century by
 * GS1 General Specifications 7.12 from it (YY − year_now mod 100 in 51..99:
 * the previous century; in −99..−50: the next; else this one — in 2026,
 * 00-76 → 20YY, 77-99 → 19YY).
 * Returns 0 with out->form saying what the code is (PL_GS1_PLAIN: only
 * form, sym, nais (0), plain_off and plain_len are set; the other fields
 * are left as they were), or with out->error set:
 *   PL_EBADCODE  not valid GS1 data: an unknown symbology identifier or AI
 *                prefix, a value too short, too long or of wrong characters,
 *                a date that is not a date, no GTIN (AI 01), an AI twice,
 *                a Digital Link with no /01/ key or key qualifiers out of
 *                order, a bad percent-encoding, more than PL_GS1_AIS_MAX AIs;
 *   PL_ECHECK    a GTIN (01, 02) or SSCC (00) whose check digit is wrong.
 * Missing separators make values run together; what that breaks (a date
 * that is not a date, a check digit) is detected, the rest cannot be. */
int pl_gs1_parse(const char *in, size_t len, int year_now, pl_gs1_t *out);

/* The value of AI ai (e.g. "7003") in g, NUL-terminated, or NULL. */
const char *pl_gs1_get(const pl_gs1_t *g, const char *ai);

/* ISO 4217: the numeric code of alpha (3 letters, e.g. "CNY" → 156) and its
 * number of minor-unit digits (*minor, may be NULL). Returns 0 for a
 * currency not in the table (the currencies of retail chains; see
 * core/gs1.c). */
int pl_gs1_currency(const char *alpha, int *minor);
