/* Record encoding: little-endian fixed-width integers and length-prefixed
 * strings, written into and read from a bounded buffer. A reader that runs
 * past its end sets a sticky error instead of reading out of bounds, so a
 * corrupt record is reported (PL_ECORRUPT), never trusted. */
#pragma once
#include <stdint.h>
#include <string.h>

typedef struct rec_w {
    uint8_t *p;
    size_t len, cap;
    int err;
} rec_w;

typedef struct rec_r {
    const uint8_t *p;
    size_t len, off;
    int err;
} rec_r;

static inline void rw_bytes(rec_w *w, const void *b, size_t n)
{
    if (w->err || w->len + n > w->cap) {
        w->err = 1;
        return;
    }
    memcpy(w->p + w->len, b, n);
    w->len += n;
}

static inline void rw_u8(rec_w *w, uint8_t v)
{
    rw_bytes(w, &v, 1);
}

static inline void rw_u32(rec_w *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    rw_bytes(w, b, 4);
}

static inline void rw_u64(rec_w *w, uint64_t v)
{
    rw_u32(w, (uint32_t)v);
    rw_u32(w, (uint32_t)(v >> 32));
}

static inline void rw_i64(rec_w *w, int64_t v)
{
    rw_u64(w, (uint64_t)v);
}

/* Strings: u16 length then bytes (no NUL). */
static inline void rw_str(rec_w *w, const char *s)
{
    size_t n = strlen(s);
    if (n > 0xffff) {
        w->err = 1;
        return;
    }
    uint8_t b[2] = {(uint8_t)n, (uint8_t)(n >> 8)};
    rw_bytes(w, b, 2);
    rw_bytes(w, s, n);
}

static inline const uint8_t *rr_take(rec_r *r, size_t n)
{
    if (r->err || r->off + n > r->len) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *b = r->p + r->off;
    r->off += n;
    return b;
}

static inline uint8_t rr_u8(rec_r *r)
{
    const uint8_t *b = rr_take(r, 1);
    return b ? b[0] : 0;
}

static inline uint32_t rr_u32(rec_r *r)
{
    const uint8_t *b = rr_take(r, 4);
    return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
             : 0;
}

static inline uint64_t rr_u64(rec_r *r)
{
    const uint8_t *b = rr_take(r, 8); /* one bound check; compilers make it one load */
    if (!b)
        return 0;
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
           (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 |
           (uint64_t)b[7] << 56;
}

static inline int64_t rr_i64(rec_r *r)
{
    return (int64_t)rr_u64(r);
}

/* Copies a string into out[cap] (NUL-terminated); too long → error. */
static inline void rr_str(rec_r *r, char *out, size_t cap)
{
    const uint8_t *b = rr_take(r, 2);
    size_t n = b ? (size_t)b[0] | (size_t)b[1] << 8 : 0;
    const uint8_t *s = rr_take(r, n);
    if (!s || n >= cap) {
        r->err = 1;
        out[0] = 0;
        return;
    }
    memcpy(out, s, n);
    out[n] = 0;
}

/* Big-endian u64 for keys that must sort numerically; signed instants are
 * offset by 2^63 so negative times sort first. */
static inline void key_be64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline uint64_t key_get_be64(const uint8_t *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

#define KEY_TIME(t) ((uint64_t)(t) ^ (1ull << 63))
