/* Unit test of core/rows.c: CSV and JSON Lines rows with their line numbers,
 * value checks (UTF-8, control bytes, length), header checks, diagnostics,
 * the content digest and the field parsers. Files are written under a
 * mkdtemp directory that is removed at the end. */
#include <errno.h>
#include <unistd.h>
#include <xxhash.h>

#include "check.h"

#include "pricelane/err.h"
#include "pricelane/rows.h"

static const char *const known[] = {
    "op",      "batch",    "sku",    "barcode", "name",  "unit",  "pack_qty", "dept",  "flags",
    "plu",     "content",  "price",  "zone",    "store", "start", "end",      "promo", "kind",
    "pct_off", "priority", "member", "scope",   "items", "text",  "formats"};
#define NKNOWN ((int)(sizeof(known) / sizeof(known[0])))

static char tmpdir[64];
static char path_buf[256];

static const char *write_file(const char *name, const char *data, size_t len)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", tmpdir, name);
    FILE *f = fopen(path_buf, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        printf("cannot write %s\n", path_buf);
        exit(1);
    }
    return path_buf;
}

/* Rows seen by the callback, as "L<line> col=val|col=val". */
#define MAX_SEEN 64
static char seen[MAX_SEEN][2048];
static int nseen;
static int total_rows;
static uint64_t last_line;
static int stop_after = -1; /* callback returns PL_EINVAL after this many rows */

static int collect(const pl_row_t *row, void *arg)
{
    (void)arg;
    total_rows++;
    last_line = row->line;
    if (nseen < MAX_SEEN) {
        char *o = seen[nseen++];
        size_t n = (size_t)snprintf(o, 2048, "L%llu", (unsigned long long)row->line);
        const char *sep = " ";
        for (int i = 0; i < row->ncols; i++) {
            if (!row->vals[i])
                continue;
            n += (size_t)snprintf(o + n, n < 2048 ? 2048 - n : 0, "%s%s=%s", sep, row->names[i],
                                  row->vals[i]);
            sep = "|";
        }
    }
    if (stop_after >= 0 && total_rows >= stop_after)
        return PL_EINVAL;
    return 0;
}

static pl_diags_t diags;

/* Reads a file written from data; returns pl_rows_read's code. */
static int read_rows(const char *name, const char *data, size_t len)
{
    nseen = total_rows = 0;
    last_line = 0;
    pl_diags_free(&diags);
    pl_diags_init(&diags);
    const char *p = write_file(name, data, len);
    return pl_rows_read(p, known, NKNOWN, collect, NULL, &diags, NULL);
}

#define READ(name, lit) read_rows(name, lit, sizeof(lit) - 1)

/* Checks that some diagnostic equals want exactly (want is relative to the
 * temp dir: "<dir>/" is prefixed). */
static void check_diag(const char *want)
{
    char full[1200];
    snprintf(full, sizeof(full), "%s/%s", tmpdir, want);
    size_t n = diags.count < 1000 ? diags.count : 1000;
    for (size_t i = 0; i < n; i++)
        if (strcmp(diags.msgs[i], full) == 0) {
            pl_test_checks++;
            return;
        }
    CHECK(0, "no diagnostic \"%s\"; have %zu:", full, diags.count);
    for (size_t i = 0; i < n; i++)
        printf("    %s\n", diags.msgs[i]);
}

/* Checks that some diagnostic contains both fragments. */
static void check_diag_has(const char *a, const char *b)
{
    size_t n = diags.count < 1000 ? diags.count : 1000;
    for (size_t i = 0; i < n; i++)
        if (strstr(diags.msgs[i], a) && (!b || strstr(diags.msgs[i], b))) {
            pl_test_checks++;
            return;
        }
    CHECK(0, "no diagnostic with \"%s\" and \"%s\"; have %zu:", a, b ? b : "", diags.count);
    for (size_t i = 0; i < n; i++)
        printf("    %s\n", diags.msgs[i]);
}

/* ---- CSV ------------------------------------------------------------------ */

static void test_csv_basic(void)
{
    int rc = READ("basic.csv", "op,sku,name,price\n"
                               "item,100001,\"金龙鱼 调和油 5L\",59.90\n"
                               "\n"
                               "price,100002,,12.50\n"
                               "  price , 100003 ,, 3 \n"
                               "price,100004,,7"); /* no final newline */
    CHECK_INT(rc, 0);
    CHECK_INT(diags.count, 0);
    CHECK_INT(total_rows, 4);
    CHECK_STR(seen[0], "L2 op=item|sku=100001|name=金龙鱼 调和油 5L|price=59.90");
    CHECK_STR(seen[1], "L4 op=price|sku=100002|price=12.50");
    CHECK_STR(seen[2], "L5 op=price|sku=100003|price=3"); /* spaces around unquoted values go */
    CHECK_STR(seen[3], "L6 op=price|sku=100004|price=7");
    printf("csv: header, Chinese names, empty values absent, blank lines, trimmed spaces, "
           "no final newline\n");
}

