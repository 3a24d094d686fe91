/* memo: hits only for the same key, an entry the change tracker still
 * vouches for and an instant inside the stored interval; an entry kept
 * across generations has its "gen" rewritten; a bucket keeps its four
 * answers stored last; entries that do not fit are refused; a NULL memo
 * (off) answers nothing. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pricelane/memo.h"
#include "track.h"

static track_t tk;

/* The tracker at generation gen (state gen) vouching for that generation
 * only, as after a wide change. */
static void only(uint64_t gen)
{
    tk.gen = tk.state = tk.floor = gen;
    tk.ring[gen & (TRACK_RING - 1)] = (track_pair_t){gen, gen};
}

static const char *get(pl_memo_t *m, const char *k, uint64_t gen, int64_t now, int *tag)
{
    static char buf[PL_MEMO_ENTRY + 1];
    size_t len;
    only(gen);
    const char *v = pl_memo_get(m, k, strlen(k), &tk, now, &len, tag);
    if (!v)
        return NULL;
    memcpy(buf, v, len);
    buf[len] = 0;
    return buf;
}

static void put(pl_memo_t *m, const char *k, uint64_t gen, int64_t from, int64_t until, int tag,
                const char *v)
{
    pl_memo_ver_t ver = {gen, gen, {TRACK_NO_DEP, TRACK_NO_DEP}};
    only(gen);
    pl_memo_put(m, k, strlen(k), &tk, &ver, from, until, tag, v, strlen(v),
                pl_answer_gen_at(v, strlen(v)));
}

/* A put of JSON answer j over [0, 100) whose "gen" the caller says is at
 * offset at (pl_answer_gen_at's, or not). */
static void put_at(pl_memo_t *m, const char *k, const pl_memo_ver_t *ver, const char *j, size_t at)
{
    pl_memo_put(m, k, strlen(k), &tk, ver, 0, 100, 0, j, strlen(j), at);
}

static void put_json(pl_memo_t *m, const char *k, const pl_memo_ver_t *ver, const char *j)
{
    put_at(m, k, ver, j, pl_answer_gen_at(j, strlen(j)));
}

/* Answers of two items kept across generations while batches touch other
 * items; the "gen" field follows the generation. */
static void check_across_generations(pl_memo_t *m)
{
    int tag;
    size_t len;
    const char *v;
    printf("checking entries across generations\n");
    memset(tk.slot, 0, TRACK_SLOTS * sizeof(*tk.slot));
    tk.floor = 5;
    tk.gen = tk.state = 9;
    for (uint64_t g = 5; g <= 12; g++)
        tk.ring[g] = (track_pair_t){g, 1000 + g};
    uint32_t a = track_dep(&tk, 's', "A", 1), b = track_dep(&tk, 's', "B", 1);
    CHECK(a != b, "two slots (seeded hash: a collision here is a 2^-16 chance)");
    pl_memo_ver_t va = {1009, 9, {a, TRACK_NO_DEP}}, vb = {1009, 9, {b, TRACK_NO_DEP}};
    tk.state = 1009;
    put_json(m, "ka", &va, "{\"p\":1,\"gen\":9,\"e\":null}");
    put_json(m, "kb", &vb, "{\"p\":2,\"gen\":9,\"e\":null}");
    /* the same answer with no offset, or one not after the field: kept for
     * its own generation only */
    put_at(m, "kn", &va, "{\"p\":4,\"gen\":9,\"e\":null}", 0);
    put_at(m, "kw", &va, "{\"p\":5,\"gen\":9,\"e\":null}", 3);
    CHECK(pl_memo_get(m, "kn", 2, &tk, 50, &len, &tag) != NULL,
          "no offset: a hit at its generation");
    CHECK(pl_memo_get(m, "kw", 2, &tk, 50, &len, &tag) != NULL,
          "wrong offset: a hit at its generation");
    tk.gen = 10;
    tk.state = 1010;
    pl_memo_ver_t vc = {1010, 10, {a, TRACK_NO_DEP}};
    put_json(m, "kc", &vc, "{\"p\":3,\"gen\":10,\"e\":null}");
    /* generations 10..12: 10 and 12 touch B, nothing touches A */
    tk.slot[b] = 12;
    tk.gen = 12;
    tk.state = 1012;
    v = pl_memo_get(m, "ka", 2, &tk, 50, &len, &tag);
    CHECK(v && len == 25 && memcmp(v, "{\"p\":1,\"gen\":12,\"e\":null}", 25) == 0,
          "untouched: kept, gen rewritten (%.*s)", v ? (int)len : 4, v ? v : "NULL");
    v = pl_memo_get(m, "ka", 2, &tk, 50, &len, &tag);
    CHECK(v && len == 25, "and kept at its new generation");
    v = pl_memo_get(m, "kc", 2, &tk, 50, &len, &tag);
    CHECK(v && len == 25 && memcmp(v, "{\"p\":3,\"gen\":12,\"e\":null}", 25) == 0,
          "as many digits: rewritten in place (%.*s)", v ? (int)len : 4, v ? v : "NULL");
    CHECK(pl_memo_get(m, "kb", 2, &tk, 50, &len, &tag) == NULL, "touched after it was built: gone");
    CHECK(pl_memo_get(m, "kn", 2, &tk, 50, &len, &tag) == NULL, "untouched, no offset: gone");
    CHECK(pl_memo_get(m, "kw", 2, &tk, 50, &len, &tag) == NULL, "untouched, wrong offset: gone");
    tk.ring[9].state = 77; /* another history reached generation 9 */
    put_json(m, "kb", &vb, "{\"p\":2,\"gen\":9,\"e\":null}");
    CHECK(pl_memo_get(m, "kb", 2, &tk, 50, &len, &tag) == NULL, "built in another state: gone");
    tk.floor = 13;
    tk.gen = 13;
    tk.ring[13] = (track_pair_t){13, 1013};
    CHECK(pl_memo_get(m, "ka", 2, &tk, 50, &len, &tag) == NULL, "below the floor: gone");
}

