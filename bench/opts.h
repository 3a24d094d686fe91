/* Checked parsing of pricelane-bench option values: numbers with a range and
 * IPv4 HOST:PORT addresses, shared by every subcommand so that a bad value
 * is refused the same way everywhere.
 *
 * Every function takes the command name as it should appear in messages
 * (e.g. "pricelane-bench echo-server"), the option name (e.g. "--size") and
 * the option's text. On success it stores the value in *out and returns 0.
 * On failure it leaves *out untouched, prints one line to stderr naming the
 * command, the option, the text and what was expected, e.g.
 *
 *   pricelane-bench echo-server: --size "abc": expected an integer in 40..1400
 *
 * and returns -1; the caller then exits with status 2 (usage error).
 *
 * Text is accepted only when all of it is the value: no leading or trailing
 * blanks, no empty text, no hexadecimal, no "inf" or "nan". */
#pragma once
#include <netinet/in.h>
#include <stdint.h>

/* Flag: the value may end in k or K (times 1,000) or M or m (times
 * 1,000,000), as in "--rate 50k". The range applies to the multiplied value. */
#define PL_OPT_SUFFIX 1u

/* A decimal integer, optionally signed, in lo..hi inclusive. flags: 0 or
 * PL_OPT_SUFFIX. Returns 0 or -1 (message printed). */
int pl_opt_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi,
               unsigned flags, long long *out);

/* An unsigned decimal integer in lo..hi inclusive (for seeds, which span the
 * whole of uint64_t). A minus sign is refused. flags: 0 or PL_OPT_SUFFIX.
 * Returns 0 or -1 (message printed). */
int pl_opt_u64(const char *cmd, const char *opt, const char *text, uint64_t lo, uint64_t hi,
               unsigned flags, uint64_t *out);

/* A real number (decimal, with optional fraction and exponent: "0.5",
 * "1e-3") in lo..hi inclusive. flags: 0 or PL_OPT_SUFFIX. Returns 0 or -1
 * (message printed). */
int pl_opt_real(const char *cmd, const char *opt, const char *text, double lo, double hi,
                unsigned flags, double *out);

/* HOST:PORT where HOST is a dotted IPv4 address or "localhost" (taken as
 * 127.0.0.1) and PORT a decimal in port_lo..65535 (port_lo 0 for a listening
 * address that may ask for an ephemeral port, 1 for a peer). Fills *out
 * (family, address, port in network order; the rest zero). Returns 0 or -1
 * (message printed). */
int pl_opt_addr(const char *cmd, const char *opt, const char *text, int port_lo,
                struct sockaddr_in *out);
