#!/usr/bin/env python3
"""Runs the examples of the documents and compares what they show.

In docs/*.md (and README.md), two kinds of fenced blocks are examples:

  ```csv file=NAME      (or jsonl file=NAME): the block is written to NAME
                        in the document's scratch directory;
  ```console            lines "$ COMMAND" are run in order (bash, in the
                        scratch directory, binaries of the build on PATH);
                        the lines after a command, up to the next "$ ", are
                        exactly what it prints (stdout and stderr). A line
                        "$ ... # exit N" says the command exits N (else 0).

Every document gets a fresh copy of the sample catalogue (ops/sample/
catalog.csv imported with --now 2026-11-25T09:00:00+08:00) and a pricelaned
serving it on 127.0.0.1, whose clock is fixed by libfaketime at
2026-11-26T12:00:00+08:00, so its answers do not depend on the day the
suite runs. In commands, "/srv/pricelane" is that catalogue, "7070" its
port and "7071" its admin port.

usage: docs_examples.py BUILD_DIR SOURCE_DIR DOC...
Prints each command with ok/FAIL; exits 1 when any differs.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

SERVER_NOW = "2026-11-26 04:00:00"  # UTC: 12:00 at +08:00
IMPORT_NOW = "2026-11-25T09:00:00+08:00"

FENCE = re.compile(r"^```(\S*)(?:\s+file=(\S+))?\s*$")


def blocks(path):
    """(kind, file name or None, lines, first line number) per fenced block."""
    out, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if cur is None:
                m = FENCE.match(line)
                if m:
                    cur = (m.group(1), m.group(2), [], n + 1)
            elif line == "```":
                out.append(cur)
                cur = None
            else:
                cur[2].append(line)
    return out


def start_server(build, db, work):
    """pricelaned on ephemeral ports under a fixed clock; (proc, port, admin)."""
    env = dict(os.environ, FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="UTC")
    # In a sanitizer build libfaketime is loaded before the ASan runtime,
    # which ASan refuses unless told that this is intended.
    env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""),
                                                 "verify_asan_link_order=0"]))
    # libfaketime preloaded into pricelaned itself (the faketime command
    # would run it as its child, and a SIGTERM to the command would leave
    # the server running).
    libs = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not libs:
        sys.exit("libfaketime not found (ops/install-deps installs faketime)")
    env["LD_PRELOAD"] = libs[0]
    env["FAKETIME"] = "@" + SERVER_NOW
    cmd = [os.path.join(build, "pricelaned"), "--db", db,
           "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--threads", "1",
           "--cache-path", os.path.join(work, "cache")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                         text=True)
    line = p.stdout.readline()
    m = re.search(r" tcp=127\.0\.0\.1:(\d+) admin=127\.0\.0\.1:(\d+) ", line)
    if not m:
        p.kill()
        sys.exit("pricelaned did not start: %r" % line)
    return p, m.group(1), m.group(2)


def run_doc(build, src, doc):
    work = tempfile.mkdtemp(prefix="pl-docs-")
    fails = checks = 0
    server = None
    try:
        db = os.path.join(work, "catalogue")
        env = dict(os.environ, PATH=build + ":" + os.environ["PATH"])
        subprocess.run(["pricelane-load", "init", "--db", db], env=env, check=True,
                       capture_output=True)
        subprocess.run(["pricelane-load", "import", "--db", db, "--now", IMPORT_NOW,
                        os.path.join(src, "ops/sample/catalog.csv")], env=env, check=True,
                       capture_output=True)
        port = admin = None
        for kind, name, lines, first in blocks(doc):
            if name:
                with open(os.path.join(work, name), "w", encoding="utf-8") as f:
                    f.write("\n".join(lines) + "\n")
                continue
            if kind != "console":
                continue
            if server is None:
                server, port, admin = start_server(build, db, work)
            i = 0
            while i < len(lines):
                if not lines[i].startswith("$ "):
                    print("FAIL %s:%d: expected a \"$ \" command line" % (doc, first + i))
                    fails += 1
                    i += 1
                    continue
                cmd, lineno = lines[i][2:], first + i
                want_rc = 0
                m = re.search(r"\s+# exit (\d+)$", cmd)
                if m:
                    want_rc, cmd = int(m.group(1)), cmd[:m.start()]
                i += 1
                want = []
                while i < len(lines) and not lines[i].startswith("$ "):
                    want.append(lines[i])
                    i += 1
                run = cmd.replace("/srv/pricelane", db).replace("7070", port).replace("7071", admin)
                r = subprocess.run(["bash", "-c", run], cwd=work, env=env, capture_output=True,
                                   text=True, timeout=60)
                got = (r.stdout + r.stderr).replace(db, "/srv/pricelane").replace(work + "/", "")
                got = got.rstrip("\n").split("\n") if got.strip("\n") else []
                checks += 1
                if got == want and r.returncode == want_rc:
                    print("ok   %s:%d: %s" % (os.path.basename(doc), lineno, cmd))
                else:
                    fails += 1
                    print("FAIL %s:%d: %s (exit %d, want %d)" % (os.path.basename(doc), lineno,
                                                                 cmd, r.returncode, want_rc))
                    for l in want:
                        print("     want| " + l)
                    for l in got:
                        print("     got | " + l)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return checks, fails


def main():
    build, src, docs = sys.argv[1], sys.argv[2], sys.argv[3:]
    checks = fails = 0
    for d in docs:
        c, f = run_doc(build, src, d)
        checks, fails = checks + c, fails + f
    print("docs_examples: %d checks, %d failed" % (checks, fails))
    sys.exit(1 if fails or not checks else 0)


if __name__ == "__main__":
    main()
