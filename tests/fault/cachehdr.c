/* cachehdr: reads or rewrites the identifying header of a cache segment
 * (core/cache.c) with a correct checksum, so a test can present pricelaned
 * with a segment that is intact but of another layout version, slot size or
 * catalogue: a mismatch the header checksum alone would not catch.
 *
 *   cachehdr PATH                 print magic, version, slot_size, key_max,
 *                                 bucket, nslots, catalog_id, checksum ok|bad
 *   cachehdr PATH FIELD VALUE     set FIELD (version, slot_size, key_max,
 *                                 bucket, nslots, catalog_id) and re-checksum
 *
 * The struct below mirrors hdr_id_t in core/cache.c. If that layout changes,
 * printing a fresh segment shows "checksum bad" and the tests using this
 * tool fail instead of testing something else.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

typedef struct hdr_id {
    uint64_t magic;
    uint32_t version;
    uint32_t slot_size;
    uint32_t key_max;
    uint32_t bucket;
    uint64_t nslots;
    uint64_t catalog_id;
    uint64_t seed;
    uint64_t checksum; /* XXH3-64 of the fields above */
} hdr_id_t;

static uint64_t sum(const hdr_id_t *h)
{
    return XXH3_64bits(h, offsetof(hdr_id_t, checksum));
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: cachehdr PATH [FIELD VALUE]\n");
        return 2;
    }
    int fd = open(argv[1], argc == 2 ? O_RDONLY : O_RDWR);
    hdr_id_t h;
    if (fd < 0 || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
        perror(argv[1]);
        return 1;
    }
    if (argc == 2) {
        printf("magic=%016" PRIx64 " version=%" PRIu32 " slot_size=%" PRIu32 " key_max=%" PRIu32
               " bucket=%" PRIu32 " nslots=%" PRIu64 " catalog_id=%016" PRIx64 " checksum %s\n",
               h.magic, h.version, h.slot_size, h.key_max, h.bucket, h.nslots, h.catalog_id,
               sum(&h) == h.checksum ? "ok" : "bad");
        return 0;
    }
    unsigned long long v = strtoull(argv[3], NULL, 0);
    if (!strcmp(argv[2], "version"))
        h.version = (uint32_t)v;
    else if (!strcmp(argv[2], "slot_size"))
        h.slot_size = (uint32_t)v;
    else if (!strcmp(argv[2], "key_max"))
        h.key_max = (uint32_t)v;
    else if (!strcmp(argv[2], "bucket"))
        h.bucket = (uint32_t)v;
    else if (!strcmp(argv[2], "nslots"))
        h.nslots = v;
    else if (!strcmp(argv[2], "catalog_id"))
        h.catalog_id = v;
    else {
        fprintf(stderr, "cachehdr: unknown field %s\n", argv[2]);
        return 2;
    }
    h.checksum = sum(&h);
    if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
        perror(argv[1]);
        return 1;
    }
    return close(fd) == 0 ? 0 : 1;
}
