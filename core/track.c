/* track: following the change log (track.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "pricelane/random.h"
#include "track.h"

int track_init(track_t *tk)
{
    memset(tk, 0, sizeof(*tk));
    tk->slot = calloc(TRACK_SLOTS, sizeof(*tk->slot));
    tk->ring = calloc(TRACK_RING, sizeof(*tk->ring));
    if (!tk->slot || !tk->ring) {
        track_free(tk);
        return -ENOMEM;
    }
    /* Keys come from the catalogue, but an answer's dependency on a barcode
     * nobody owns is the scanned code's: seeded, so no sender can aim at a
     * slot of another item. */
    tk->seed = pl_random_u64();
    return 0;
}

void track_free(track_t *tk)
{
    free(tk->slot);
    free(tk->ring);
    tk->slot = NULL;
    tk->ring = NULL;
}

uint32_t track_dep(const track_t *tk, char kind, const char *key, size_t len)
{
    char buf[256];
    if (len > sizeof(buf) - 1)
        len = sizeof(buf) - 1; /* longer keys share the slot of their prefix */
    buf[0] = kind;
    memcpy(buf + 1, key, len);
    return (uint32_t)(XXH3_64bits_withSeed(buf, len + 1, tk->seed) & (TRACK_SLOTS - 1));
}

struct touch {
    track_t *tk;
    uint64_t gen;
};

static int touch_one(const char *key, size_t len, void *arg)
{
    struct touch *t = arg;
    uint64_t *s = &t->tk->slot[track_dep(t->tk, key[0], key + 1, len - 1)];
    if (*s < t->gen)
        *s = t->gen;
    return 0;
}

static void ring_set(track_t *tk, uint64_t gen, uint64_t state)
{
    tk->ring[gen & (TRACK_RING - 1)] = (track_pair_t){gen, state};
}

/* Starts again at (gen, state): forgets the slots and the ring, then reads
 * the log backwards while it chains, to vouch for older entries. */
static void restart(track_t *tk, pl_txn_t *txn, uint64_t gen, uint64_t state)
{
    memset(tk->slot, 0, TRACK_SLOTS * sizeof(*tk->slot));
    memset(tk->ring, 0, TRACK_RING * sizeof(*tk->ring));
    tk->gen = gen;
    tk->state = state;
    tk->started = 1;
    tk->epoch++;
    ring_set(tk, gen, state);
    uint64_t g = gen, want = state;
    while (g > 0 && gen - g < PL_CHANGE_KEEP && gen - g < TRACK_RING - 1) {
        pl_change_t c;
        struct touch t = {tk, g};
        if (pl_change_get(txn, g, &c, touch_one, &t) != 0 || c.wide || c.state != want)
            break;
        want = c.prev_state;
        ring_set(tk, --g, want);
    }
    tk->floor = g;
}

void track_update(track_t *tk, pl_txn_t *txn, uint64_t gen, uint64_t state)
{
    if (tk->started && gen == tk->gen && state == tk->state)
        return;
    if (!tk->started || gen < tk->gen || gen - tk->gen > PL_CHANGE_KEEP) {
        restart(tk, txn, gen, state);
        return;
    }
    if (gen == tk->gen) { /* same generation, other state: another history */
        restart(tk, txn, gen, state);
        return;
    }
    for (uint64_t g = tk->gen + 1; g <= gen; g++) {
        pl_change_t c;
        struct touch t = {tk, g};
        int rc = pl_change_get(txn, g, &c, touch_one, &t);
        if (rc == 0 && c.prev_state == tk->state && c.wide) {
            tk->floor = g;
            tk->epoch++;
        } else if (rc != 0 || c.prev_state != tk->state) {
            restart(tk, txn, gen, state);
            return;
        }
        ring_set(tk, g, c.state);
        tk->gen = g;
        tk->state = c.state;
        tk->followed++;
    }
    if (tk->state != state)
        restart(tk, txn, gen, state);
}
