/* cit: what the module's files share. */
#pragma once
#include <iconv.h>

#include "pricelane/cit.h"

struct pl_cit_conv {
    iconv_t cd;
};
