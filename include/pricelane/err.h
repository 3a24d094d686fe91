/* pricelane error codes.
 *
 * Every pricelane function that can fail returns 0 on success or a negative
 * code: either -errno (system errors) or one of the PL_E* codes below, which
 * all lie below -1000 so the two ranges never overlap. pl_strerror() prints
 * either kind. LMDB's codes are converted in exactly one place,
 * pl_err_from_mdb().
 *
 * The code says what failed. Where a person must also read why, the text
 * travels one of four ways, chosen by who reads it and how many messages
 * there can be:
 *  - err[errlen], a caller's buffer (pl_config_*, pl_time_parse,
 *    pl_addr_parse, pl_allow_parse, pl_barcode_cfg_formats): the one
 *    message of a call that failed as a whole, "<where>: <why>", for the
 *    caller to print or wrap in its own;
 *  - pl_diags_t (rows.h: pl_rows_read, pl_parse_*, the loader's row checks):
 *    many messages, one per bad row or field, "file:line:column: why",
 *    gathered so that every bad row of a file is reported before the whole
 *    of it is refused;
 *  - pl_answer_t.error (resolve.h; filled from pl_code_t.error for a bad
 *    code): part of an answer, not of a call that failed — pl_resolve
 *    returns 0 for a bad code or an unknown item — encoded on the wire with
 *    the answer's status and memoized with it;
 *  - pl_req_t.error (proto.h): why a request could not be parsed; no answer
 *    exists, and the server replies with the text in the request's own
 *    protocol (pl_proto_reply_error).
 * A function uses one of them at most.
 */
#pragma once

#define PL_ERRORS(X)                                                                               \
    X(PL_EBADCODE, -1001, "not a valid code")                                                      \
    X(PL_ECHECK, -1002, "wrong check digit")                                                       \
    X(PL_ENOTFOUND, -1003, "not found")                                                            \
    X(PL_EEXIST, -1004, "already exists")                                                          \
    X(PL_ECONFLICT, -1005, "conflicts with existing data")                                         \
    X(PL_EFORMAT, -1006, "malformed input")                                                        \
    X(PL_EMAPFULL, -1007, "catalogue map is full")                                                 \
    X(PL_ECORRUPT, -1008, "catalogue record is corrupt")                                           \
    X(PL_EVERSION, -1009, "unsupported record or schema version")                                  \
    X(PL_EBUSY, -1010, "resource busy")                                                            \
    X(PL_ETOOBIG, -1011, "value too large")                                                        \
    X(PL_EREADERS, -1012, "catalogue has no free reader slot")                                     \
    X(PL_ETXNFULL, -1013, "transaction too large")                                                 \
    X(PL_EDBFULL, -1014, "too many named databases")                                               \
    X(PL_EMDB, -1015, "catalogue storage error")                                                   \
    X(PL_EDONE, -1016, "already applied")                                                          \
    X(PL_EINVAL, -1017, "invalid argument")                                                        \
    X(PL_ECHANGED, -1018, "the input changed while it was read")

enum pl_err {
#define PL_ERR_ENUM(name, value, text) name = value,
    PL_ERRORS(PL_ERR_ENUM)
#undef PL_ERR_ENUM
};

/* Text for a code returned by any pricelane function: 0, -errno or PL_E*.
 * The returned string is static and must not be freed. */
const char *pl_strerror(int err);

/* Symbolic name of a code ("PL_ECHECK", "ENOENT"...), static. */
const char *pl_errname(int err);

/* Converts an LMDB return code (MDB_* or errno) into a pricelane code.
 * MDB_SUCCESS → 0, MDB_NOTFOUND → PL_ENOTFOUND, MDB_MAP_FULL → PL_EMAPFULL,
 * MDB_KEYEXIST → PL_EEXIST, MDB_VERSION_MISMATCH/MDB_INVALID → PL_EVERSION,
 * MDB_CORRUPTED/MDB_PAGE_NOTFOUND → PL_ECORRUPT, MDB_READERS_FULL → PL_EREADERS,
 * MDB_TXN_FULL → PL_ETXNFULL, MDB_DBS_FULL → PL_EDBFULL, positive errno e →
 * -e, anything else → PL_EMDB. */
int pl_err_from_mdb(int rc);
