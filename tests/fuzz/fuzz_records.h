/* The input format of fuzz_records, shared with the seed generator: a
 * sequence of raw catalogue entries, each
 *   type (1 byte, mod REC_NTYPES), klen (1 byte), vlen (2 bytes LE),
 *   klen key bytes, vlen value bytes.
 * The key bytes are the part of the LMDB key the decoder reads; the rest of
 * the key is fixed (see fuzz_records.c). */
#pragma once

enum rec_type {
    REC_ITEM,       /* items: FUZZ_SKU → value; key bytes unused */
    REC_BARCODE,    /* barcodes: FUZZ_BARCODE → value (a SKU) */
    REC_ITEMCODE,   /* itemcodes: FUZZ_SKU → value (dup: a barcode key) */
    REC_STORE,      /* stores: key → value */
    REC_PRICE,      /* prices: FUZZ_SKU NUL key → value */
    REC_PROMO,      /* promos: key → value */
    REC_PROMOITEM,  /* promoitems: FUZZ_SKU → value (dup: a promo id) */
    REC_LABEL,      /* labels: FUZZ_SKU NUL key → value */
    REC_JOB,        /* ljobs: key → value */
    REC_JOBITEM,    /* ljobitem: FUZZ_SKU → first 8 value bytes (dupfixed) */
    REC_BATCH,      /* batches: key → value */
    REC_META,       /* meta: name chosen by key[0] → value */
    REC_NTYPES
};

#define FUZZ_SKU "100001"
#define FUZZ_BARCODE "06901234567892"
