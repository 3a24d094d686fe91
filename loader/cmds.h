/* pricelane-load subcommands. Each takes argc/argv from the subcommand name
 * on and returns the process exit code: 0 success, 1 the operation failed
 * (bad input, invariant violated...), 2 usage error. */
#pragma once

int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_labels(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* Shared by the subcommands: opens the catalogue at db, printing a precise
 * error ("pricelane-load: /x: no catalogue here (run pricelane-load init)").
 * Returns NULL on failure. */
struct pl_cat;
struct pl_cat *cmd_open_db(const char *db, int read_only);
