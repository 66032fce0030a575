"""bench/heap_pins.py: which blocks keep a healthproxy's heap resident (bench/results/gaps.md, "What pins
the heap after a burst").

    /usr/bin/python3 bench/heap_pins.py PID          a running healthproxy (the static glibc build)

Reads the main arena of glibc's malloc, the process's [heap] mapping, from /proc/PID/mem once every
thread has stopped (SIGSTOP; SIGCONT however the read ends, unless the process was stopped before; root
or the same user with ptrace rights). A thread stopped inside malloc can leave the heap's last chunk
without its header: the read is then retried, up to 5 times 50 ms apart.
Arenas of their own that glibc gives other threads (mmap'd, not [heap]) are not read; with --threads 1
the proxy's blocks are in the main arena.
Walks its chunks (glibc malloc/malloc.c: a chunk's size at offset 8, its low 3 bits flags; a chunk is in
use when the next chunk's PREV_INUSE bit is set) and names each block in use by the size class that
healthproxy's operator new writes in the block's first 4 bytes (healthproxy/thread_cache_new.cpp:
class c holds requests of up to (c + 1) * 16 bytes, from a malloc of (c + 1) * 16 + 16 bytes, so its
chunk is (c + 1) * 16 + 32 bytes; the check of that size keeps most other blocks out of the classes,
but a C malloc of exactly that size whose first 4 bytes read c is counted in class c).
Blocks are then:
  a number     a block of that class: live, or freed into the thread cache (both stay in use to malloc);
  "uncached"   operator new's blocks above 4 KiB (header 0xffffffff);
  "malloc"     anything else in use: C code's malloc (OpenSSL, libpq), and blocks in glibc's own tcache
               and fastbins, whose first bytes glibc overwrites.
A 4 KiB page of the heap is pinned when a block in use overlaps it: malloc_trim can give back only the
pages that no block in use touches. For each kind, the pages only it pins and the pages that would stay
pinned without it.

Where the heap starts: a static binary's start-up takes its thread-local storage from the same program
break before malloc's first chunk, so the walk starts at the offset (in the first 64 KiB, 16-byte
aligned) with PREV_INUSE set (glibc sets it on the first chunk) whose chain of chunks ends exactly at the
end of the mapping with the most chunks: a chain that starts in that storage and falls into the real one
skips real chunks, so it has fewer unless it made up as many of its own. Of equals the earliest is read,
and the others are named ("ambiguous_starts", a warning in the table): the readings then differ by the
few chunks before the chains meet.

Prints a table and a last line "HEAP_PINS {json}" (bytes, pages of 4 KiB, counts). Exits 64 on bad
arguments; 1 when the process cannot be read (gone, no rights, did not stop within 2 s), has no [heap],
or no chain of chunks fits it (a binary that is not glibc's malloc).
"""
import collections
import json
import os
import signal
import struct
import sys
import time

PAGE = 4096
CLASS_BYTES = 16
CLASS_COUNT = 256
UNCACHED = 0xFFFFFFFF
SEARCH_BYTES = 64 * 1024
READ_ATTEMPTS = 5


def thread_states(pid):
    """The state letter of each of pid's threads (/proc/PID/task/TID/stat, after the command's ')')."""
    states = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as stat:
            states.append(stat.read().rsplit(")", 1)[1].split()[0])
    return states


def read_heap(pid, stop_wait_s=2.0):
    """The bytes of pid's [heap] mapping, read once every thread has stopped; None when it has none.
    The process is resumed afterwards unless it was stopped before. Raises OSError."""
    was_stopped = all(s in "Tt" for s in thread_states(pid))
    if not was_stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + stop_wait_s
        while not all(s in "Tt" for s in thread_states(pid)):
            if time.monotonic() > deadline:
                raise OSError(f"process {pid} did not stop within {stop_wait_s} s")
            time.sleep(0.005)
        span = None
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                if line.rstrip().endswith("[heap]"):
                    span = tuple(int(x, 16) for x in line.split()[0].split("-"))
        if span is None:
            return None
        with open(f"/proc/{pid}/mem", "rb") as mem:
            mem.seek(span[0])
            return mem.read(span[1] - span[0])
    finally:
        if not was_stopped:
            os.kill(pid, signal.SIGCONT)


def chunk_size(mem, off):
    return struct.unpack_from("<Q", mem, off + 8)[0] & ~7


