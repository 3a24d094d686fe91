/* The word lists of `pricelane-bench catalog`: product lines and pack sizes
 * by category, fresh produce, store locations, promotion kinds. Data only;
 * the generator (catalog_gen.c) picks from them. Changing a list changes the
 * catalogue a seed gives. */
#pragma once
#include <stddef.h>

struct spec {
    const char *text; /* as written in the name */
    const char *unit; /* unit of sale */
    unsigned content; /* net content of the unit sold, g or ml; 0 = none */
    char cu;          /* 'g' or 'm' (ml) */
    unsigned pack;    /* pieces per unit sold */
    unsigned pct;     /* price relative to the line's reference price */
};

/* A product line: a brand and what it makes, with a reference price (fen)
 * for the category's first spec. */
struct line {
    const char *brand;
    const char *product;
    unsigned fen;
};

struct category {
    const char *dept;
    unsigned weight; /* relative share of packaged items */
    const char *flags;
    const struct line *lines;
    unsigned nlines;
    const struct spec *specs;
    unsigned nspecs;
};

struct fresh {
    const char *name;
    const char *dept;
    unsigned fen; /* per kg (weighed) or per piece (counted) */
};

struct pkind {
    const char *kind;
    const char *text[3];
    int priority;
    int by_price; /* 1: a price; 0: percent off; 2: either */
    const char *pcts[4];
};

/* Packaged items: categories weighted by their share. */
extern const struct category words_cats[];
extern const size_t words_ncats;
/* Weighed items (price per kg), with the qualities a name may start with. */
extern const struct fresh words_weighed[];
extern const size_t words_nweighed;
extern const char *const words_fresh_q[];
extern const size_t words_nfresh_q;
/* Counted items (price per piece). */
extern const struct fresh words_counted[];
extern const size_t words_ncounted;
/* Store locations: city and district. */
extern const char *const words_cities[][2];
extern const size_t words_ncities;
/* Promotion kinds, taken in turn. */
extern const struct pkind words_pkinds[];
extern const size_t words_npkinds;
