/* pricelane-bench subcommands. Each takes the argv of its own command line
 * (argv[0] is the subcommand name), prints its results as JSON on stdout and
 * returns the process exit status: 0 success, 1 failure, 2 usage error. */
#pragma once

/* catalog: writes a synthetic catalogue (docs/batch-format.md) and, with
 * --keys, the codes a load generator can look up. */
int pl_bench_catalog(int argc, char **argv);
