/* Finished answers: pl_lookup_json's encoded answer from the worker's memo,
 * else from the shared cache (cache_answers: another worker's or an earlier
 * process's, of this very build, still exact), else resolved, encoded and
 * kept in both. */
#include <ctype.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <xxhash.h>

#include "pricelane/memo.h"
#include "pricelane/random.h"
#include "resolve_int.h"

/* The program's GNU build ID (the first loaded object is the program
 * itself), hashed into *arg. */
static int build_id_of_program(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
            ElfW(Nhdr) n;
            memcpy(&n, p, sizeof(n));
            const char *name = p + sizeof(n);
            size_t nsz = (n.n_namesz + 3u) & ~3u, dsz = (n.n_descsz + 3u) & ~3u;
            if ((size_t)(end - name) < nsz || (size_t)(end - name) - nsz < dsz)
                break;
            if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                n.n_descsz > 0) {
                *(uint64_t *)arg = XXH3_64bits(name + nsz, n.n_descsz) | 1;
                return 1;
            }
            p = name + nsz + dsz;
        }
    }
    return 1; /* the program only */
}

static uint64_t build_identity;
static pthread_once_t build_identity_once = PTHREAD_ONCE_INIT;

/* This build: its build ID, or, for a program linked without one, a number
 * drawn once per process (its answers are then shared between its own
 * workers only). */
static void build_identity_init(void)
{
    uint64_t id = 0;
    dl_iterate_phdr(build_id_of_program, &id);
    build_identity = id ? id : pl_random_u64() | 1;
}

/* What a finished answer in the shared cache must have been written by: this
 * very build (any other one, an upgrade or a rebuild, may compute prices or
 * write answers otherwise, so its answers are never served). The build ID
 * covers every byte of the program, the form of its answers included. */
uint64_t resolve_answer_format(void)
{
    pthread_once(&build_identity_once, build_identity_init);
    return build_identity;
}

/* Memo key: member flag, store, NUL, the code exactly as sent. */
static size_t memo_key(char *k, const char *store, const char *code, size_t len, int member)
{
    size_t sl = store ? strlen(store) : 0;
    if (2 + sl + len > PL_MEMO_KEY_MAX)
        return 0;
    /* every flag changes the answer: one key byte per combination */
    k[0] = "-MbB"[member & 3];
    if (sl)
        memcpy(k + 1, store, sl);
    k[1 + sl] = 0;
    memcpy(k + 2 + sl, code, len);
    return 2 + sl + len;
}

/* A finished answer in the shared cache: under 'A' + the memo's key, the
 * JSON then this trailer; tagged with the catalogue state it was built in.
 * It is what the memo keeps, for every worker and process on the host. */
typedef struct shared_answer {
    uint64_t gen;
    int64_t from, until; /* valid over [from, until) */
    uint64_t format;     /* answer_format() of the build that wrote it */
    int32_t utc_offset;  /* the catalogue's, which the JSON's instants are written in */
    int16_t status;
    uint16_t gen_at; /* where the JSON's "gen" number is (pl_answer_gen_at) */
    /* what it depends on, as keys: each reader's tracker hashes them under
     * its own seed (kind byte, then the key; length 0: none) */
    uint8_t deplen[2];
    char depkey[2][DEP_KEY_MAX];
} shared_answer_t;

/* The shared cache's key of the finished answer of memo key key[0..klen)
 * (at most PL_MEMO_KEY_MAX bytes: it fits). */
_Static_assert(1 + PL_MEMO_KEY_MAX <= PL_CACHE_KEY_MAX, "an answer's key fits a cache key");
static size_t answer_key(char *akey, const char *key, size_t klen)
{
    akey[0] = 'A';
    memcpy(akey + 1, key, klen);
    return klen + 1;
}

/* The shared cache's finished answer for memo key key[0..klen), still exact
 * at now: copied into scratch (cap bytes) with its "gen" restamped, its
 * length into *len, where that number is into *gen_at and what it was
 * built from into *ver, *until; or 0. */
static int answer_fetch(pl_resolver_t *r, const char *key, size_t klen, int64_t now, char *scratch,
                        size_t cap, size_t *len, pl_status_t *status, pl_memo_ver_t *ver,
                        int64_t *until, size_t *gen_at)
{
    char akey[PL_CACHE_KEY_MAX];
    shared_answer_t t;
    uint64_t state;
    size_t vlen;
    /* straight into scratch: the JSON first, the trailer after it */
    if (pl_cache_answer_get(r->cache, akey, answer_key(akey, key, klen), &state, scratch, cap,
                            &vlen) != 0 ||
        vlen <= sizeof(t))
        return 0;
    size_t jl = vlen - sizeof(t);
    memcpy(&t, scratch + jl, sizeof(t));
    if (t.format != r->answer_format || t.utc_offset != r->utc_offset || now < t.from ||
        now >= t.until)
        return 0;
    uint32_t dep[2];
    for (int i = 0; i < 2; i++) {
        if (t.deplen[i] > DEP_KEY_MAX)
            return 0; /* damaged: a checksum collision */
        dep[i] = t.deplen[i] ? track_dep(&r->tk, t.depkey[i][0], t.depkey[i] + 1, t.deplen[i] - 1u)
                             : TRACK_NO_DEP;
    }
    if (!track_valid(&r->tk, state, t.gen, dep, 2))
        return 0;
    if (t.gen != r->tk.gen && !(jl = pl_answer_restamp_at(scratch, jl, cap, t.gen_at, r->tk.gen)))
        return 0;
    *len = jl;
    /* checked against the JSON by the restamp; one that was not needed
     * leaves it for the memo's, which checks it too */
    *gen_at = t.gen_at;
    *status = (pl_status_t)t.status;
    *ver = (pl_memo_ver_t){r->tk.state, r->tk.gen, {dep[0], dep[1]}};
    *until = t.until;
    return 1;
}