static int get_test(const pl_row_t *row, void *arg)
{
    int *ok = arg;
    *ok = pl_row_get(row, "sku") && strcmp(pl_row_get(row, "sku"), "100001") == 0 &&
          pl_row_get(row, "name") == NULL && pl_row_get(row, "price") == NULL &&
          pl_row_get(row, "nosuch") == NULL && row->ncols == 3;
    return 0;
}

static void test_row_get(void)
{
    int ok = 0;
    pl_diags_free(&diags);
    const char *p = write_file("get.csv", "sku,name,price\n100001,,\n", 24);
    CHECK_INT(pl_rows_read(p, known, NKNOWN, get_test, &ok, &diags, NULL), 0);
    CHECK_INT(ok, 1);
    printf("pl_row_get: present, empty and unknown columns\n");
}

static void test_csv_quoting(void)
{
    int rc = READ("quoted.csv",
                  "op,sku,name,text,formats\n"
                  "item,1,\"油, 5L\",\"他说 \"\"特价\"\"\",\"20IIIIIPPPPPC,21IIIIIWWWWWC\"\n"
                  "item,2,\"两行\n名字\",x,\n"
                  "item,3,\"\",\"\"\"\",\n"
                  "item,4,\"a\n\nb\",,\n"
                  "item,5,ok,,\n");
    CHECK_INT(rc, 0);
    CHECK_INT(total_rows, 3);
    CHECK_STR(seen[0], "L2 op=item|sku=1|name=油, 5L|text=他说 \"特价\"|"
                       "formats=20IIIIIPPPPPC,21IIIIIWWWWWC");
    CHECK_STR(seen[1], "L5 op=item|sku=3|text=\"");
    CHECK_STR(seen[2], "L9 op=item|sku=5|name=ok");
    CHECK_INT(diags.count, 2);
    check_diag("quoted.csv:3:name: line break at byte 7: values must stay on one line");
    check_diag("quoted.csv:6:name: line break at byte 2: values must stay on one line");
    printf("csv: quoted commas, doubled quotes, a quoted newline is refused at the line its "
           "record starts and later line numbers stay right\n");
}

static void test_csv_crlf_bom(void)
{
    int rc = READ("crlf.csv", "\xEF\xBB\xBFop,sku,name\r\n"
                              "item,1,\"蒙牛 纯牛奶 250ml×24\"\r\n"
                              "\r\n"
                              "item,2,\"x\"\r\n");
    CHECK_INT(rc, 0);
    CHECK_INT(diags.count, 0);
    CHECK_INT(total_rows, 2);
    CHECK_STR(seen[0], "L2 op=item|sku=1|name=蒙牛 纯牛奶 250ml×24");
    CHECK_STR(seen[1], "L4 op=item|sku=2|name=x");

    /* CRLF inside a quoted field is a line break in the value */
    rc = READ("crlf2.csv", "op,name\r\nitem,\"a\r\nb\"\r\nitem,c\r\n");
    CHECK_INT(total_rows, 1);
    CHECK_STR(seen[0], "L4 op=item|name=c");
    check_diag("crlf2.csv:2:name: line break at byte 2: values must stay on one line");

    /* a BOM elsewhere than at the start of the file is not skipped */
    rc = READ("bom2.csv", "op,sku\n\xEF\xBB\xBFitem,1\n");
    CHECK_INT(total_rows, 1);
    CHECK_STR(seen[0], "L2 op=\xEF\xBB\xBFitem|sku=1");
    printf("csv: CRLF line ends, UTF-8 BOM at file start, CRLF inside quotes\n");
}

struct bad_utf8 {
    const char *bytes;
    const char *why;
};

