#!/usr/bin/env bash
# I/O errors under the loader, injected by an LD_PRELOAD shim
# (tests/fault/failio.c) that fails the Nth write, pwrite, writev, fsync,
# fdatasync or msync on the catalogue's files with EIO or ENOSPC. Every
# such call of an apply (page writes, the data sync, the meta page write)
# is failed in turn, then all of them from the first on (a disk that went
# bad); likewise for an import and a label ack. Each time: exit 1 with the
# error's text, the catalogue byte for byte as before (mdb_dump) with the
# same lookups, history and label queue, verify clean; with the fault gone
# the same batch applies exactly once (one generation; again is "already
# applied") and ends equal to a catalogue that never saw a fault. The watch
# daemon, hit by a failed meta-page write, keeps the file in its inbox and
# applies it at the next scan.
#
# Not under AddressSanitizer: the shim would have to be loaded before the
# sanitizer runtime, which refuses that (see docs/reliability.md).
source "$(dirname "$0")/lib/loader.bash"
case "$(sed -n 's/^PL_SANITIZE:[A-Z]*=//p' "$BIN/CMakeCache.txt" 2>/dev/null)" in
*address* | *thread*)
    echo "skip: LD_PRELOAD shim and a sanitizer runtime cannot both come first"
    exit 77
    ;;
esac
have_mdb_dump || {
    echo "mdb_dump (lmdb-utils) not installed: skipped"
    exit 77
}
SHIM="$BIN/libpl_failio.so"
[ -f "$SHIM" ] || { echo "$SHIM missing"; exit 1; }
MAXROUNDS=${PL_IO_ROUNDS:-40}

