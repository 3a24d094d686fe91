/* memo: hits only for the same key, generation and an instant inside the
 * stored interval;
 * a bucket keeps its four answers stored last; entries that do not fit are
 * refused; a NULL memo (off) answers nothing. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pricelane/memo.h"

static const char *get(pl_memo_t *m, const char *k, uint64_t gen, int64_t now, int *tag)
{
    static char buf[PL_MEMO_ENTRY + 1];
    size_t len;
    const char *v = pl_memo_get(m, k, strlen(k), gen, now, &len, tag);
    if (!v)
        return NULL;
    memcpy(buf, v, len);
    buf[len] = 0;
    return buf;
}

static void put(pl_memo_t *m, const char *k, uint64_t gen, int64_t from, int64_t until, int tag,
                const char *v)
{
    pl_memo_put(m, k, strlen(k), gen, from, until, tag, v, strlen(v));
}

int main(void)
{
    pl_memo_t *m;
    int tag = -1;

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
    big[PL_MEMO_ENTRY - 40 - 3] = 0; /* exactly fills an entry with the 3-byte key */
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
    pl_memo_free(m);
    return pl_test_done("test_memo");
}
