#!/usr/bin/env bash
# pricelane-load watch against an inbox an attacker can write to: a symbolic
# link to a secret, /etc/passwd or /proc/self/environ under a batch name is
# refused unread (nothing of the target reaches failed/NAME.err, which is
# never wider than the refused file); a FIFO neither blocks the watcher nor
# stops SIGTERM; a file written in place is applied whole once it settles,
# never in part. apply refuses a FIFO at once instead of blocking.
source "$(dirname "$0")/lib/loader.bash"

DB=$T/db
IN=$T/inbox
base_catalogue "$DB"
mkdir "$IN"
price_of() { field "$(answer "$DB" "$1")" price; }
g0=$(gen "$DB")

# ---- links ---------------------------------------------------------------------
printf 'op,sku,price\nTOP-SECRET-LINE,A1,1.00\n' >"$T/secret.csv"
chmod 600 "$T/secret.csv"
ln -s "$T/secret.csv" "$IN/001-secret.csv"
ln -s /etc/passwd "$IN/002-passwd.csv"
ln -s /proc/self/environ "$IN/003-environ.csv"
umask 022
run "$LOAD" watch --db "$DB" --once --settle 0 "$IN"
check_eq "links: exit 1 (refused files)" "$RC" 1
for f in 001-secret.csv 002-passwd.csv 003-environ.csv; do
    check_eq "link $f moved to failed/ as a link" "$([ -L "$IN/failed/$f" ] && echo link)" link
    err=$(cat "$IN/failed/$f.err")
    check_contains "link $f: .err says why" "$err" "a symbolic link"
    check_not_contains "link $f: nothing of the target in .err" "$err" "TOP-SECRET"
    check_not_contains "link $f: no passwd line in .err" "$err" "root:"
    check_eq "link $f: .err mode 0640" "$(stat -c %a "$IN/failed/$f.err")" 640
done
check_not_contains "links: nothing of the targets printed" "$OUT" "TOP-SECRET"
check_eq "links: nothing applied" "$(gen "$DB")" "$g0"
check_eq "links: the secret is untouched" "$(stat -c %a "$T/secret.csv")" 600

# A refused regular file's .err is no wider than the file.
printf 'op,sku,price\nprice,NOPE,1.00\n' >"$IN/004-private.csv"
chmod 600 "$IN/004-private.csv"
run "$LOAD" watch --db "$DB" --once --settle 0 "$IN"
check_eq "private bad file: .err mode as the file's (0600)" "$(stat -c %a "$IN/failed/004-private.csv.err")" 600

# ---- FIFOs ---------------------------------------------------------------------
mkfifo "$IN/005-fifo.csv"
run timeout 20 "$LOAD" watch --db "$DB" --once --settle 0 "$IN"
check_eq "FIFO: --once returns (exit 1, not the timeout's 124)" "$RC" 1
check_contains "FIFO: says it is a FIFO" "$(cat "$IN/failed/005-fifo.csv.err")" "FIFO"
check_eq "FIFO: moved to failed/" "$([ -p "$IN/failed/005-fifo.csv" ] && echo fifo)" fifo

# The daemon: a FIFO dropped while it runs, then a good file, then SIGTERM.
start_watcher --db "$DB" --rescan 3600 --settle 0 "$IN"
check_contains "daemon: ready line" "$line" "watching $IN"
mkfifo "$IN/006-fifo.csv"
read -r -t 20 -u "$WFD" line || true
check_contains "daemon: the FIFO is refused, not waited on" "$line" "006-fifo.csv: FAILED"
printf 'op,sku,price\nprice,A2,6.06\n' >"$IN/.007.csv"
mv "$IN/.007.csv" "$IN/007.csv"
read -r -t 20 -u "$WFD" line || true
check_contains "daemon: the next file is applied" "$line" "007.csv: applied batch 007"
check_eq "daemon: its price" "$(price_of A2)" 606

# ---- a file written in place ---------------------------------------------------
# The writer has written the header and 3 of 20 rows: the watcher (settle
# one hour) leaves it. Then the writer finishes, and the file is dated as
# written long ago: the watcher, woken by the change, applies all 20 rows.
stop_watcher
check_eq "SIGTERM after a FIFO: exit 0" "$WRC" 0
exec {WFD}<&-
start_watcher --db "$DB" --rescan 3600 --settle 3600 "$IN"
g1=$(gen "$DB")
gen_batch "$T/ten.csv" 60000 10
head -4 "$T/ten.csv" >"$IN/008-inplace.csv"
read -r -t 20 -u "$WFD" line || true
check_contains "in place: a fresh file is left to settle" "$line" "008-inplace.csv: changed"
check_contains "in place: and the log says so" "$line" "left in the inbox until it has not changed for 3600 s"
check_eq "in place: nothing applied yet" "$(gen "$DB")" "$g1"
tail -n +5 "$T/ten.csv" >>"$IN/008-inplace.csv"
touch -d '-2 hours' "$IN/008-inplace.csv"
while read -r -t 20 -u "$WFD" line && [[ "$line" == *"until it has not changed"* ]]; do :; done
check_contains "in place: applied once settled" "$line" "008-inplace.csv: applied batch 008-inplace: 20 rows"
check_eq "in place: the last row is there" "$(field "$(answer "$DB" N60009)" status)" ok
stop_watcher
check_eq "SIGTERM while a file settles: exit 0" "$WRC" 0
exec {WFD}<&-

# ---- apply -----------------------------------------------------------------------
mkfifo "$T/pipe.csv"
run timeout 20 "$LOAD" apply --db "$DB" "$T/pipe.csv"
check_eq "apply a FIFO: refused at once (exit 1)" "$RC" 1
check_contains "apply a FIFO: says why" "$OUT" "not a regular file (a FIFO or pipe)"
run "$LOAD" verify --db "$DB"
check_eq "verify: exit 0" "$RC" 0
finish
