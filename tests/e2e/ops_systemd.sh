#!/usr/bin/env bash
# The systemd units of ops/systemd/: systemd-analyze verify passes on each
# (their programs pointed at this build, the one thing verify needs on the
# host); the system-call filter they share lets io_uring through; and the
# server speaks the readiness protocol of Type=notify: READY=1 with its ready
# line, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM, to a
# real AF_UNIX datagram socket named by NOTIFY_SOCKET.
source "$(dirname "$0")/lib/common.bash"
command -v systemd-analyze >/dev/null || { echo "skip: systemd-analyze missing"; exit 77; }

mkdir "$T/units"
for u in pricelaned.service pricelane-watch.service pricelane-follow@.service; do
    sed "s#/usr/bin/#$BIN/#g" "$SRC/ops/systemd/$u" >"$T/units/$u"
    if systemd-analyze verify --man=no "$T/units/$u" >"$T/verify.err" 2>&1; then ok "systemd-analyze verify $u"
    else bad "systemd-analyze verify $u: $(tr '\n' ' ' <"$T/verify.err")"; fi
done

# Every unit's filter, expanded (groups within groups), keeps io_uring.
expand() { # a set name or a call → the calls, one a line
    local x
    systemd-analyze syscall-filter "$1" 2>/dev/null | sed -n 's/^    \([@a-z0-9_]*\)$/\1/p' | while read -r x; do
        if [ "${x#@}" != "$x" ]; then expand "$x"; else echo "$x"; fi
    done
}
for u in pricelaned.service pricelane-watch.service pricelane-follow@.service; do
    allow=$(sed -n 's/^SystemCallFilter=\([^~].*\)$/\1/p' "$SRC/ops/systemd/$u")
    deny=$(sed -n 's/^SystemCallFilter=~\(.*\)$/\1/p' "$SRC/ops/systemd/$u")
    calls=$(for s in $allow; do expand "$s"; done | sort -u)
    denied=$(for s in $deny; do expand "$s"; done | sort -u)
    for c in io_uring_setup io_uring_enter io_uring_register; do
        if grep -qx "$c" <<<"$calls" && ! grep -qx "$c" <<<"$denied"; then ok "$u allows $c"
        else bad "$u: $c not allowed by SystemCallFilter ($allow ~$deny)"; fi
    done
done
grep -q '^Type=notify$' "$SRC/ops/systemd/pricelaned.service" && ok "pricelaned.service is Type=notify" ||
    bad "pricelaned.service is not Type=notify"

# The readiness protocol, received by a real socket.
make_catalogue
printf 'threads = 1\n' >"$T/live.conf"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(60) # bounded: ends after a minute without a note
s.bind(sys.argv[1])
open(sys.argv[1] + ".bound", "w").close()
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
' "$T/notify" "$T/notes" >/dev/null 2>"$T/notify.err" &
PL_PIDS+=($!)
wait_until 10 test -e "$T/notify.bound" || { echo "notification socket not bound"; exit 1; }
notes() { tr '\n' ' ' <"$T/notes" | sed 's/ $//'; }
for engine in $ENGINES; do
    : >"$T/notes"
    rc=0; PL_WRAP="env NOTIFY_SOCKET=$T/notify" start_server n "$engine" --config "$T/live.conf" || rc=$?
    [ $rc = 77 ] && { echo "skip $engine: not usable on this host"; continue; }
    [ $rc = 0 ] || exit 1
    wait_until 10 grep -q READY=1 "$T/notes" || true
    check_eq "$engine READY=1 with the ready line" "$(notes)" "READY=1"
    kill -HUP "$SPID"
    wait_until 10 test "$(grep -c READY=1 "$T/notes")" = 2 || true
    check_eq "$engine SIGHUP: RELOADING=1 then READY=1" "$(notes)" "READY=1 RELOADING=1 READY=1"
    stop_server n "$SPID"
    wait_until 10 grep -q STOPPING=1 "$T/notes" || true
    check_eq "$engine SIGTERM: STOPPING=1, exit 0" "$(notes)/$STOP_RC" "READY=1 RELOADING=1 READY=1 STOPPING=1/0"
done
finish
