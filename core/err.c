#include <errno.h>
#include <lmdb.h>
#include <string.h>

#include "pricelane/err.h"

const char *pl_strerror(int err)
{
    if (err == 0)
        return "success";
    switch (err) {
#define PL_ERR_TEXT(name, value, text)                                                             \
    case name:                                                                                     \
        return text;
        PL_ERRORS(PL_ERR_TEXT)
#undef PL_ERR_TEXT
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}

const char *pl_errname(int err)
{
    switch (err) {
    case 0:
        return "OK";
#define PL_ERR_NAME(name, value, text)                                                             \
    case name:                                                                                     \
        return #name;
        PL_ERRORS(PL_ERR_NAME)
#undef PL_ERR_NAME
    }
    if (err < 0 && err > -4096) {
        const char *n = strerrorname_np(-err);
        return n ? n : "E?";
    }
    return "E?";
}

int pl_err_from_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return PL_ENOTFOUND;
    case MDB_MAP_FULL:
        return PL_EMAPFULL;
    case MDB_KEYEXIST:
        return PL_EEXIST;
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return PL_EVERSION;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
        return PL_ECORRUPT;
    case MDB_READERS_FULL:
        return PL_EREADERS;
    case MDB_TXN_FULL:
        return PL_ETXNFULL;
    case MDB_DBS_FULL:
        return PL_EDBFULL;
    }
    if (rc > 0 && rc < 4096)
        return -rc;
    return PL_EMDB;
}