/* The rewrite of the "gen" number on its own: where the field is, as many
 * digits, more digits, no room for them, no field. */
static void check_restamp(void)
{
    printf("checking the rewrite of \"gen\"\n");
    char j[64] = "{\"s\":\"a,\\\"gen\\\":1\",\"gen\":98}";
    size_t len = strlen(j);
    size_t at = pl_answer_gen_at(j, len);
    CHECK(at == len - 3, "the field, not the escaped text in a string (at %zu of %zu)", at, len);
    CHECK_INT(pl_answer_restamp_at(j, len, sizeof(j), at, 97), len);
    CHECK(strcmp(j, "{\"s\":\"a,\\\"gen\\\":1\",\"gen\":97}") == 0, "same width (%s)", j);
    CHECK_INT(pl_answer_restamp_at(j, len, len, at, 100), 0);
    CHECK(strcmp(j, "{\"s\":\"a,\\\"gen\\\":1\",\"gen\":97}") == 0, "no room: unchanged (%s)", j);
    size_t n = pl_answer_restamp_at(j, len, sizeof(j), at, 18446744073709551615u);
    CHECK_INT(n, len + 18);
    j[n] = 0;
    CHECK(strcmp(j, "{\"s\":\"a,\\\"gen\\\":1\",\"gen\":18446744073709551615}") == 0,
          "the largest (%s)", j);
    CHECK_INT(pl_answer_gen_at("{\"gen\":1}", 9), 0); /* never the first field */
    CHECK_INT(pl_answer_restamp_at(j, n, sizeof(j), 0, 5), 0);
    CHECK_INT(pl_answer_restamp_at(j, n, sizeof(j), n + 1, 5), 0);
    CHECK_INT(pl_answer_restamp_at(j, n, sizeof(j), at - 1, 5), 0); /* not after the field */
    CHECK_INT(pl_answer_restamp_at(j, n, sizeof(j), 3, 5), 0);
}

