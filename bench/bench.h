/* pricelane-bench subcommands. Each takes the argv of its own command line
 * (argv[0] is the subcommand name), prints its results as JSON on stdout and
 * returns the process exit status: 0 success, 1 failure, 2 usage error. */
#pragma once

/* catalog: writes a synthetic catalogue (docs/batch-format.md) and, with
 * --keys, the codes a load generator can look up. */
int pl_bench_catalog(int argc, char **argv);

/* run: the load generator (line protocol UDP/TCP, RESP, memcached text). */
int pl_bench_run(int argc, char **argv);
/* echo-server: the calibration server (canned answers, no lookup). */
int pl_bench_echo_server(int argc, char **argv);
/* micro: ns per pl_resolve on cache hit and miss over a catalogue. */
int pl_bench_micro(int argc, char **argv);
/* fresh: the freshness checker (lookups while batches are applied). */
int pl_bench_fresh(int argc, char **argv);
/* kv-load: the catalogue's answers into Redis or memcached. */
int pl_bench_kvload(int argc, char **argv);
