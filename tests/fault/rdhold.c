/* rdhold: holds an LMDB read transaction open on a catalogue until killed,
 * as a reader process that dies without ending its transaction would leave
 * it. Used by tests/e2e/fault_readers.sh.
 *
 *   rdhold DIR          open the environment, begin a read transaction,
 *                       print "holding pid=P txnid=T", wait to be killed
 *   rdhold --idle DIR   open the environment without a transaction (keeps
 *                       the lock file in use, so a later opener does not
 *                       reset the reader table), print "open pid=P", wait
 *
 * The line is printed (and flushed) only once the slot is taken: a test
 * reads it before killing the process. Exit status 1 when the environment
 * cannot be opened.
 */
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int idle = argc == 3 && strcmp(argv[1], "--idle") == 0;
    if (argc != 2 + idle) {
        fprintf(stderr, "usage: rdhold [--idle] DIR\n");
        return 2;
    }
    const char *dir = argv[1 + idle];
    MDB_env *env;
    MDB_txn *txn;
    int rc = mdb_env_create(&env);
    if (!rc)
        rc = mdb_env_set_maxdbs(env, 32);
    if (!rc)
        rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0644);
    if (rc) {
        fprintf(stderr, "rdhold: %s: %s\n", dir, mdb_strerror(rc));
        return 1;
    }
    if (idle) {
        printf("open pid=%ld\n", (long)getpid());
    } else {
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
        for (int tries = 0; rc == MDB_MAP_RESIZED && tries < 8; tries++) {
            mdb_env_set_mapsize(env, 0);
            rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
        }
        if (rc) {
            fprintf(stderr, "rdhold: read transaction: %s\n", mdb_strerror(rc));
            return 1;
        }
        printf("holding pid=%ld txnid=%zu\n", (long)getpid(), mdb_txn_id(txn));
    }
    fflush(stdout);
    for (;;)
        pause();
}
