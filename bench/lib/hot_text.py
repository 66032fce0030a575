#!/usr/bin/python3
"""The input sections healthproxy runs, as GNU ld patterns for healthproxy/hot_text.ld (bench/hot_text.sh).

  hot_text.py profile CALLGRIND_OUT MAP NM     sections of the functions a callgrind run executed
  hot_text.py faults MAP COLD_START            sections of the page faults (`perf script -F ip,addr` on
                                               stdin) at or past COLD_START (hex: the start of .text)
  hot_text.py write OUT PATTERNS...            the linker script: the patterns (files, in order, each
                                               pattern once) in one output section before .text

MAP is the GNU ld map of the binary (-Wl,-Map), NM its `nm -n --defined-only`. A pattern names an
archive member and section (`*libc.a:malloc.o(.text)`) or, for LTO's output and our objects, the
section alone (`*(.text._ZN...)`): LTO's partitions are temporary files. A function name with several
local definitions (a static inline in a header) gives the sections of all of them.
"""
import bisect
import re
import sys
from collections import defaultdict


def text_sections(map_path):
    """(address, size, section, file) of every non-empty input section of the code's output sections."""
    sections, pending, output = [], None, None
    for line in open(map_path):
        head = re.match(r"^(\S+)", line)  # an output section (or anything else) starts in column 0
        if head:
            output = head.group(1)
        if output not in (".text", ".text.podguard_hot"):  # the latter: a map of a binary linked with a list
            continue
        alone = re.match(r"^ (\.\S+)\s*$", line)  # a long section name: its numbers are on the next line
        if alone:
            pending = alone.group(1)
            continue
        m = re.match(r"^ (\.\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)", line)
        if m:
            name, pending = m.group(1) or pending, None
            address, size = int(m.group(2), 16), int(m.group(3), 16)
            if size and name:
                sections.append((address, size, name, m.group(4)))
    sections.sort()
    return sections


def pattern(section, path):
    member = re.match(r".*/([^/(]+\.a)\(([^)]+)\)$", path)
    if member:
        return f"*{member.group(1)}:{member.group(2)}({section})"
    if ".ltrans" in path:
        # LTO's partitions are temporary files: only a function's own section can be named.
        generic = section in (".text", ".text.startup", ".text.unlikely", ".text.hot", ".text.exit")
        return None if generic else f"*({section})"
    return f"*{path.rsplit('/', 1)[-1]}({section})"


class Sections:
    def __init__(self, map_path):
        self.sections = text_sections(map_path)
        self.starts = [s[0] for s in self.sections]

    def at(self, address):
        i = bisect.bisect_right(self.starts, address) - 1
        if i >= 0:
            start, size, name, path = self.sections[i]
            if start <= address < start + size:
                return pattern(name, path), start
        return None, None


def profile(callgrind_out, map_path, nm_path):
    names = set()
    for line in open(callgrind_out):
        m = re.match(r"^c?fn=\(\d+\) (.+)$", line.rstrip("\n"))
        if m:
            names.add(m.group(1).split("'")[0])  # callgrind marks recursion as name'2
    addresses = defaultdict(list)
    for line in open(nm_path):
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "tTwWiI":
            addresses[parts[2]].append(int(parts[0], 16))
    wanted = set()
    for name in names:
        if name.startswith("0x"):
            wanted.add(int(name, 16))
        else:
            wanted.update(addresses.get(name, ()))
    found = Sections(map_path)
    hot, unplaced = {}, 0
    for address in wanted:
        p, start = found.at(address)
        if p:
            hot.setdefault(p, start)
        else:
            unplaced += 1  # in no .text input section, or in one an LTO partition's functions share
    for p, _ in sorted(hot.items(), key=lambda kv: kv[1]):
        print(p)
    missing = sum(1 for n in names if not n.startswith("0x") and n not in addresses)
    print(f"hot_text: {len(names)} functions ran, {len(hot)} input sections; {missing} names not in nm, "
          f"{unplaced} addresses in no section of their own", file=sys.stderr)


def faults(map_path, cold_start):
    found = Sections(map_path)
    cold = int(cold_start, 16)
    out = {}
    for line in sys.stdin:
        parts = line.split()  # perf script -F ip,addr: the address, then the instruction pointer
        if len(parts) != 2:
            continue
        try:
            address = int(parts[0], 16)  # a fetch, or a read of a table that assembly keeps in .text
        except ValueError:
            continue
        if address < cold:
            continue
        p, _ = found.at(address)
        if p:
            out[p] = True
    for p in out:
        print(p)


def write(out_path, pattern_files):
    patterns = {}
    for f in pattern_files:
        for line in open(f):
            if line.strip():
                patterns[line.strip()] = True
    with open(out_path, "w") as out:
        out.write("/* Generated by bench/hot_text.sh: the code healthproxy runs when it starts, probes the database\n"
                  "   over TLS and serves, placed before the rest of .text (bench/results/gaps.md, idle RSS).\n"
                  "   A pattern that matches nothing is ignored, so a stale list only costs memory. */\n")
        out.write("SECTIONS\n{\n  .text.podguard_hot :\n  {\n")
        for p in patterns:
            out.write(f"    {p}\n")
        out.write("  }\n}\nINSERT BEFORE .text;\n")
    print(f"hot_text: {len(patterns)} patterns in {out_path}", file=sys.stderr)


def main():
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if cmd == "profile" and len(args) == 3:
        run = lambda: profile(*args)
    elif cmd == "faults" and len(args) == 2:
        run = lambda: faults(*args)
    elif cmd == "write" and args:
        run = lambda: write(args[0], args[1:])
    else:
        sys.exit(__doc__)
    try:
        run()
    except (OSError, ValueError) as e:  # an unreadable file, a malformed address
        sys.exit(f"hot_text.py {cmd}: {e}")


if __name__ == "__main__":
    main()
