/* Fuzz target: JSON Lines batch files through pl_rows_read and the field
 * parsers (see fuzz_rows.h). */
#include "fuzz_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_rows(data, size, ".jsonl");
    return 0;
}
