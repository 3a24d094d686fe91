#!/usr/bin/env bash
# The Debian package, as an operator receives it: cpack -G DEB from the
# build directory into a scratch directory, then dpkg-deb --info and
# --contents and dpkg -x into a scratch root. Checks the four programs (and
# that they run from there), the man pages (each parses and names its
# program), the configuration file as a conffile, the state directory, the
# maintainer scripts (the pricelane user and group, /var/lib/pricelane
# owned by them), the shared-library dependencies and the three units
# (systemd-analyze verify: tests/e2e/ops_systemd.sh).
source "$(dirname "$0")/lib/common.bash"
BUILD=${PL_BUILD_DIR:?}
for tool in cpack dpkg-deb dpkg lexgrog; do
    command -v "$tool" >/dev/null || { echo "skip: $tool missing"; exit 77; }
done

cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$T/pkg" >"$T/cpack.err" 2>&1 || {
    cat "$T/cpack.err"
    exit 1
}
DEB=$(ls "$T"/pkg/pricelane_*.deb)
check_match "cpack made one package" "$DEB" '/pricelane_[0-9.]+_[a-z0-9]+\.deb$'

info=$(dpkg-deb --info "$DEB")
check_eq "package name" "$(dpkg-deb --field "$DEB" Package)" pricelane
deps=$(dpkg-deb --field "$DEB" Depends)
for lib in adduser libc6 liblmdb0 liburing2 libuv1 libjansson4 libinih1 libcsv3 libxxhash0 libhttp-parser2.9; do
    check_match "Depends names $lib" "$deps" "(^|, )$lib( |,|$)"
done
for s in conffiles postinst prerm postrm; do
    check_match "control archive holds $s" "$info" " $s( |$)"
done

mkdir "$T/ctl" "$T/root"
dpkg-deb --control "$DEB" "$T/ctl"
check_eq "conffiles" "$(cat "$T/ctl/conffiles")" /etc/pricelane/pricelaned.conf
for s in postinst prerm postrm; do
    if sh -n "$T/ctl/$s" && [ -x "$T/ctl/$s" ]; then ok "$s is an executable shell script"
    else bad "$s: not executable or not valid sh"; fi
done
check_match "postinst creates the pricelane system group" "$(cat "$T/ctl/postinst")" 'addgroup --system[^\n]* pricelane'
check_match "postinst creates the pricelane system user in that group" \
    "$(tr -d '\\\n' <"$T/ctl/postinst")" 'adduser --system [^;]*--ingroup pricelane [^;]* pricelane +fi'
check_match "postinst gives /var/lib/pricelane to pricelane" "$(cat "$T/ctl/postinst")" \
    'chown pricelane:pricelane /var/lib/pricelane'

dpkg-deb --contents "$DEB" >"$T/contents"
dpkg -x "$DEB" "$T/root"
R=$T/root
for p in pricelaned pricelane-load pricelane pricelane-bench; do
    if [ -x "$R/usr/bin/$p" ]; then ok "/usr/bin/$p"; else bad "/usr/bin/$p missing"; fi
    page=$R/usr/share/man/man1/$p.1.gz
    check_match "man page of $p parses" "$(lexgrog "$page" 2>&1)" ": \"$p - [a-z]"
done
check_eq "the packaged server runs" "$("$R/usr/bin/pricelaned" --version)" "$("$BIN/pricelaned" --version)"
zcat "$R/usr/share/man/man1/pricelane-load.1.gz" >"$T/load.1"
check_eq "pricelane-load's page has a section per command" \
    "$(grep -c -E '^\.SS (init|import|apply|labels|history|verify|watch|backup|restore|prune|migrate)$' "$T/load.1")" 11
zcat "$R/usr/share/man/man1/pricelaned.1.gz" >"$T/d.1"
check_eq "pricelaned's page has the help's sections" \
    "$(grep -c -E '^\.SH (NAME|SYNOPSIS|DESCRIPTION|OPTIONS|SIGNALS|ENVIRONMENT|EXIT STATUS)$' "$T/d.1")" 7
if cmp -s "$R/etc/pricelane/pricelaned.conf" "$SRC/ops/pricelaned.conf"; then ok "/etc/pricelane/pricelaned.conf is ops/pricelaned.conf"
else bad "/etc/pricelane/pricelaned.conf differs from ops/pricelaned.conf"; fi
check_match "/var/lib/pricelane is in the package" "$(cat "$T/contents")" ' \./var/lib/pricelane/'
for u in pricelaned.service pricelane-watch.service pricelane-follow@.service; do
    if cmp -s "$R/usr/lib/systemd/system/$u" "$SRC/ops/systemd/$u"; then ok "unit $u"
    else bad "unit $u missing or not ops/systemd/$u"; fi
done
finish