int main(void)
{
    pl_memo_t *m;
    int tag = -1;

    CHECK_INT(track_init(&tk), 0);
    CHECK_INT(pl_memo_new(0, &m), 0);
    CHECK(m == NULL, "0 bytes: no memo");
    put(NULL, "k", 1, 0, 10, 0, "v");
    CHECK(get(NULL, "k", 1, 5, &tag) == NULL, "a NULL memo holds nothing");

    CHECK_INT(pl_memo_new(64 << 10, &m), 0);
    pl_memo_stats_t st;
    pl_memo_stats(m, &st);
    CHECK_INT(st.entries, 4 * ((64 << 10) / (64 + 4 * PL_MEMO_ENTRY))); /* whole buckets */

    printf("checking generation and interval\n");
    put(m, "key", 7, 100, 200, 2, "{\"a\":1}");
    CHECK_STR(get(m, "key", 7, 100, &tag), "{\"a\":1}");
    CHECK_INT(tag, 2);
    CHECK_STR(get(m, "key", 7, 199, &tag), "{\"a\":1}");
    CHECK(get(m, "key", 7, 200, &tag) == NULL, "until is excluded");
    CHECK(get(m, "key", 7, 99, &tag) == NULL, "before from (clock stepped back)");
    CHECK(get(m, "key", 8, 150, &tag) == NULL, "another generation");
    CHECK(get(m, "kez", 7, 150, &tag) == NULL, "another key");
    CHECK(get(m, "ke", 7, 150, &tag) == NULL, "a prefix of the key");

    printf("checking replacement of the same key\n");
    put(m, "key", 8, 150, 300, 0, "{\"a\":2}");
    CHECK_STR(get(m, "key", 8, 150, &tag), "{\"a\":2}");
    CHECK(get(m, "key", 7, 150, &tag) == NULL, "the old generation is gone");

    printf("checking refusals\n");
    put(m, "never", 1, 10, 10, 0, "x"); /* empty interval */
    CHECK(get(m, "never", 1, 10, &tag) == NULL, "empty interval not stored");
    char big[PL_MEMO_ENTRY];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    put(m, "big", 1, 0, 10, 0, big);
    CHECK(get(m, "big", 1, 5, &tag) == NULL, "an answer larger than an entry is not stored");
    pl_memo_stats(m, &st);
    CHECK_INT(st.too_big, 1);
    big[PL_MEMO_ENTRY - 48 - 3] = 0; /* exactly fills an entry with the 3-byte key */
    put(m, "big", 1, 0, 10, 0, big);
    CHECK(get(m, "big", 1, 5, &tag) != NULL, "an answer that exactly fits is stored");
    char longkey[PL_MEMO_KEY_MAX + 2];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = 0;
    put(m, longkey, 1, 0, 10, 0, "v");
    CHECK(get(m, longkey, 1, 5, &tag) == NULL, "a key past PL_MEMO_KEY_MAX is not stored");

    printf("checking a bucket keeps the last four answers\n");
    pl_memo_t *one;
    CHECK_INT(pl_memo_new(1, &one), 0); /* one bucket */
    pl_memo_stats(one, &st);
    CHECK_INT(st.entries, 4);
    const char *keys[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        put(one, keys[i], 1, 0, 10, 0, keys[i]);
    for (int i = 0; i < 4; i++)
        CHECK_STR(get(one, keys[i], 1, 1, &tag), keys[i]);
    put(one, "e", 1, 0, 10, 0, "E");
    CHECK(get(one, "a", 1, 1, &tag) == NULL, "the answer stored first made room");
    CHECK_STR(get(one, "b", 1, 1, &tag), "b");
    CHECK_STR(get(one, "e", 1, 1, &tag), "E");
    put(one, "c", 1, 0, 10, 0, "C2"); /* the same key: replaced in place */
    CHECK_STR(get(one, "c", 1, 1, &tag), "C2");
    CHECK_STR(get(one, "b", 1, 1, &tag), "b");
    CHECK_STR(get(one, "d", 1, 1, &tag), "d");
    CHECK_STR(get(one, "e", 1, 1, &tag), "E");

    pl_memo_clear(one);
    CHECK(get(one, "c", 1, 1, &tag) == NULL, "cleared");
    pl_memo_stats(one, &st);
    CHECK(st.hits == 10 && st.inserts == 6, "counters: %llu hits, %llu inserts",
          (unsigned long long)st.hits, (unsigned long long)st.inserts);
    pl_memo_free(one);
    check_across_generations(m);
    check_restamp();
    pl_memo_free(m);
    track_free(&tk);
    return pl_test_done("test_memo");
}
