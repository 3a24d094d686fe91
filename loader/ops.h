/* Private to the batch operations (ops*.c): one row = one operation.
 *
 *   ops.c        the columns, the dispatch by op, the batch and reason
 *                columns, the set of items whose labels are reconciled
 *   ops_field.c  the checks of fields every kind of row shares: identifiers,
 *                texts, instants, an item that must exist, barcodes, scopes
 *   ops_item.c   store, item, discontinue, barcode, barcode_remove, barcode_move
 *   ops_price.c  price, promo, promo_cancel
 *   ops_gs1.c    what 2D codes are checked against: recall, recall_lift,
 *                expiry_markdown, best_before
 *
 * Each op validates its fields against the catalogue as it stands inside the
 * batch's transaction (so a row may use an item that an earlier row of the
 * same batch created), reports every problem with file, line and column, and
 * writes nothing for a bad row. An op returns 0, PL_EFORMAT after reporting
 * (the row is bad), or a catalogue error that ends the transaction. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "load.h"

#define BAD(b, row, col, ...) pl_diag((b)->d, (row)->file, (row)->line, (col), __VA_ARGS__)

/* ---- field checks (ops_field.c): 0, or PL_EFORMAT after reporting ---------- */

/* An identifier (SKU, store, zone, promo id): 1..max bytes of [A-Za-z0-9-_.].
 * *out is the column's value, NULL when absent (an error when required). */
int ops_ident(batch_t *b, const pl_row_t *row, const char *col, int required, size_t max,
              const char **out);
/* A lot (recalls): 1..PL_LOT_MAX GS1 characters (AI 10's set, CSET 82);
 * *out as for ops_ident. */
int ops_lot(batch_t *b, const pl_row_t *row, const char *col, int required, const char **out);
/* An optional text of at most max bytes; *out NULL when absent. */
int ops_text(batch_t *b, const pl_row_t *row, const char *col, size_t max, const char **out);
/* The item must exist (in the catalogue or earlier in this batch): 0 with
 * *it, or the catalogue's code after reporting it. */
int ops_need_item(batch_t *b, const pl_row_t *row, const char *col, const char *sku, pl_item_t *it);
/* A zone is known when some store belongs to it. 1 or 0. */
int ops_zone_exists(batch_t *b, const char *zone);
/* Optional instant column; absent → dflt. */
int ops_when(batch_t *b, const pl_row_t *row, const char *col, int64_t dflt, int64_t *out);
/* The barcode column as a catalogue key (GTIN-14) into key[PL_BARCODE_KEY_MAX
 * + 1]. An in-store code is refused unless in_store_ok. */
int ops_barcode_key(batch_t *b, const pl_row_t *row, char *key, int in_store_ok);
/* The scope column ("all", "zone:A|B", "store:S1|S2") into pr's scope_kind,
 * scope and nscope; every zone and store must exist. */
int ops_promo_scope(batch_t *b, const pl_row_t *row, pl_promo_t *pr);

/* Writes a price row of this batch (ops_price.c). */
int ops_put_price(batch_t *b, const char *sku, uint8_t level, const char *scope, int64_t start,
                  int64_t price);

/* ---- the operations, by the name in the op column ---------------------------- */

int op_store(batch_t *b, const pl_row_t *row);
int op_item(batch_t *b, const pl_row_t *row);
int op_discontinue(batch_t *b, const pl_row_t *row);
int op_barcode(batch_t *b, const pl_row_t *row);
int op_barcode_remove(batch_t *b, const pl_row_t *row);
int op_barcode_move(batch_t *b, const pl_row_t *row);
int op_price(batch_t *b, const pl_row_t *row);
int op_promo(batch_t *b, const pl_row_t *row);
int op_promo_cancel(batch_t *b, const pl_row_t *row);
int op_recall(batch_t *b, const pl_row_t *row);
int op_recall_lift(batch_t *b, const pl_row_t *row);
int op_expiry_markdown(batch_t *b, const pl_row_t *row);
int op_best_before(batch_t *b, const pl_row_t *row);
