/* pricelane-bench: the benchmark tool. One subcommand per job; each has its
 * own --help. To add one: write `int pl_bench_<name>(int argc, char **argv)`,
 * declare it in bench.h and add a line to the table below. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} cmds[] = {
    {"catalog", pl_bench_catalog,
     "catalog --items N --seed S --out FILE [--keys FILE]   write a synthetic catalogue"},
    {"run", pl_bench_run, "run --server H:P --proto P --keys FILE [...]   load generator"},
    {"echo-server", pl_bench_echo_server, "echo-server [--listen A:P] [--size N]   calibration server"},
    {"micro", pl_bench_micro, "micro --db DIR --keys FILE   ns per resolve, cache hit and miss"},
    {"fresh", pl_bench_fresh, "fresh --server H:P --db DIR --keys FILE   freshness checker"},
    {"kv-load", pl_bench_kvload, "kv-load --db DIR --keys FILE --redis|--memcached H:P   load answers"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: pricelane-bench COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(f, "  %s\n", cmds[i].help);
    fprintf(f, "\n'pricelane-bench COMMAND --help' describes each command's options.\n"
               "Results are printed as one JSON object on stdout.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "pricelane-bench: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