def chain_length(mem, start, memo):
    """The number of chunks from start to the end of mem, or -1 when the chain does not end there."""
    path, off, result = [], start, -1
    while True:
        if off in memo:
            result = memo[off]
            break
        if off == len(mem):
            result = 0
            break
        if off + 16 > len(mem):
            break
        size = chunk_size(mem, off)
        if size < 32 or size % 16 or off + size > len(mem):
            break
        path.append(off)
        off += size
    for i, o in enumerate(reversed(path), 1):
        memo[o] = result + i if result >= 0 else -1
    return memo.get(start, result)


def first_chunk(mem):
    """(start, other starts whose chains are as long): None when no chain fits."""
    memo = {}
    best, best_len, ties = None, 0, []
    for start in range(0, min(SEARCH_BYTES, len(mem) - 16), 16):
        if not struct.unpack_from("<Q", mem, start + 8)[0] & 1:
            continue  # glibc keeps PREV_INUSE set on the first chunk (nothing lies before it)
        n = chain_length(mem, start, memo)
        if n > best_len:
            best, best_len, ties = start, n, []
        elif n == best_len and n > 0:
            ties.append(start)
    return None if best is None else (best, ties)


def kind_of(mem, off, size):
    header = struct.unpack_from("<I", mem, off + 16)[0] if off + 20 <= len(mem) else None
    if header is not None and header < CLASS_COUNT and size == (header + 1) * CLASS_BYTES + 32:
        return header
    if header == UNCACHED:
        return "uncached"
    return "malloc"


def analyse(mem):
    """The pins of a heap image (bytes from the [heap] mapping's start); None when no chain fits."""
    found = first_chunk(mem)
    if found is None:
        return None
    start, ties = found
    pins = collections.defaultdict(set)
    blocks, in_use = collections.Counter(), collections.Counter()
    off = start
    while off < len(mem):
        size = chunk_size(mem, off)
        nxt = off + size
        if nxt + 16 <= len(mem) and struct.unpack_from("<Q", mem, nxt + 8)[0] & 1:
            kind = kind_of(mem, off, size)
            blocks[kind] += 1
            in_use[kind] += size
            for page in range(off // PAGE, (nxt - 1) // PAGE + 1):
                pins[page].add(kind)
        off = nxt  # the last chunk, malloc's top, is never in use
    kinds = {}
    for kind, n in blocks.most_common():
        kinds[str(kind)] = {"blocks": n, "bytes": in_use[kind],
                            "pages_only_it_pins": sum(1 for s in pins.values() if s == {kind}),
                            "pages_pinned_without_it": sum(1 for s in pins.values() if s - {kind})}
    return {"heap_bytes": len(mem), "first_chunk": start, "ambiguous_starts": ties, "in_use_bytes": sum(in_use.values()),
            "pages": len(mem) // PAGE, "pinned_pages": len(pins), "kinds": kinds}


def table(r, top=12):
    mib = 1 << 20
    lines = [f"heap {r['heap_bytes'] / mib:.1f} MiB ({r['pages']} pages), in use {r['in_use_bytes'] / mib:.2f} MiB, "
             f"pinned {r['pinned_pages']} pages ({r['pinned_pages'] * PAGE / mib:.1f} MiB)"
             + (f"; warning: chains from {r['ambiguous_starts']} are as long as the one read from "
                f"{r['first_chunk']}" if r["ambiguous_starts"] else ""),
             "| kind | blocks | MiB in use | pages only it pins | pages pinned without it |", "|---|---:|---:|---:|---:|"]
    for kind, k in list(r["kinds"].items())[:top]:
        name = f"class {kind} (≤ {(int(kind) + 1) * CLASS_BYTES} B)" if kind.isdigit() else kind
        lines.append(f"| {name} | {k['blocks']} | {k['bytes'] / mib:.2f} | {k['pages_only_it_pins']} | "
                     f"{k['pages_pinned_without_it']} |")
    return "\n".join(lines)


def main(argv):
    if len(argv) != 2 or not (argv[1].isascii() and argv[1].isdigit()):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 64
    pid, r = int(argv[1]), None
    try:
        for _ in range(READ_ATTEMPTS):
            mem = read_heap(pid)
            r = analyse(mem) if mem else None
            if r is not None or mem is None:
                break
            time.sleep(0.05)  # stopped inside malloc: the top chunk's header not written yet
    except OSError as e:
        print(f"heap_pins: cannot read process {pid}: {e}", file=sys.stderr)
        return 1
    if r is None:
        print(f"heap_pins: no glibc main-arena heap in process {pid}", file=sys.stderr)
        return 1
    print(table(r))
    print("HEAP_PINS " + json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
