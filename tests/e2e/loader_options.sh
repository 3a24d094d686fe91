#!/usr/bin/env bash
# The loader's numbers on the command line (report --top, watch --rescan and
# --settle, prune --keep-days, follow --skip, labels ack/printed/placed JOB,
# init --map-size) go through one parser: each refuses an empty value, a
# negative one, trailing junk, a number past 64 bits and one out of its range
# with exit 2 and one line naming the command, the option, the value as given
# and why, with the range it accepts; and nothing is written: the catalogue's
# records, the inbox, the standard output and the directory init was given
# stay as they were. The edges of each range are accepted.
source "$(dirname "$0")/lib/loader.bash"
have_mdb_dump || { echo "mdb_dump missing (lmdb-utils)"; exit 1; }

DB=$T/db
base_catalogue "$DB"
IN=$T/inbox
mkdir "$IN"
printf 'op,sku,price\nprice,A1,3.50\n' >"$IN/001.csv"
dump "$DB" "$T/before.dump"
ls -R "$IN" >"$T/before.inbox"
HUGE=99999999999999999999999 # past 2^64

# refuse WHAT RANGE VALUE WHY CMD...: CMD (VALUE in it) exits 2, prints
# nothing on stdout and exactly the message for WHY (empty, negative, junk or
# range) on stderr, naming the command $LABEL and the option $OPT.
refuse() {
    local what=$1 range=$2 value=$3 why=$4
    shift 4
    local rc=0 out err msg
    out=$("$@" 2>"$T/err") || rc=$?
    err=$(cat "$T/err")
    case $why in
    empty) msg="'$value' is empty: expected $what ($range)" ;;
    negative) msg="'$value' is negative: expected $what ($range)" ;;
    junk) msg="'$value' is not $what ($range)" ;;
    range) msg="'$value' is out of range: expected $what ($range)" ;;
    esac
    check_eq "$LABEL $OPT '$value' ($why): exit 2" "$rc" 2
    check_eq "$LABEL $OPT '$value' ($why): the message" "$err" "pricelane-load $LABEL: $OPT: $msg"
    check_eq "$LABEL $OPT '$value' ($why): nothing on stdout" "$out" ""
}

unchanged() { # WHAT
    dump "$DB" "$T/after.dump"
    check_files_same "$1: every record unchanged" "$T/before.dump" "$T/after.dump"
    ls -R "$IN" >"$T/after.inbox"
    check_files_same "$1: the inbox unchanged (no done/, no failed/)" "$T/before.inbox" "$T/after.inbox"
}

# each WHY VALUE...: refuse each value, on the command line that cmdline VALUE
# puts in ARGS (the option's own), with $WHAT and $RANGE.
each() {
    local why=$1 v
    shift
    for v in "$@"; do
        cmdline "$v"
        refuse "$WHAT" "$RANGE" "$v" "$why" "${ARGS[@]}"
    done
}
bad_values() { # OUT-OF-RANGE VALUE...
    each empty ""
    each negative -5 -0001
    each junk 5x " 5" 5.0 +5 0x10 -0 -
    each range "$HUGE" "$@"
}

# ---- report --top -----------------------------------------------------------------
LABEL=report OPT=--top WHAT="a whole number of items per store" RANGE="0 to 100000"
cmdline() { ARGS=("$LOAD" report --db "$DB" --date 2026-03-02 --now "$NOW3" --top "$1"); }
bad_values 100001
unchanged "report --top"

# ---- watch --rescan, --settle -------------------------------------------------------
LABEL=watch OPT=--rescan WHAT="a whole number of seconds" RANGE="1 to 86400"
cmdline() { ARGS=("$LOAD" watch --db "$DB" --once --rescan "$1" "$IN"); }
bad_values 0 86401
OPT=--settle RANGE="0 to 3600"
cmdline() { ARGS=("$LOAD" watch --db "$DB" --once --settle "$1" "$IN"); }
bad_values 3601
unchanged "watch --rescan and --settle"

# ---- prune --keep-days --------------------------------------------------------------
LABEL=prune OPT=--keep-days WHAT="a whole number of days"
RANGE="7 to 36500: low_7d and prev_price look 7 days back"
cmdline() { ARGS=("$LOAD" prune --db "$DB" --now "$NOW3" --keep-days "$1"); }
bad_values 6 36501
unchanged "prune --keep-days"

# ---- follow --skip ---------------------------------------------------------------------
LABEL=follow OPT=--skip WHAT="a stream sequence number" RANGE="from 1"
cmdline() { ARGS=("$LOAD" follow --db "$DB" --nats nats://127.0.0.1:1 --zone Z1 --skip "$1"); }
bad_values 0
unchanged "follow --skip"

# ---- labels ack / printed / placed JOB... ---------------------------------------------
OPT=JOB WHAT="a job id (the number in the ID column of labels list)" RANGE="from 1"
for sub in ack printed placed; do
    LABEL="labels $sub"
    cmdline() { ARGS=("$LOAD" labels "$sub" --db "$DB" --now "$NOW1" -- 1 "$1"); }
    bad_values 0
done
unchanged "labels JOB"

# ---- init --map-size ---------------------------------------------------------------------
LABEL=init OPT=--map-size WHAT="a size in bytes with an optional K, M or G suffix"
RANGE="64K to 1024G"
cmdline() { ARGS=("$LOAD" init --db "$T/new" --map-size "$1"); }
bad_values 1K 65535 2048G 1099511627777
each negative -64K
each junk K 64KK 64T 64k5 "64 K"
[ -e "$T/new" ] && bad "init --map-size: $T/new was created" || ok "init --map-size: no catalogue created"

# ---- the edges of each range are taken -----------------------------------------------------
# (no pricelaned wrote a report store here: report goes on to say so)
for v in 0 100000; do
    run "$LOAD" report --db "$DB" --date 2026-03-02 --now "$NOW3" --top "$v" --format csv
    check_contains "report --top $v: accepted (on to the report store)" "$OUT" "no report store there"
done
mkdir "$T/empty"
run "$LOAD" watch --db "$DB" --once --rescan 86400 --settle 3600 "$T/empty"
check_eq "watch --rescan 86400 --settle 3600: accepted" "$RC" 0
run "$LOAD" watch --db "$DB" --once --rescan 1 --settle 0 "$T/empty"
check_eq "watch --rescan 1 --settle 0: accepted" "$RC" 0
run "$LOAD" init --db "$T/new" --map-size 64K
check_eq "init --map-size 64K: accepted" "$RC" 0
run "$LOAD" init --db "$T/new2" --map-size 0000000000000000000000065536
check_eq "init --map-size with leading zeros: accepted" "$RC" 0
run "$LOAD" prune --db "$DB" --now "$NOW3" --keep-days 36500
check_eq "prune --keep-days 36500: accepted" "$RC" 0
finish
