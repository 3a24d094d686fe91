/* The NQuire price checker module (core/cit.c): framing and parsing what
 * the device sends, character set names and converters. */
#include "check.h"
#include "pricelane/cit.h"
#include "pricelane/err.h"

static void test_frame(void)
{
    printf("checking line framing\n");
    size_t off, n, used;
    const char *b = "123\r\n456\n";
    CHECK_INT(pl_cit_frame(b, strlen(b), &off, &n, &used), 1);
    CHECK_INT(off, 0);
    CHECK_INT(n, 3);
    CHECK_INT(used, 4);
    b += used; /* "\n456\n": the LF of the CR LF pair is skipped */
    CHECK_INT(pl_cit_frame(b, strlen(b), &off, &n, &used), 1);
    CHECK_INT(off, 1);
    CHECK_INT(n, 3);
    CHECK_INT(used, 5);
    CHECK_INT(pl_cit_frame("12", 2, &off, &n, &used), 0);
    CHECK_INT(used, 0);
    CHECK_INT(pl_cit_frame("\r\n\r\n", 4, &off, &n, &used), 0);
    CHECK_INT(used, 4);
    CHECK_INT(pl_cit_frame("\n12", 3, &off, &n, &used), 0);
    CHECK_INT(used, 1);
    char big[PL_CIT_LINE_MAX + 1];
    memset(big, '1', sizeof(big));
    CHECK_INT(pl_cit_frame(big, PL_CIT_LINE_MAX - 1, &off, &n, &used), 0);
    CHECK_INT(pl_cit_frame(big, PL_CIT_LINE_MAX, &off, &n, &used), -1);
    CHECK_INT(used, 0);
    big[PL_CIT_LINE_MAX - 1] = '\n';
    CHECK_INT(pl_cit_frame(big, PL_CIT_LINE_MAX, &off, &n, &used), 1);
    CHECK_INT(n, PL_CIT_LINE_MAX - 1);
}

static void req_ok(const char *line, const char *prefixes, const char *code, const char *prefix)
{
    pl_cit_req_t r;
    int rc = pl_cit_request(line, strlen(line), prefixes, &r);
    CHECK(rc == 0, "\"%s\": %s", line, r.error);
    CHECK_STR(r.code, code);
    CHECK_INT(r.len, strlen(code));
    CHECK_STR(r.prefix, prefix);
}

static void req_bad(const char *line, size_t len, const char *why)
{
    pl_cit_req_t r;
    CHECK_INT(pl_cit_request(line, len, NULL, &r), PL_EFORMAT);
    CHECK_STR(r.error, why);
    CHECK_STR(r.code, "");
}

static void test_request(void)
{
    printf("checking requests and symbology prefixes\n");
    req_ok("6901234567892\r\n", NULL, "6901234567892", "");
    req_ok("6901234567892\n\r", NULL, "6901234567892", "");
    req_ok("F6901234567892\r", NULL, "6901234567892", "F");
    req_ok("FF12345670\n", NULL, "12345670", "FF");
    req_ok("A012345678905", NULL, "012345678905", "A");
    req_ok("E01234565\r\n", NULL, "01234565", "E");
    req_ok("]E06901234567892\r\n", NULL, "6901234567892", "]E0");
    req_ok("]C1A-1234", "", "A-1234", "]C1");
    req_ok("  6901234567892  \r\n", NULL, "6901234567892", "");
    /* letters and digits otherwise: a keyed item code, intact */
    req_ok("A-1234", NULL, "A-1234", "");
    req_ok("AB12C3", NULL, "AB12C3", "");
    req_ok("12AB", NULL, "12AB", "");
    req_ok("ABCD1234", NULL, "ABCD1234", "");
    req_ok("FOO", NULL, "FOO", "");
    /* the device's own list */
    req_ok("C10023", "F,FF,A,E", "C10023", "");
    req_ok("FF12345670", "F, FF ,A,E", "12345670", "FF");
    req_ok("F6901234567892", "F,FF", "6901234567892", "F");
    req_ok("f6901234567892", "F,FF", "f6901234567892", "");
    req_ok("F6901234567892", "", "F6901234567892", "");

    req_bad("", 0, "empty line");
    req_bad("\r\n", 2, "empty line");
    req_bad("  \n", 3, "empty line");
    req_bad("12\03334\r\n", 6, "control byte 0x1b at position 3: not a scanned code");
    req_bad("1\t2", 3, "control byte 0x09 at position 2: not a scanned code");
    req_bad("12\r34", 5, "control byte 0x0d at position 3: not a scanned code");
    req_bad("12\xc3\xa9", 4, "byte 0xc3 at position 3: not ASCII (binary data?)");
    req_bad("1\0002", 3, "control byte 0x00 at position 2: not a scanned code");
    req_bad("]E0\r\n", 5, "nothing after the prefix ]E0");
    char lng[80];
    memset(lng, '7', sizeof(lng));
    req_bad(lng, 64, "code of 64 bytes: longer than 63");
    lng[0] = 'F';
    req_bad(lng, 65, "code of 64 bytes after the prefix F: longer than 63");
    req_ok("F77777777777777777777777777777777777777777777777777777777777777", NULL,
           "77777777777777777777777777777777777777777777777777777777777777", "F");
}

static void test_charset(void)
{
    printf("checking character set names\n");
    pl_cit_charset_t cs = PL_CIT_GB18030;
    CHECK_INT(pl_cit_charset_parse("UTF-8", &cs), 0);
    CHECK_INT(cs, PL_CIT_UTF8);
    CHECK_INT(pl_cit_charset_parse("gb18030", &cs), 0);
    CHECK_INT(cs, PL_CIT_GB18030);
    CHECK_INT(pl_cit_charset_parse("gbk", &cs), PL_EINVAL);
    CHECK_STR(pl_cit_charset_name(PL_CIT_GB18030), "gb18030");
    pl_cit_conv_t *c = (pl_cit_conv_t *)1;
    CHECK_INT(pl_cit_conv_open(PL_CIT_UTF8, &c), 0);
    CHECK(c == NULL, "UTF-8 needs no converter");
}

int main(void)
{
    test_frame();
    test_request();
    test_charset();
    return pl_test_done("test_cit");
}