/* Whether the answer a, to code[0..len), is one to share: a found item
 * asked for by a plain barcode or item code exactly as it is written (no
 * spaces, symbology identifier, GS1 data or embedded measure). Any sender
 * can make up endless other forms that still find an item (a lot, a
 * serial, an expiry, a weight, spaces), each its own key, and a serialised
 * pack is scanned once: those answers stay in each worker's memo, and
 * cannot crowd the items' views and answers out of the segment. */
static int shareable(const pl_answer_t *a, const char *code, size_t len)
{
    return a->status == PL_ANS_OK && a->gs1.form == PL_GS1_PLAIN && a->measure == PL_MEASURE_NONE &&
           a->gs1.plain_off == 0 && a->gs1.plain_len == len && len &&
           !isspace((unsigned char)code[0]) && !isspace((unsigned char)code[len - 1]);
}

/* Stores the finished answer scratch[0..jl) for the other workers and
 * processes (cap: scratch's room, for the trailer), if it fits a slot. */
static void answer_store(pl_resolver_t *r, const char *key, size_t klen, const pl_memo_ver_t *ver,
                         int64_t from, int64_t until, pl_status_t status, char *scratch, size_t jl,
                         size_t cap, size_t gen_at)
{
    shared_answer_t t;
    if (until <= from || jl + sizeof(t) > cap || jl + sizeof(t) > pl_cache_value_max() ||
        r->deplen[0] == DEP_TOO_LONG || r->deplen[1] == DEP_TOO_LONG)
        return;
    memset(&t, 0, sizeof(t)); /* no stray bytes in the cache */
    t.gen = ver->gen;
    t.from = from;
    t.until = until;
    t.format = r->answer_format;
    t.utc_offset = r->utc_offset;
    t.status = (int16_t)status;
    t.gen_at = (uint16_t)gen_at;
    for (int i = 0; i < 2; i++) {
        t.deplen[i] = r->deplen[i];
        memcpy(t.depkey[i], r->depkey[i], r->deplen[i]);
    }
    char akey[PL_CACHE_KEY_MAX];
    memcpy(scratch + jl, &t, sizeof(t)); /* after the answer, which stays as it is */
    pl_cache_answer_put(r->cache, akey, answer_key(akey, key, klen), ver->state, scratch,
                        jl + sizeof(t));
}

const char *pl_lookup_json(pl_resolver_t *r, pl_memo_t *memo, const char *store, const char *code,
                           size_t len, int64_t now, int member, char *scratch, size_t cap,
                           size_t *out_len, pl_status_t *status)
{
    char key[PL_MEMO_KEY_MAX];
    size_t klen = 0;
    int share = r->cache && r->share_answers;
    if ((memo || share) && pl_resolver_snapshot(r) >= 0) {
        klen = memo_key(key, store, code, len, member);
        int tag;
        const char *hit = pl_memo_get(memo, key, klen, &r->tk, now, out_len, &tag);
        if (hit) {
            *status = (pl_status_t)tag;
            return hit;
        }
    }
    pl_memo_ver_t ver;
    int64_t until;
    size_t gen_at;
    if (klen && share &&
        answer_fetch(r, key, klen, now, scratch, cap, out_len, status, &ver, &until, &gen_at)) {
        pl_memo_put(memo, key, klen, &r->tk, &ver, now, until, (int)*status, scratch, *out_len,
                    gen_at);
        return scratch;
    }
    pl_answer_t ans;
    pl_resolve(r, store, code, len, now, member, &ans);
    *status = ans.status;
    size_t jl = pl_answer_json(&ans, r->utc_offset, scratch, cap);
    if (!jl)
        return NULL;
    if (klen) {
        ver = (pl_memo_ver_t){r->state, r->gen, {r->dep[0], r->dep[1]}};
        /* found once, for the memo and the shared cache */
        size_t at = pl_answer_gen_at(scratch, jl);
        pl_memo_put(memo, key, klen, &r->tk, &ver, now, ans.valid_until, (int)ans.status, scratch,
                    jl, at);
        if (share && shareable(&ans, code, len))
            answer_store(r, key, klen, &ver, now, ans.valid_until, ans.status, scratch, jl, cap,
                         at);
    }
    *out_len = jl;
    return scratch;
}