static void test_csv_values(void)
{
    static const struct bad_utf8 cases[] = {
        {"a\x80", "invalid UTF-8 at byte 2 (0x80): unexpected continuation byte"},
        {"\xC0\xAF", "invalid UTF-8 at byte 1 (0xC0): overlong encoding"},
        {"\xC1\xBF", "invalid UTF-8 at byte 1 (0xC1): overlong encoding"},
        {"\xE0\x80\xAF", "invalid UTF-8 at byte 1 (0xE0): overlong encoding"},
        {"\xF0\x80\x80\xAF", "invalid UTF-8 at byte 1 (0xF0): overlong encoding"},
        {"\xED\xA0\x80", "invalid UTF-8 at byte 1 (0xED): UTF-16 surrogate code point"},
        {"\xED\xBF\xBF", "invalid UTF-8 at byte 1 (0xED): UTF-16 surrogate code point"},
        {"\xF4\x90\x80\x80", "invalid UTF-8 at byte 1 (0xF4): code point above U+10FFFF"},
        {"\xF5\x80\x80\x80", "invalid UTF-8 at byte 1 (0xF5): byte that never occurs in UTF-8"},
        {"ab\xFF", "invalid UTF-8 at byte 3 (0xFF): byte that never occurs in UTF-8"},
        {"\xE4\xB8", "invalid UTF-8 at byte 1 (0xE4): truncated multi-byte sequence"},
        {"\xE4\xB8x", "invalid UTF-8 at byte 1 (0xE4): truncated multi-byte sequence"},
        {"\xF0\x9F\x98", "invalid UTF-8 at byte 1 (0xF0): truncated multi-byte sequence"},
        {"a\x01", "control character U+0001 at byte 2 (only tab is allowed)"},
        {"\x7F", "control character U+007F at byte 1 (only tab is allowed)"},
        {"x\xC2\x85", "control character U+0085 at byte 2 (only tab is allowed)"},
        {"a\x1B[0m", "control character U+001B at byte 2 (only tab is allowed)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char data[128], want[256];
        int n = snprintf(data, sizeof(data), "op,name\nitem,\"%s\"\nitem,ok\n", cases[i].bytes);
        read_rows("utf8.csv", data, (size_t)n);
        snprintf(want, sizeof(want), "utf8.csv:2:name: %s%s", cases[i].why,
                 strstr(cases[i].why, "UTF-8") ? " (is the file in GBK/GB18030? save it as UTF-8)"
                                               : "");
        CHECK_INT(diags.count, 1);
        check_diag(want);
        CHECK_INT(total_rows, 1);
    }

    /* the GBK hint is given once per file; valid 4-byte UTF-8 and tabs pass */
    READ("gbk.csv", "op,name,text\n"
                    "item,\xBD\xF0\xC1\xFA\xD3\xE3,x\n" /* 金龙鱼 in GBK */
                    "item,\xC3\xC9\xC5\xA3,x\n"         /* 蒙牛 in GBK */
                    "item,\"😀\tok\",\"\xF4\x8F\xBF\xBF\"\n");
    CHECK_INT(diags.count, 2);
    check_diag("gbk.csv:2:name: invalid UTF-8 at byte 1 (0xBD): unexpected continuation byte "
               "(is the file in GBK/GB18030? save it as UTF-8)");
    check_diag("gbk.csv:3:name: invalid UTF-8 at byte 1 (0xC3): truncated multi-byte sequence");
    CHECK_INT(total_rows, 1);
    CHECK_STR(seen[0], "L4 op=item|name=😀\tok|text=\xF4\x8F\xBF\xBF");

    /* a NUL byte inside a value */
    READ("nul.csv", "op,name\nitem,a\0b\n");
    check_diag("nul.csv:2:name: control character U+0000 at byte 2 (only tab is allowed)");
    CHECK_INT(total_rows, 0);

    /* the length limit: 1024 bytes pass, 1025 do not (also in CJK, 3 bytes each) */
    static char big[4096];
    char field[PL_ROWS_FIELD_MAX + 2];
    memset(field, 'x', sizeof(field));
    field[PL_ROWS_FIELD_MAX] = '\0';
    int n = snprintf(big, sizeof(big), "op,name\nitem,%s\n", field);
    read_rows("len.csv", big, (size_t)n);
    CHECK_INT(diags.count, 0);
    CHECK_INT(total_rows, 1);
    field[PL_ROWS_FIELD_MAX] = 'x';
    field[PL_ROWS_FIELD_MAX + 1] = '\0';
    n = snprintf(big, sizeof(big), "op,name\nitem,%s\nitem,short\n", field);
    read_rows("len.csv", big, (size_t)n);
    check_diag("len.csv:2:name: value is 1025 bytes long; the limit is 1024 bytes");
    CHECK_INT(total_rows, 1);
    char cjk[342 * 3 + 1];
    for (int i = 0; i < 342; i++)
        memcpy(cjk + 3 * i, "价", 3);
    cjk[342 * 3] = '\0';
    n = snprintf(big, sizeof(big), "op,name\nitem,%s\n", cjk);
    read_rows("len.csv", big, (size_t)n);
    check_diag("len.csv:2:name: value is 1026 bytes long; the limit is 1024 bytes");
    printf("csv values: every kind of invalid UTF-8 (stray continuation, overlong 2/3/4-byte, "
           "surrogates, > U+10FFFF, F5-FF, truncated), GBK hint once, C0/C1/DEL controls, NUL, "
           "tab allowed, 1024-byte limit\n");
}

static void test_csv_shape(void)
{
    int rc = READ("count.csv", "op,sku,price\n"
                               "price,1,2.00,extra\n"
                               "price,2\n"
                               ",,\n"
                               ",\n"
                               ",,,x\n"
                               "price,3,4.00\n");
    CHECK_INT(rc, 0);
    CHECK_INT(diags.count, 3);
    check_diag("count.csv:6: 4 fields, but the header has 3 columns");
    check_diag("count.csv:2: 4 fields, but the header has 3 columns");
    check_diag("count.csv:3: 2 fields, but the header has 3 columns");
    CHECK_INT(total_rows, 1);
    CHECK_STR(seen[0], "L7 op=price|sku=3|price=4.00");

    /* unknown column: one diagnostic listing the known ones, nothing read */
    rc = READ("unknown.csv", "op,sku,colour,price\nprice,1,red,2\n");
    CHECK_INT(rc, 0);
    CHECK_INT(total_rows, 0);
    CHECK_INT(diags.count, 1);
    check_diag_has("unknown.csv:1: unknown column \"colour\" (known columns: op batch sku",
                   "text formats)");

    rc = READ("dup.csv", "op,sku,SKU\nprice,1,2\n");
    CHECK_INT(total_rows, 0);
    check_diag("dup.csv:1: duplicate column \"sku\" (header columns 2 and 3)");

    rc = READ("noname.csv", "op,,sku\nprice,1,2\n");
    CHECK_INT(total_rows, 0);
    check_diag("noname.csv:1: header column 2 has no name");

    /* header names are matched without regard to case and kept canonical */
    rc = READ("case.csv", "\n\nOp,Sku, PRICE \nprice,1,2\n");
    CHECK_INT(diags.count, 0);
    CHECK_STR(seen[0], "L4 op=price|sku=1|price=2");

    rc = READ("empty.csv", "");
    CHECK_INT(rc, 0);
    check_diag("empty.csv: no header row (the file is empty)");
    rc = READ("blank.csv", "\n  \n\r\n");
    check_diag("blank.csv: no header row (the file is empty)");
    rc = READ("header.csv", "op,sku,price");
    CHECK_INT(diags.count, 0);
    CHECK_INT(total_rows, 0);
    printf(
        "csv shape: too many/few fields named by line, empty rows skipped, unknown/duplicate/"
        "nameless columns stop the file, case-insensitive header, empty and header-only files\n");
}

static void test_csv_syntax(void)
{
    int rc = READ("quote.csv", "op,sku,name\n"
                               "item,1,ab\"c\n"
                               "item,2,\"ab\"c\n"
                               "item,3,ok\n"
                               "item,4,\"x\n"
                               "y\"z\n"
                               "item,5,ok\n");
    CHECK_INT(rc, 0);
    check_diag("quote.csv:2:name: malformed quoting at byte 10 of the line: a quote inside an "
               "unquoted field, or text after a closing quote (inside quotes, write a quote as "
               "\"\")");
    check_diag_has("quote.csv:3:name: malformed quoting at byte 12 of the line:", NULL);
    check_diag_has("quote.csv:6:name: malformed quoting at byte 3 of the line (in the record "
                   "that starts at line 5)",
                   NULL);
    CHECK_INT(diags.count, 3);
    CHECK_INT(total_rows, 2);
    CHECK_STR(seen[0], "L4 op=item|sku=3|name=ok");
    CHECK_STR(seen[1], "L7 op=item|sku=5|name=ok");

    rc = READ("open.csv", "op,sku,name\nitem,1,ok\nitem,2,\"never closed\nitem,3,x\n");
    CHECK_INT(rc, 0);
    CHECK_INT(total_rows, 1);
    check_diag("open.csv:3: quoted field not closed at the end of the file");

    /* an open quote swallowing a big file stops at the record limit */
    size_t big = 400 * 1024;
    char *data = malloc(big + 64);
    int n = snprintf(data, 64, "op,name\nitem,\"");
    memset(data + n, 'a', big);
    for (size_t i = 100; i < big; i += 100)
        data[n + i] = '\n';
    memcpy(data + n + big, "\nitem,ok\n", 9);
    rc = read_rows("long.csv", data, (size_t)n + big + 9);
    free(data);
    CHECK_INT(rc, 0);
    check_diag_has("long.csv:2: record is longer than", "(a quoted field is not closed)");
    CHECK_INT(total_rows, 1);
    printf("csv syntax: quote in an unquoted field, text after a closing quote, both inside "
           "a multi-line record, unclosed quote at EOF, runaway quote bounded; reading resumes "
           "at the next line\n");
}

static void test_csv_large(void)
{
    /* 60000 rows with quoted multi-line-free values: lines cross 64 KiB blocks */
    size_t cap = 60000 * 80 + 64, len = 0;
    char *data = malloc(cap);
    len += (size_t)snprintf(data, cap, "op,sku,name,price\n");
    for (int i = 0; i < 60000; i++)
        len += (size_t)snprintf(data + len, cap - len, "price,%d,\"商品 %d, 规格\",%d.%02d\n",
                                100000 + i, i, i % 1000, i % 100);
    int rc = read_rows("large.csv", data, len);
    CHECK_INT(rc, 0);
    CHECK_INT(diags.count, 0);
    CHECK_INT(total_rows, 60000);
    CHECK_INT(last_line, 60001);

    /* the digest is XXH3-128 of the file's bytes */
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    nseen = total_rows = 0;
    pl_diags_free(&diags);
    rc = pl_rows_read(path_buf, known, NKNOWN, collect, NULL, &diags, st);
    XXH128_hash_t got = XXH3_128bits_digest(st), want = XXH3_128bits(data, len);
    CHECK(XXH128_isEqual(got, want), "digest differs from XXH3_128bits of the file");
    XXH3_freeState(st);

    /* a callback's negative code stops the walk and is returned */
    nseen = total_rows = 0;
    stop_after = 3;
    pl_diags_free(&diags);
    rc = pl_rows_read(path_buf, known, NKNOWN, collect, NULL, &diags, NULL);
    stop_after = -1;
    CHECK_INT(rc, PL_EINVAL);
    CHECK_INT(total_rows, 3);
    free(data);

    pl_diags_free(&diags);
    snprintf(path_buf, sizeof(path_buf), "%s/missing.csv", tmpdir);
    rc = pl_rows_read(path_buf, known, NKNOWN, collect, NULL, &diags, NULL);
    CHECK_INT(rc, -ENOENT);
    check_diag("missing.csv: cannot open: No such file or directory");

    /* the digest covers the BOM too */
    static const char bom[] = "\xEF\xBB\xBFop,sku\nitem,1\n";
    const char *p = write_file("bom.csv", bom, sizeof(bom) - 1);
    st = XXH3_createState();
    XXH3_128bits_reset(st);
    pl_rows_read(p, known, NKNOWN, collect, NULL, &diags, st);
    CHECK(XXH128_isEqual(XXH3_128bits_digest(st), XXH3_128bits(bom, sizeof(bom) - 1)),
          "digest of a file with a BOM");
    XXH3_freeState(st);
    printf("csv: 60000 rows across blocks with right line numbers, XXH3-128 digest of the "
           "content, callback stop code, missing file\n");
}

/* ---- JSON Lines ----------------------------------------------------------- */

static void test_jsonl(void)
{
    int rc = READ("batch.jsonl",
                  "{\"op\":\"item\",\"sku\":\"100001\",\"name\":\"金龙鱼 调和油 5L\"}\n"
                  "\n"
                  "   \r\n"
                  "{\"op\":\"price\",\"sku\":100002,\"price\":12.5,\"member\":true}\r\n"
                  "{\"op\":\"promo\",\"price\":100.0,\"pct_off\":0.1,\"member\":false,"
                  "\"zone\":null,\"priority\":-3,\"text\":\"\"}\n"
                  "{\"op\":\"promo\",\"items\":[\"1\",\"2\"]}\n"
                  "{\"op\":\"promo\",\"scope\":{\"zone\":\"A\"}}\n"
                  "[1,2]\n"
                  "\"price\"\n"
                  "42\n"
                  "{\"op\":\"price\",\"sku\":\"1\",}\n"
                  "{\"op\":\"price\",\"colour\":\"red\"}\n"
                  "{\"op\":\"price\",\"sku\":\"1\",\"sku\":\"2\"}\n"
                  "{\"op\":\"price\",\"sku\":\"1\",\"SKU\":\"2\"}\n"
                  "{\"op\":\"price\",\"name\":\"a\\nb\"}\n"
                  "{\"op\":\"price\",\"name\":\"a\\u0000b\"}\n"
                  "{\"OP\":\"price\",\"Sku\":\"7\"}\n"
                  "{\"op\":\"price\",\"price\":123456789012345678901234567890.0}"); /* no EOL */
    CHECK_INT(rc, 0);
    CHECK_INT(total_rows, 5);
    CHECK_STR(seen[0], "L1 op=item|sku=100001|name=金龙鱼 调和油 5L");
    CHECK_STR(seen[1], "L4 op=price|sku=100002|price=12.5|member=true");
    CHECK_STR(seen[2], "L5 op=promo|price=100|pct_off=0.1|priority=-3|member=false");
    CHECK_STR(seen[3], "L17 op=price|sku=7");
    CHECK_STR(seen[4], "L18 op=price|price=1.2345678901234568e+29");
    check_diag("batch.jsonl:6:items: is a JSON array; give a string or a number (several "
               "values: \"A|B\")");
    check_diag_has("batch.jsonl:7:scope: is a JSON object", NULL);
    check_diag_has("batch.jsonl:8: not a JSON object", NULL);
    check_diag_has("batch.jsonl:9: not a JSON object", NULL);
    check_diag_has("batch.jsonl:10: not a JSON object", NULL);
    check_diag_has("batch.jsonl:11: invalid JSON at column", NULL);
    check_diag_has("batch.jsonl:12: unknown column \"colour\" (known columns: op", NULL);
    check_diag_has("batch.jsonl:13: invalid JSON at column", "duplicate");
    check_diag("batch.jsonl:14: duplicate column \"sku\"");
    check_diag("batch.jsonl:15:name: line break at byte 2: values must stay on one line");
    check_diag_has("batch.jsonl:16: invalid JSON at column", NULL);
    CHECK_INT(diags.count, 11);

    /* a name other than .jsonl: the first non-blank byte decides */
    rc = READ("sniff.txt", "\xEF\xBB\xBF\n  {\"op\":\"price\",\"sku\":\"9\"}\n");
    CHECK_INT(total_rows, 1);
    CHECK_STR(seen[0], "L2 op=price|sku=9");
    rc = READ("sniff.dat", "op,sku\nprice,9\n");
    CHECK_INT(total_rows, 1);
    CHECK_STR(seen[0], "L2 op=price|sku=9");
    rc = READ("x.ndjson", "{\"op\":\"price\"}\n");
    CHECK_STR(seen[0], "L1 op=price");
    rc = READ("empty.jsonl", "");
    CHECK_INT(rc, 0);
    CHECK_INT(diags.count, 0);
    CHECK_INT(total_rows, 0);
    /* a .csv file holding JSON is read as CSV */
    rc = READ("wrong.csv", "{\"op\":\"price\"}\n");
    CHECK(diags.count >= 1, "a .csv with JSON content gives a diagnostic");

    /* invalid UTF-8 inside a JSON string is caught by the JSON parser */
    rc = READ("utf8.jsonl", "{\"op\":\"item\",\"name\":\"\xC0\xAF\"}\n");
    check_diag_has("utf8.jsonl:1: invalid JSON", NULL);
    CHECK_INT(total_rows, 0);

    /* 1024 bytes of value, written with escapes, pass; 1025 do not */
    static char line[8192];
    size_t n = (size_t)snprintf(line, sizeof(line), "{\"name\":\"");
    for (int i = 0; i < PL_ROWS_FIELD_MAX; i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\\u0041");
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n{\"name\":\"x");
    for (int i = 0; i < PL_ROWS_FIELD_MAX; i++)
        line[n++] = 'y';
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
    rc = read_rows("len.jsonl", line, n);
    CHECK_INT(total_rows, 1);
    check_diag("len.jsonl:2:name: value is 1025 bytes long; the limit is 1024 bytes");
    printf("jsonl: strings, integers, reals as shortest text, booleans, null = absent, arrays/"
           "objects refused by column, non-objects, bad JSON, unknown and duplicate keys (also "
           "by case), blank lines, CRLF, sniffing, value limits\n");
}

/* ---- diagnostics ---------------------------------------------------------- */

static void test_diags(void)
{
    pl_diags_t d;
    pl_diags_init(&d);
    pl_diag(&d, "b.csv", 7, "price", "bad %d", 1);
    pl_diag(&d, "b.csv", 7, NULL, "bad");
    pl_diag(&d, "b.csv", 0, NULL, "bad");
    pl_diag(&d, NULL, 3, "sku", "bad");
    pl_diag(&d, NULL, 0, NULL, "bad");
    pl_diag(&d, "b.csv", 0, "sku", "bad");
    CHECK_INT(d.count, 6);
    CHECK_STR(d.msgs[0], "b.csv:7:price: bad 1");
    CHECK_STR(d.msgs[1], "b.csv:7: bad");
    CHECK_STR(d.msgs[2], "b.csv: bad");
    CHECK_STR(d.msgs[3], "line 3:sku: bad");
    CHECK_STR(d.msgs[4], "bad");
    CHECK_STR(d.msgs[5], "b.csv:sku: bad");
    pl_diags_free(&d);
    CHECK_INT(d.count, 0);

    d.limit = 3;
    for (int i = 0; i < 10; i++)
        pl_diag(&d, "f", (uint64_t)i + 1, NULL, "m%d", i);
    CHECK_INT(d.count, 10);
    CHECK_STR(d.msgs[2], "f:3: m2");
    printf("(the next 4 lines on stderr are expected)\n");
    fflush(stdout);
    pl_diags_print(&d);
    pl_diags_free(&d);
    CHECK_INT(d.limit, 3);
    pl_diags_free(&d);

    /* the limit applies to the reader too */
    static char data[64 * 1024];
    size_t n = (size_t)snprintf(data, sizeof(data), "op,sku\n");
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(data + n, sizeof(data) - n, "a,b,c\n");
    read_rows("many.csv", data, n);
    CHECK_INT(diags.count, 2000);
    check_diag("many.csv:1000: 3 fields, but the header has 2 columns");
    printf("diagnostics: file:line:column: message with absent parts omitted, limit keeps "
           "counting, print\n");
}

/* ---- field parsers -------------------------------------------------------- */

static const pl_row_t prow = {"batch.csv", 7, 0, NULL, NULL};

static void money_ok(const char *s, int64_t want)
{
    pl_diags_t d;
    pl_diags_init(&d);
    int64_t v = -1;
    int rc = pl_parse_money(&prow, "price", s, &v, &d);
    CHECK(rc == 0 && v == want && d.count == 0, "money \"%s\": rc %d v %lld, want %lld", s, rc,
          (long long)v, (long long)want);
    pl_diags_free(&d);
}

static void parse_bad(int rc, pl_diags_t *d, const char *want)
{
    CHECK(rc == PL_EFORMAT && d->count == 1 && strcmp(d->msgs[0], want) == 0,
          "rc %d, message \"%s\", want \"%s\"", rc, d->count ? d->msgs[0] : "(none)", want);
    pl_diags_free(d);
}

static void test_parsers(void)
{
    pl_diags_t d;
    pl_diags_init(&d);
    int64_t m = 0;
    money_ok("0", 0);
    money_ok("0.05", 5);
    money_ok("12", 1200);
    money_ok("12.5", 1250);
    money_ok("12.50", 1250);
    money_ok("0.00", 0);
    money_ok("0012.30", 1230);
    money_ok("10000000000", 1000000000000LL);
    money_ok("10000000000.00", 1000000000000LL);
    money_ok("00000000000000000000001.5", 150);
    parse_bad(pl_parse_money(&prow, "price", "12.345", &m, &d), &d,
              "batch.csv:7:price: \"12.345\" has more than 2 decimals");
    parse_bad(pl_parse_money(&prow, "price", "1.234", &m, &d), &d,
              "batch.csv:7:price: \"1.234\" has more than 2 decimals");
    parse_bad(pl_parse_money(&prow, "price", "-1", &m, &d), &d,
              "batch.csv:7:price: \"-1\" is negative");
    parse_bad(pl_parse_money(&prow, "price", "abc", &m, &d), &d,
              "batch.csv:7:price: \"abc\" is not an amount of money (write it like 12.50)");
    parse_bad(pl_parse_money(&prow, "price", "", &m, &d), &d,
              "batch.csv:7:price: is empty; an amount such as 12.50 is required");
    parse_bad(pl_parse_money(&prow, "price", NULL, &m, &d), &d,
              "batch.csv:7:price: is empty; an amount such as 12.50 is required");
    parse_bad(pl_parse_money(&prow, "price", "99999999999999999999999", &m, &d), &d,
              "batch.csv:7:price: \"99999999999999999999999\" is too large (at most "
              "10000000000.00)");
    parse_bad(pl_parse_money(&prow, "price", "10000000000.01", &m, &d), &d,
              "batch.csv:7:price: \"10000000000.01\" is too large (at most 10000000000.00)");
    static const char *const not_money[] = {"1,234.00", "12.", ".5",   " 12", "12 ",  "+1",
                                            "1e3",      "¥12", "12元", "-",   "0x10", "1.2.3"};
    for (size_t i = 0; i < sizeof(not_money) / sizeof(not_money[0]); i++) {
        CHECK_INT(pl_parse_money(&prow, "price", not_money[i], &m, &d), PL_EFORMAT);
        CHECK(d.count == 1 && strstr(d.msgs[0], "is not an amount of money"), "\"%s\": %s",
              not_money[i], d.count ? d.msgs[0] : "(none)");
        pl_diags_free(&d);
    }
    /* a long value is shortened in the message */
    parse_bad(pl_parse_money(&prow, "price", "1234567890123456789012345678901234567890123456789x",
                             &m, &d),
              &d,
              "batch.csv:7:price: \"1234567890123456789012345678901234567890\"... is not an "
              "amount of money (write it like 12.50)");
    parse_bad(pl_parse_money(NULL, "price", "x\x01", &m, &d), &d,
              "price: \"x\\x01\" is not an amount of money (write it like 12.50)");

    uint64_t u = 0;
    CHECK(pl_parse_uint(&prow, "pack_qty", "24", 1, 10000, &u, &d) == 0 && u == 24, "uint 24");
    CHECK(pl_parse_uint(&prow, "priority", "0", 0, 1000, &u, &d) == 0 && u == 0, "uint 0");
    CHECK(pl_parse_uint(&prow, "n", "18446744073709551615", 0, UINT64_MAX, &u, &d) == 0 &&
              u == UINT64_MAX,
          "uint max");
    parse_bad(pl_parse_uint(&prow, "pack_qty", "0", 1, 10000, &u, &d), &d,
              "batch.csv:7:pack_qty: \"0\" is out of range 1-10000");
    parse_bad(pl_parse_uint(&prow, "pack_qty", "10001", 1, 10000, &u, &d), &d,
              "batch.csv:7:pack_qty: \"10001\" is out of range 1-10000");
    parse_bad(pl_parse_uint(&prow, "n", "18446744073709551616", 0, UINT64_MAX, &u, &d), &d,
              "batch.csv:7:n: \"18446744073709551616\" is out of range 0-18446744073709551615");
    parse_bad(pl_parse_uint(&prow, "pack_qty", "abc", 1, 10, &u, &d), &d,
              "batch.csv:7:pack_qty: \"abc\" is not a whole number");
    parse_bad(pl_parse_uint(&prow, "pack_qty", "-1", 1, 10, &u, &d), &d,
              "batch.csv:7:pack_qty: \"-1\" is not a whole number");
    parse_bad(pl_parse_uint(&prow, "pack_qty", "1.5", 1, 10, &u, &d), &d,
              "batch.csv:7:pack_qty: \"1.5\" is not a whole number");
    parse_bad(pl_parse_uint(&prow, "pack_qty", "", 1, 10, &u, &d), &d,
              "batch.csv:7:pack_qty: is empty; a whole number is required");

    int64_t t = 0;
    CHECK(pl_parse_time(&prow, "start", "2026-11-26 08:00", 480, &t, &d) == 0 && t == 1795651200LL,
          "time local");
    CHECK(pl_parse_time(&prow, "start", "2026-11-26T08:00:00+08:00", 0, &t, &d) == 0 &&
              t == 1795651200LL,
          "time RFC 3339");
    parse_bad(pl_parse_time(&prow, "start", "2026-13-01", 480, &t, &d), &d,
              "batch.csv:7:start: \"2026-13-01\" is not a valid time: month 13 is out of range "
              "01-12");
    parse_bad(pl_parse_time(&prow, "end", "2026-02-29 10:00", 480, &t, &d), &d,
              "batch.csv:7:end: \"2026-02-29 10:00\" is not a valid time: day 29 is out of "
              "range for 2026-02 (28 days)");
    parse_bad(pl_parse_time(&prow, "end", "", 480, &t, &d), &d,
              "batch.csv:7:end: is empty; a time such as 2026-11-26 08:00 is required");

    int b = -1;
    static const char *const yes[] = {"1", "true", "TRUE", "Yes", "y", "Y"};
    static const char *const no[] = {"0", "false", "False", "NO", "n"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        CHECK(pl_parse_bool(&prow, "member", yes[i], &b, &d) == 0 && b == 1, "bool %s", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        CHECK(pl_parse_bool(&prow, "member", no[i], &b, &d) == 0 && b == 0, "bool %s", no[i]);
    CHECK_INT(d.count, 0);
    parse_bad(pl_parse_bool(&prow, "member", "maybe", &b, &d), &d,
              "batch.csv:7:member: \"maybe\" is not a yes/no value (use true/false, yes/no, y/n "
              "or 1/0)");
    parse_bad(pl_parse_bool(&prow, "member", "是", &b, &d), &d,
              "batch.csv:7:member: \"是\" is not a yes/no value (use true/false, yes/no, y/n or "
              "1/0)");
    parse_bad(pl_parse_bool(&prow, "member", NULL, &b, &d), &d,
              "batch.csv:7:member: is empty; true or false is required");
    printf("parsers: money (0, 0.05, 12, 12.5, 12.50, max, -1, 1.234, abc, empty, huge, "
           "separators, currency signs), uint ranges and overflow, time messages, booleans\n");
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", tmpdir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/pl-rows-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    pl_diags_init(&diags);
    test_csv_basic();
    test_row_get();
    test_csv_quoting();
    test_csv_crlf_bom();
    test_csv_values();
    test_csv_shape();
    test_csv_syntax();
    test_csv_large();
    test_jsonl();
    test_diags();
    test_parsers();
    pl_diags_free(&diags);
    cleanup();
    return pl_test_done("test_rows");
}