# faulty N ERRNO CMD...: runs CMD with the Nth catalogue write call failing
# (N=0: none fails, the calls are only counted and traced). RC, OUT as run;
# FAULT: the shim's log.
faulty() {
    local n=$1 err=$2
    shift 2
    rm -f "$T/fail.log"
    RC=0
    OUT=$(LD_PRELOAD="$SHIM" PL_FAIL_PATH="$W/" PL_FAIL_NTH="$n" PL_FAIL_ERRNO="$err" \
        PL_FAIL_TIMES="${TIMES:-1}" PL_FAIL_TRACE=1 PL_FAIL_LOG="$T/fail.log" "$@" 2>&1) || RC=$?
    FAULT=$(cat "$T/fail.log" 2>/dev/null || true)
}
errtext() { [ "$1" = ENOSPC ] && echo "No space left on device" || echo "Input/output error"; }
# rounds K: which of the K calls to fail (all when K <= MAXROUNDS).
rounds() {
    python3 -c 'import sys
k, m = int(sys.argv[1]), int(sys.argv[2])
pick = set(range(1, k + 1)) if k <= m else set(range(1, 11)) | set(range(k - 9, k + 1)) | set(range(1, k + 1, max(1, k // (m - 20))))
print(" ".join(map(str, sorted(pick))))' "$1" "$MAXROUNDS"
}
mdbg() { mdb_stat -e "$1" >/dev/null; }

# ---- the batch: new items with barcodes, price changes (label jobs) ------
base_csv >"$T/base.csv"
gen_batch "$T/b.csv" 5000 300
printf 'price,A1,,,3.20,\nprice,A4,,,55.00,\nitem,A2,,雪碧 2L 新装,,\n' >>"$T/b.csv"
base_catalogue "$T/base"
dump "$T/base" "$T/base.dump"
snapshot "$T/base" "$T/base.snap" N5000 N5299
cp -a "$T/base" "$T/clean"
"$LOAD" apply --db "$T/clean" --quiet --now "$NOW1" "$T/b.csv"
dump "$T/clean" "$T/after.dump"
snapshot "$T/clean" "$T/after.snap" N5000 N5299
g0=$(gen "$T/base")

W=$T/w
rm -rf "$W"; cp -a "$T/base" "$W"
faulty 0 EIO "$LOAD" apply --db "$W" --now "$NOW1" "$T/b.csv"
K=$(sed -n 's/^calls //p' <<<"$FAULT")
echo "     an apply makes $K write calls on the catalogue: $(grep '^call' <<<"$FAULT" | awk '{ print $3 }' | tr '\n' ' ')"
check_eq "the shim counts the apply's writes" "$([ "${K:-0}" -ge 3 ] && echo yes)" yes

# after_fault DESC ERRNO: the checks after a failed apply, then recovery.
after_fault() {
    local desc=$1 err=$2 problems=""
    [ "$RC" = 1 ] || problems+=" exit $RC, want 1;"
    [[ "$OUT" == *"$(errtext "$err")"* && "$OUT" == *"nothing of it was applied"* ]] ||
        problems+=" message: $(head -2 <<<"$OUT" | tr '\n' ' ');"
    [[ "$FAULT" == *"fail "* ]] || problems+=" the fault was not injected;"
    dump "$W" "$T/w.dump"
    cmp -s "$T/w.dump" "$T/base.dump" || problems+=" the catalogue changed (mdb_dump);"
    "$LOAD" verify --db "$W" >"$T/verify.out" 2>&1 || problems+=" verify: $(head -2 "$T/verify.out" | tr '\n' ' ');"
    run "$LOAD" apply --db "$W" --now "$NOW1" "$T/b.csv"
    [ "$RC" = 0 ] && [[ "$OUT" == *"applied batch b:"* ]] || problems+=" re-apply: exit $RC: $OUT;"
    run "$LOAD" apply --db "$W" --now "$NOW1" "$T/b.csv"
    [[ "$OUT" == *"already applied"* ]] || problems+=" third apply: $OUT;"
    [ "$(gen "$W")" = $((g0 + 1)) ] || problems+=" generation $(gen "$W"), want $((g0 + 1));"
    dump "$W" "$T/w.dump"
    cmp -s "$T/w.dump" "$T/after.dump" || problems+=" not equal to the fault-free apply;"
    if [ -z "$problems" ]; then ok "$desc: exit 1 ($(errtext "$err")), unchanged, verify ok; then applied once"
    else bad "$desc:$problems"; fi
}

for n in $(rounds "$K"); do
    err=$([ $((n % 2)) = 1 ] && echo EIO || echo ENOSPC)
    rm -rf "$W"; cp -a "$T/base" "$W"
    faulty "$n" "$err" "$LOAD" apply --db "$W" --now "$NOW1" "$T/b.csv"
    what=$(sed -n 's/^fail [0-9]* \([a-z]*\) .*/\1/p' <<<"$FAULT" | head -1)
    after_fault "apply, call $n of $K ($what) fails with $err" "$err"
done

# A disk gone bad: every write from the first on fails.
rm -rf "$W"; cp -a "$T/base" "$W"
TIMES=0 faulty 1 ENOSPC "$LOAD" apply --db "$W" --now "$NOW1" "$T/b.csv"
after_fault "apply, every write call fails with ENOSPC" ENOSPC

# Lookups, history and labels after one failed and one good apply equal the
# fault-free catalogue's (the dump comparison above already says so; this
# is what lanes and label clerks see).
rm -rf "$W"; cp -a "$T/base" "$W"
faulty 2 EIO "$LOAD" apply --db "$W" --now "$NOW1" "$T/b.csv"
snapshot "$W" "$T/w.snap" N5000 N5299
check_files_same "after a failed apply: lookups, history and labels as before" "$T/w.snap" "$T/base.snap"
"$LOAD" apply --db "$W" --quiet --now "$NOW1" "$T/b.csv"
snapshot "$W" "$T/w.snap" N5000 N5299
check_files_same "after the re-apply: as the fault-free catalogue" "$T/w.snap" "$T/after.snap"

# ---- import into a new catalogue ------------------------------------------
gen_batch "$T/imp.csv" 7000 400
mkimport() { # DIR: initialized, empty
    rm -rf "$1"
    "$LOAD" init --db "$1" >/dev/null
}
mkimport "$T/iclean"
"$LOAD" import --db "$T/iclean" --quiet --now "$NOW0" "$T/base.csv" "$T/imp.csv"
dump "$T/iclean" "$T/iafter.dump"
W=$T/wi
mkimport "$W"
dump "$W" "$T/iempty.dump"
faulty 0 EIO "$LOAD" import --db "$W" --now "$NOW0" "$T/base.csv" "$T/imp.csv"
KI=$(sed -n 's/^calls //p' <<<"$FAULT")
echo "     an import makes $KI write calls on the catalogue"
strip_id() { awk 'skip { skip = 0; next } $1 == "636174616c6f675f6964" { skip = 1; next } 1' "$1"; }
strip_id "$T/iafter.dump" >"$T/iafter.noid"
ifail=0
for n in $(rounds "$KI"); do
    err=$([ $((n % 2)) = 1 ] && echo ENOSPC || echo EIO)
    mkimport "$W"
    dump "$W" "$T/iempty.dump"
    faulty "$n" "$err" "$LOAD" import --db "$W" --now "$NOW0" "$T/base.csv" "$T/imp.csv"
    problems=""
    [ "$RC" = 1 ] && [[ "$OUT" == *"$(errtext "$err")"* ]] || problems+=" exit $RC: $(head -2 <<<"$OUT" | tr '\n' ' ');"
    dump "$W" "$T/w.dump"
    cmp -s "$T/w.dump" "$T/iempty.dump" || problems+=" the catalogue changed;"
    "$LOAD" verify --db "$W" >/dev/null 2>&1 || problems+=" verify failed;"
    run "$LOAD" import --db "$W" --now "$NOW0" "$T/base.csv" "$T/imp.csv"
    [ "$RC" = 0 ] || problems+=" re-import exit $RC: $OUT;"
    dump "$W" "$T/w.dump"
    strip_id "$T/w.dump" | cmp -s - "$T/iafter.noid" || problems+=" not equal to a fault-free import;"
    if [ -n "$problems" ]; then
        ifail=$((ifail + 1))
        bad "import, call $n of $KI fails with $err:$problems"
    fi
done
check_eq "import: each failed write call: exit 1, catalogue still empty, verify ok, re-import complete" \
    "$ifail failed" "0 failed"

# ---- label ack ------------------------------------------------------------
W=$T/wa
rm -rf "$W"; cp -a "$T/clean" "$W"
labels_before=$("$LOAD" labels list --db "$W" --all)
dump "$W" "$T/ack0.dump"
faulty 0 EIO "$LOAD" labels ack --db "$W" --now "$NOW2" --batch b
KA=$(sed -n 's/^calls //p' <<<"$FAULT")
check_eq "a label ack writes (fault-free count run): exit 0" "$RC" 0
afail=0
for n in $(rounds "$KA"); do
    rm -rf "$W"; cp -a "$T/clean" "$W"
    faulty "$n" EIO "$LOAD" labels ack --db "$W" --now "$NOW2" --batch b
    problems=""
    [ "$RC" = 1 ] && [[ "$OUT" == *"Input/output error"* ]] || problems+=" exit $RC: $(head -2 <<<"$OUT" | tr '\n' ' ');"
    dump "$W" "$T/w.dump"
    cmp -s "$T/w.dump" "$T/ack0.dump" || problems+=" the catalogue changed;"
    [ "$("$LOAD" labels list --db "$W" --all)" = "$labels_before" ] || problems+=" the label queue changed;"
    run "$LOAD" labels ack --db "$W" --now "$NOW2" --batch b
    [ "$RC" = 0 ] || problems+=" re-ack exit $RC: $OUT;"
    [ "$(gen "$W")" = $((g0 + 2)) ] || problems+=" generation $(gen "$W"), want $((g0 + 2));"
    if [ -n "$problems" ]; then
        afail=$((afail + 1))
        bad "labels ack, call $n of $KA fails:$problems"
    fi
done
check_eq "labels ack ($KA write calls), each failing in turn: exit 1, unchanged; then acked once" \
    "$afail failed" "0 failed"

# ---- the watch daemon: a failed meta-page write, then the next scan -------
W=$T/ww
rm -rf "$W" "$T/inbox"; cp -a "$T/base" "$W"
mkdir "$T/inbox"
cp "$T/b.csv" "$T/inbox/001-b.csv"
LD_PRELOAD="$SHIM" PL_FAIL_PATH="$W/" PL_FAIL_NTH="$K" PL_FAIL_LOG="$T/watch-fail.log" \
    "$LOAD" watch --db "$W" --rescan 1 "$T/inbox" >"$T/watch.out" 2>&1 &
wpid=$!
LOADER_PIDS+=("$wpid")
for _ in $(seq 400); do # at most 20 s: the file reaches done/
    [ -f "$T/inbox/done/001-b.csv" ] && break
    kill -0 "$wpid" 2>/dev/null || break
    sleep 0.05
done
kill -TERM "$wpid" 2>/dev/null || true
wait "$wpid" || true
check_match "watch: the failed meta write was injected" "$(cat "$T/watch-fail.log")" "fail $K pwrite"
check_contains "watch: the file stayed in the inbox after the I/O error" "$(cat "$T/watch.out")" \
    "001-b.csv: not applied: Input/output error; left in the inbox"
check_contains "watch: applied at the next scan" "$(cat "$T/watch.out")" \
    "001-b.csv: applied batch 001-b:"
check_eq "watch: one generation" "$(gen "$W")" $((g0 + 1))
run "$LOAD" verify --db "$W"
check_eq "watch: verify" "$RC" 0
finish
