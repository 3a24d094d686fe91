/* The writer of `pricelane-bench catalog` (catalog_write.c): the catalogue's
 * rows in the batch format (docs/batch-format.md), and the key file. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "catalog_gen.h"

/* A buffered output file. */
struct out {
    int fd;
    const char *path;
    char *buf;
    size_t len, cap;
    uint64_t bytes;
    int err; /* errno of the first failed write */
};

/* What was written, for the report. */
struct counts {
    uint64_t rows, barcodes, weighed, counted, zone_prices, store_prices, scheduled, promos, keys;
};

/* Opens path ("-": standard output) with a buffer of cap bytes. Returns 0, or
 * -1 after printing why. */
int out_open(struct out *o, const char *path, size_t cap);
/* Flushes and closes (a no-op when not open). Returns 0, or -1 after printing
 * the first write error. */
int out_close(struct out *o);

/* The header row: every column of the batch format. */
void write_header(struct out *o);
/* One row per store. */
void write_stores(struct gen *g, struct out *o, struct counts *k);
/* Item i: its row, barcodes, zone, store and scheduled prices, and with keys
 * (may be NULL) the codes a lane could scan. */
void write_item(struct gen *g, uint64_t i, struct out *o, struct out *keys, struct counts *k);
/* Promotion j. */
void write_promo(struct gen *g, uint64_t j, struct out *o, struct counts *k);
/* t as written in the catalogue (RFC 3339 in +08:00); buf has 32 bytes.
 * Returns buf. */
const char *write_when(char *buf, int64_t t);
