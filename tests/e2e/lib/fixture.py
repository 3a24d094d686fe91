#!/usr/bin/env python3
"""Test fixtures whose instants are relative to an anchor.

A template writes each instant as a day relative to the anchor's date in the
catalogue's UTC offset (+08:00 unless --offset says otherwise):

    {D}          the anchor's date                 2026-11-30
    {D+1 08:00}  one day later at 08:00            2026-12-01 08:00
    {D-340}      340 days earlier                  2025-12-25

The anchor is the run's clock unless --anchor gives one (@EPOCH, or
YYYY-MM-DD for 12:00 that day in the offset), so a test that needs fixed
instants says so explicitly and every other test follows the clock, also
under a faked clock.

usage:
    fixture.py [--anchor A] [--offset +HH:MM] TEMPLATE     expanded file to stdout
    fixture.py [--anchor A] [--offset +HH:MM] --at TOKEN   one instant, RFC 3339
    fixture.py [--anchor A] [--offset +HH:MM] --epoch TOKEN  one instant, Unix time
A TOKEN is what stands between the braces ("D+1 08:00").
"""
import datetime
import re
import sys

from wallclock import wall

TOKEN = re.compile(r"\{D(?:([+-])(\d+))?(?: (\d\d):(\d\d)(?::(\d\d))?)?\}")


def parse_offset(s):
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", s)
    if not m:
        sys.exit("fixture.py: offset %r: expected +HH:MM" % s)
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return datetime.timezone(datetime.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def anchor_date(anchor, tz):
    if anchor is None:
        anchor = "@%d" % int(wall())
    if anchor.startswith("@"):
        return datetime.datetime.fromtimestamp(int(anchor[1:]), tz).date()
    try:
        return datetime.date.fromisoformat(anchor)
    except ValueError:
        sys.exit("fixture.py: anchor %r: expected @EPOCH or YYYY-MM-DD" % anchor)


def instant(m, day, tz):
    n = int(m.group(2) or 0) * (-1 if m.group(1) == "-" else 1)
    d = day + datetime.timedelta(days=n)
    hh, mm, ss = int(m.group(3) or 0), int(m.group(4) or 0), int(m.group(5) or 0)
    return datetime.datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=tz), m.group(3) is not None


def main(argv):
    anchor, tz, mode = None, parse_offset("+08:00"), None
    args = list(argv)
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--anchor":
            anchor = args.pop(0)
        elif opt == "--offset":
            tz = parse_offset(args.pop(0))
        elif opt in ("--at", "--epoch"):
            mode = opt
        else:
            sys.exit("fixture.py: unknown option %s" % opt)
    if len(args) != 1:
        sys.exit(__doc__)
    day = anchor_date(anchor, tz)
    if mode:
        m = TOKEN.fullmatch("{%s}" % args[0])
        if not m:
            sys.exit("fixture.py: %r is not a token such as 'D+1 08:00'" % args[0])
        t, _ = instant(m, day, tz)
        print(t.isoformat() if mode == "--at" else int(t.timestamp()))
        return

    def expand(m):
        t, timed = instant(m, day, tz)
        return t.strftime("%Y-%m-%d %H:%M") if timed else t.strftime("%Y-%m-%d")

    with open(args[0], encoding="utf-8") as f:
        sys.stdout.write(TOKEN.sub(expand, f.read()))


if __name__ == "__main__":
    main(sys.argv[1:])
