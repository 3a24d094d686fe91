/* Catalogue invariants: the batch ledger against meta (schema version,
 * generation, last batch; no generation committed twice) and the change log
 * (its records chain back from the catalogue's state). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_verify_int.h"
#include "pricelane/err.h"

/* ---- batch ledger ---------------------------------------------------------------- */

struct ledger {
    uint64_t max_gen;
    char max_id[PL_BATCH_ID_MAX + 1];
    uint64_t *gens;
    size_t n;
};

static __thread struct ledger *cur_ledger;

static int check_batch(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char id[PL_BATCH_ID_MAX + 1];
    pl_batch_rec_t b;
    struct ledger *l = cur_ledger;
    (void)val;
    if (!verify_key_id(v, k, id, PL_BATCH_ID_MAX, "", "a batch id"))
        return 0;
    int rc = verify_decoded(v, pl_batch_get(v->t, id, &b), "batch", id);
    if (rc <= 0)
        return rc;
    uint64_t *g = realloc(l->gens, (l->n + 1) * sizeof(*g));
    if (!g)
        return -ENOMEM;
    l->gens = g;
    l->gens[l->n++] = b.gen;
    if (b.gen > l->max_gen || l->n == 1) {
        l->max_gen = b.gen;
        memcpy(l->max_id, id, sizeof(l->max_id));
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int check_ledger(verify_t *v)
{
    struct ledger l = {0};
    pl_meta_t m;
    cur_ledger = &l;
    int rc = verify_walk(v, DB_BATCHES, "batches", check_batch);
    cur_ledger = NULL;
    v->db = "meta";
    int mrc = pl_meta_get(v->t, &m);
    if (mrc == PL_ENOTFOUND || mrc == PL_ECORRUPT) {
        verify_report(v, "the meta records do not decode (%s)", pl_strerror(mrc));
    } else if (mrc) {
        rc = rc ? rc : mrc;
    } else if (!rc) {
        if (m.schema != PL_SCHEMA_VERSION)
            verify_report(v, "schema version %u, expected %d", m.schema, PL_SCHEMA_VERSION);
        if (l.n && m.gen != l.max_gen)
            verify_report(v,
                          "generation %" PRIu64 ", but the batch ledger's highest is %" PRIu64
                          " (batch %s)",
                          m.gen, l.max_gen, l.max_id);
        else if (l.n && strcmp(m.last_batch, l.max_id) != 0)
            verify_report(v, "last_batch is \"%s\", but the batch of generation %" PRIu64 " is %s",
                          m.last_batch, l.max_gen, l.max_id);
        else if (!l.n && m.gen != 0)
            verify_report(v, "generation %" PRIu64 " with an empty batch ledger", m.gen);
        if (l.n)
            qsort(l.gens, l.n, sizeof(*l.gens), cmp_u64);
        for (size_t i = 1; i < l.n; i++)
            if (l.gens[i] == l.gens[i - 1])
                verify_report(v, "two batches of the ledger committed as generation %" PRIu64,
                              l.gens[i]);
    }
    free(l.gens);
    return rc;
}

/* The change log: the records kept end at the current generation and state
 * and chain (each one's state before is the state of the one before it);
 * none is newer than the generation. A catalogue older than the log has no
 * records for its first generations: the chain may start anywhere. */
static int check_changes(verify_t *v)
{
    pl_meta_t m;
    pl_change_t c;
    v->db = "changes";
    int rc = pl_meta_get(v->t, &m);
    if (rc)
        return 0; /* reported by check_ledger */
    rc = pl_change_get(v->t, m.gen + 1, &c, NULL, NULL);
    if (rc != PL_ENOTFOUND)
        verify_report(v, "a change record of generation %" PRIu64 ", past the catalogue's %" PRIu64,
                      m.gen + 1, m.gen);
    uint64_t want = m.state, n = 0;
    for (uint64_t g = m.gen; g > 0; g--, n++) {
        rc = pl_change_get(v->t, g, &c, NULL, NULL);
        if (rc == PL_ENOTFOUND)
            break;
        if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
            verify_report(v, "the change record of generation %" PRIu64 " does not decode (%s)", g,
                          pl_strerror(rc));
            break;
        }
        if (rc)
            return rc;
        if (c.state != want) {
            verify_report(v,
                          "the change record of generation %" PRIu64 " ends in state %016" PRIx64
                          ", but %s state is %016" PRIx64,
                          g, c.state, g == m.gen ? "the catalogue's" : "the next record's previous",
                          want);
            break;
        }
        want = c.prev_state;
    }
    if (n > PL_CHANGE_KEEP)
        verify_report(v, "%" PRIu64 " change records, more than the %d kept", n, PL_CHANGE_KEEP);
    return 0;
}

int verify_ledger(verify_t *v)
{
    int rc = check_ledger(v);
    return rc ? rc : check_changes(v);
}
