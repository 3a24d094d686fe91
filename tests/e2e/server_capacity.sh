#!/usr/bin/env bash
# Capacity in /metrics and /healthz: page size, pages used and free, the
# longest free run, the file and its room, reader slots in use and their
# number, the last batch (id, generation, age) — checked against mdb_stat
# and the catalogue itself; batches and a restore leave free pages that the
# metrics show; /healthz says "warning" (still 200) when capacity_warn_mb
# is above the room, "ok" otherwise. io_uring engine (the admin side is the
# same for both).
source "$(dirname "$0")/lib/common.bash"
command -v mdb_stat >/dev/null || { echo "mdb_stat missing (lmdb-utils)"; exit 1; }
make_catalogue
rc=0; start_server s uring --threads 2 || rc=$?
[ $rc = 77 ] && { rc=0; start_server s uv --threads 2 || rc=$?; }
[ $rc = 0 ] || exit 1
m() { metric "$ADMIN" "$1"; }

check_eq "page size = mdb_stat's" "$(m pricelane_catalog_page_bytes)" \
    "$(mdb_stat -e "$T/db" | sed -n 's/^ *Page size: //p')"
check_eq "reader slots = mdb_stat's max readers" "$(m 'pricelane_catalog_readers{state="max"}')" \
    "$(mdb_stat -e "$T/db" | sed -n 's/^ *Max readers: //p')"
check_match "readers in use (the workers' snapshots)" "$(m 'pricelane_catalog_readers{state="used"}')" '^[1-9][0-9]*$'
check_eq "pages used + free = pages written (mdb_stat)" \
    "$(($(m 'pricelane_catalog_pages{state="used"}') + $(m 'pricelane_catalog_pages{state="free"}')))" \
    "$(($(mdb_stat -e "$T/db" | sed -n 's/^ *Number of pages used: //p')))"
check_eq "file size" "$(m pricelane_catalog_file_bytes)" "$(stat -c %s "$T/db/data.mdb")"
check_match "room on the file system" "$(m pricelane_catalog_room_bytes)" '^[1-9][0-9]*$'
body=$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/metrics")
gen=$(field "$("$BIN/pricelane" lookup --db "$T/db" 6901234567892)" gen)
check_match "last batch id and generation" "$body" "pricelane_last_batch_info\\{batch=\"[^\"]*\",generation=\"$gen\"\\} 1"

then=$(($(date +%s) - 86400)) # a day back: the age is known within the test's own run
for p in 1.11 2.22 3.33; do
    printf 'op,sku,price\nprice,100001,%s\n' "$p" >"$T/p$p.csv"
    "$BIN/pricelane-load" apply --quiet --db "$T/db" --now "@$then" "$T/p$p.csv"
done
"$BIN/pricelane-load" backup --db "$T/db" "$T/bak" >/dev/null
"$BIN/pricelane-load" restore --db "$T/db" --now "@$then" "$T/bak" >/dev/null
free=$(m 'pricelane_catalog_pages{state="free"}')
check_match "free pages after batches and a restore ($free)" "$free" '^[1-9][0-9]*$'
run=$(m pricelane_catalog_free_run_pages)
if [ "$run" -ge 1 ] && [ "$run" -le "$free" ]; then ok "longest free run $run within the free pages"
else bad "longest free run $run, free pages $free"; fi
body=$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/metrics")
check_match "the restore is the last batch" "$body" "pricelane_last_batch_info\\{batch=\"restore@$then\""
age=$(m pricelane_last_batch_age_seconds)
if [ "$age" -ge 86400 ] && [ "$age" -le $(($(date +%s) - then)) ]; then ok "age of the last batch: $age s, a day and the test's run"
else bad "age of the last batch $age, want 86400..$(($(date +%s) - then))"; fi
check_match "/healthz ok with room" "$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/healthz")" '^ok generation='
stop_server s "$SPID"

rc=0; start_server w uring --threads 1 --capacity-warn-mb 1048576 || rc=$?
[ $rc = 77 ] && { rc=0; start_server w uv --threads 1 --capacity-warn-mb 1048576 || rc=$?; }
[ $rc = 0 ] || exit 1
room=$(m pricelane_catalog_room_bytes)
h=$(curl -s -w ' %{http_code}' --max-time 5 "http://127.0.0.1:$ADMIN/healthz")
if [ "$room" -lt $((1048576 << 20)) ]; then
    check_match "/healthz warns below capacity_warn_mb (200)" "$h" '^warning catalogue room [0-9]+ MiB, below capacity_warn_mb 1048576 .* 200$'
else
    echo "     more than 1 TiB free: the warning cannot be reached here"
fi
stop_server w "$SPID"
finish
