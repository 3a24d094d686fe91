#!/usr/bin/env bash
# pricelane-load watch: complete files (renamed in with a batch extension)
# are applied in name order, one batch each, and moved to done/ or failed/
# (with NAME.err); temporary and dot-files are left alone; restarting never
# applies a file twice (also after a stop between commit and move) and never
# skips one; the daemon picks files up from file events and stops cleanly on
# SIGTERM.
source "$(dirname "$0")/lib/loader.bash"

DB=$T/db
IN=$T/inbox
base_catalogue "$DB"
mkdir "$IN"
price_of() { field "$(answer "$DB" "$1")" price; } # the watcher applies at the current time
drop() { # NAME CONTENT: written under NAME.tmp, then renamed into place
    printf '%s' "$2" >"$IN/$1.tmp"
    mv "$IN/$1.tmp" "$IN/$1"
}

drop 003.csv $'op,sku,price\nprice,A1,1.03\n'
drop 001.csv $'op,sku,price\nprice,A1,1.01\n'
drop 002.jsonl $'{"op":"price","sku":"A1","price":"1.02"}\n'
drop 004-bad.csv $'op,sku,price\nprice,NOPE,1.00\nprice,A1,-1\n'
printf 'op,sku,price\nprice,A1,9.99\n' >"$IN/005.csv.tmp" # still being written
printf 'op,sku,price\nprice,A1,9.98\n' >"$IN/.006.csv"    # a writer's dot-file
printf 'op,sku,price\nprice,A1,9.97\n' >"$IN/007.part"
printf 'hello\n' >"$IN/README.txt"
mkdir "$IN/008.csv" # a directory, not a file
g0=$(gen "$DB")

run "$LOAD" watch --db "$DB" --once "$IN"
check_eq "--once with a bad file: exit 1" "$RC" 1
printf '%s\n' "$OUT" | sed 's/^/     | /'
order=$(grep -v 'until it has not changed' <<<"$OUT" | grep -o '^[0-9a-z-]*\.[a-z]*: ' | tr -d ': \n')
check_eq "files processed in name order" "$order" "001.csv002.jsonl003.csv004-bad.csv"
check_eq "the last in name order wins" "$(price_of A1)" 103
check_eq "three batches, three generations" "$(gen "$DB")" $((g0 + 3))
check_eq "applied files are in done/" "$(ls "$IN/done" | tr '\n' ' ')" "001.csv 002.jsonl 003.csv "
check_eq "the bad file is in failed/ with its .err" "$(ls "$IN/failed" | tr '\n' ' ')" "004-bad.csv 004-bad.csv.err "
ERR=$(cat "$IN/failed/004-bad.csv.err")
check_contains ".err: says nothing was applied" "$ERR" "not applied"
check_contains ".err: the unknown item with line and column" "$ERR" "004-bad.csv:2:sku: unknown item NOPE"
check_contains ".err: the negative price with line and column" "$ERR" "004-bad.csv:3:price: \"-1\" is negative"
check_eq "left alone: .tmp, .part, dot-file, other names, directories" \
    "$(ls -A "$IN" | grep -v -e '^done$' -e '^failed$' -e '^\.pricelane-watch\.lock$' | tr '\n' ' ')" \
    ".006.csv 005.csv.tmp 007.part 008.csv README.txt "

# Restart: nothing new, nothing re-applied.
run "$LOAD" watch --db "$DB" --once "$IN"
check_eq "restart with nothing new: exit 0" "$RC" 0
check_eq "restart with nothing new: generation unchanged" "$(gen "$DB")" $((g0 + 3))

# A stop between commit and move leaves an applied file in the inbox: the
# next run sees it as already applied and moves it on, applying nothing.
cp "$IN/done/001.csv" "$IN/001.csv"
run "$LOAD" watch --db "$DB" --once "$IN"
check_eq "applied file still in the inbox: exit 0" "$RC" 0
check_contains "applied file still in the inbox: already applied" "$OUT" "001.csv: batch 001 already applied"
check_eq "applied file still in the inbox: generation unchanged" "$(gen "$DB")" $((g0 + 3))
check_eq "applied file still in the inbox: price unchanged" "$(price_of A1)" 103
check_eq "applied file still in the inbox: moved beside the first copy" "$(ls "$IN/done" | tr '\n' ' ')" \
    "001.csv 001.csv.1 002.jsonl 003.csv "

# The writer finishes 005: renamed into place, it is picked up.
mv "$IN/005.csv.tmp" "$IN/005.csv"
run "$LOAD" watch --db "$DB" --once "$IN"
check_eq "renamed into place: applied" "$(price_of A1)" 999
run "$LOAD" watch --db "$DB" --once "$IN"
check_eq "twice --once: generation once more only" "$(gen "$DB")" $((g0 + 4))

# The same batch id with other content under a new name: refused into failed/.
drop 009.csv $'op,batch,sku,price\nprice,001,A1,5.00\n'
run "$LOAD" watch --db "$DB" --once "$IN"
check_eq "same id, other content: exit 1" "$RC" 1
check_contains "same id, other content: its .err says why" "$(cat "$IN/failed/009.csv.err")" "other content"

# ---- the daemon: file events, SIGTERM -----------------------------------------
start_watcher --db "$DB" --rescan 3600 "$IN"
check_contains "daemon: ready line" "$line" "watching $IN"

run "$LOAD" watch --db "$DB" --once "$IN"
check_eq "second watcher on the same inbox: exit 1" "$RC" 1
check_contains "second watcher: says why" "$OUT" "another watcher is running"

drop 010.csv $'op,sku,price\nprice,A2,4.44\n'
line=""
# A file renamed in this second is first left to settle (--settle, 1 s).
while read -r -t 20 -u "$WFD" line && [[ "$line" == *"until it has not changed"* ]]; do :; done
check_contains "daemon: a file renamed in is applied on its file event (rescan is an hour)" "$line" "010.csv: applied batch 010"
check_eq "daemon: its price is in force" "$(price_of A2)" 444
check_eq "daemon: moved to done/" "$(ls "$IN/done" | grep -c '^010.csv$')" 1

# SIGTERM right after a large file arrives: the watcher finishes the file it
# is applying (or has not started it) and exits 0; the file is never half
# applied: in done/ with its batch committed, or still in the inbox without.
gen_batch "$T/big.csv" 50000 4000
cp "$T/big.csv" "$IN/.011.csv"
mv "$IN/.011.csv" "$IN/011.csv"
stop_watcher
check_eq "SIGTERM: exit 0" "$WRC" 0
rest=$(cat <&"$WFD" || true)
exec {WFD}<&-
check_contains "SIGTERM: says stopped" "$rest" "stopped"
if [ -f "$IN/done/011.csv" ]; then
    check_eq "SIGTERM: 011 in done/ and its last item answers" \
        "$(field "$(answer "$DB" N53999)" status)" ok
else
    check_eq "SIGTERM: 011 still in the inbox and none of it applied" \
        "$([ -f "$IN/011.csv" ] && field "$(answer "$DB" N50000)" status)" not_found
    run "$LOAD" watch --db "$DB" --once "$IN"
    check_eq "SIGTERM: the next run applies 011" "$(field "$(answer "$DB" N53999)" status)" ok
fi
run "$LOAD" verify --db "$DB"
check_eq "verify after watching: exit 0" "$RC" 0

run "$LOAD" watch --db "$DB" --once "$T/no-such-inbox"
check_eq "missing inbox: exit 1" "$RC" 1
run "$LOAD" watch --db "$DB"
check_eq "no inbox: usage error" "$RC" 2
finish
