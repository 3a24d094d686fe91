#!/usr/bin/env python3
"""Writes a program's man page (roff, section 1) from its --help.

usage: manpage.py --prog PATH --version V --summary TEXT OUT

Two kinds of help text are understood:
  - sections (pricelaned): lines in capitals at the left margin (NAME,
    SYNOPSIS, OPTIONS, ...) head sections whose bodies are indented by four
    spaces; each becomes .SH with its body kept line for line;
  - usage (pricelane-load, pricelane, pricelane-bench): "usage: ..." lines
    become SYNOPSIS, the rest DESCRIPTION; a program with commands (a
    "commands:" list) gets a COMMANDS section with each `PROG COMMAND --help`.
Bodies keep the help's own layout (.nf): it is already written as a man
page, and refilling would break its aligned option lists.
"""
import argparse
import os
import re
import subprocess
import sys


def run_help(argv):
    # In a sanitizer build the programs run here at build time: a leak
    # report at exit would fail the build over a help text.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    r = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=30, env=env)
    if r.returncode != 0:
        sys.exit(f"manpage.py: {' '.join(argv)} --help: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def esc(line):
    """One line of text as roff: backslashes doubled, a leading . or ' made literal."""
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def verbatim(lines):
    out = [".nf"]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    out += [esc(l) for l in lines]
    out.append(".fi")
    return out


def sectioned(text):
    out, name, body = [], None, []

    def flush():
        if name is None:
            return
        out.append(f".SH {name}")
        if name == "NAME":
            first = " ".join(l.strip() for l in body if l.strip())
            out.append(esc(first).replace(" - ", " \\- ", 1))
        else:
            out.extend(verbatim([l[4:] if l.startswith("    ") else l for l in body]))

    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][A-Z ]*[A-Z]", line):
            flush()
            name, body = line, []
        else:
            body.append(line)
    flush()
    return out


def usage_style(prog, text, summary):
    base = os.path.basename(prog)
    lines = text.splitlines()
    synopsis = []
    while lines and (lines[0].startswith("usage:") or (synopsis and lines[0].startswith("   "))):
        synopsis.append(lines.pop(0).removeprefix("usage:").strip())
    out = [".SH NAME", esc(base) + " \\- " + esc(summary), ".SH SYNOPSIS"]
    out.extend(verbatim(synopsis))
    out.append(".SH DESCRIPTION")
    out.extend(verbatim(lines))
    cmds, in_list = [], False
    for line in text.splitlines():
        if line.strip() == "commands:":
            in_list = True
        elif in_list and line.startswith("  ") and line.strip():
            cmds.append(line.split()[0])
        elif in_list and not line.strip():
            in_list = False
    if cmds:
        out.append(".SH COMMANDS")
        for c in cmds:
            out.append(f".SS {c}")
            out.extend(verbatim(run_help([prog, c]).splitlines()))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prog", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("out")
    a = ap.parse_args()
    text = run_help([a.prog])
    base = os.path.basename(a.prog)
    head = [f'.TH {base.upper()} 1 "" "pricelane {a.version}" "pricelane manual"']
    body = sectioned(text) if text.startswith("NAME\n") else usage_style(a.prog, text, a.summary)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(head + body) + "\n")


if __name__ == "__main__":
    main()
