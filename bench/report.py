#!/usr/bin/python3
"""bench/report.py: turns a bench run's raw data (OUT/raw/*.jsonl, written by bench/run.sh) into
OUT/results.md, OUT/machine.md, OUT/throughput.png and OUT/latency.png.

  /usr/bin/python3 bench/report.py OUT [--smoke]   write the report (--smoke: goals are not judged)
  /usr/bin/python3 bench/report.py OUT --check     exit 1 unless every measurement the run was asked
                                                   for produced numbers and no cell had errors
"""
import json
import math
import os
import statistics
import sys

LABEL = {
    "direct": "direct (wrk → nginx)",
    "healthproxy": "healthproxy, 1 thread",
    "haproxy": "HAProxy 2.6, nbthread 1",
    "nginx": "nginx proxy, 1 worker",
    "healthproxy-2t": "healthproxy, 2 threads",
    "healthproxy-copy": "healthproxy, 1 thread, no splice(2)",
}
COLOR = {"direct": "#999999", "healthproxy": "#1f77b4", "haproxy": "#d62728", "nginx": "#2ca02c", "healthproxy-2t": "#9ecae1", "healthproxy-copy": "#aec7e8"}
GOAL_RATE = 1000  # the "fixed moderate rate" the added-latency goal is judged at (Istio's anchor is 1,000 rps)
MIB = 1024 * 1024


def load(out):
    raw = os.path.join(out, "raw")

    def jsonl(name):
        p = os.path.join(raw, name + ".jsonl")
        if not os.path.exists(p):
            return []
        return [json.loads(line) for line in open(p) if line.strip()]

    def js(name):
        p = os.path.join(raw, name + ".json")
        return json.load(open(p)) if os.path.exists(p) else {}

    failures_path = os.path.join(raw, "failures.txt")
    failures = [l.strip() for l in open(failures_path)] if os.path.exists(failures_path) else []
    return {
        "config": js("config"), "machine": js("machine"),
        "throughput": by_median([tp_derive(r) for r in jsonl("throughput")], ("proxy", "size", "conns"),
                                sums=("non2xx", "errors_connect", "errors_read", "errors_write", "errors_timeout", "socket_errors"),
                                ranges=("rps", "cpu_per_100k")),
        "latency": by_median(jsonl("latency"), ("proxy", "rate"), sums=("errors",), ranges=("p99_us",)),
        "memory": jsonl("memory"), "startup": jsonl("startup"), "faults": jsonl("faults"), "sizes": jsonl("sizes"),
        "sse": by_median([sse_derive(r) for r in jsonl("sse")], ("proxy",), sums=("errors", "failed", "silent"),
                         ranges=("cpu_pct_per_1000", "rss_kib", "p99_us")),
        "failures": [f for f in failures if f],
    }


def by_median(rows, key, sums=(), ranges=()):
    """Merges the rows of one cell measured in several rounds (bench/run.sh --rounds N; the field
    "round") into one row per key: every numeric field is its median over the rounds (the mean of
    the two middle values for an even count), the counts in `sums` are summed (errors over all
    rounds), a boolean is true when it was in any round (size_ok: in every round), a dict of counts
    (error_kinds) adds up per key, other fields come from the first round.
    Adds "rounds" (how many) and, for each field in `ranges`, "<field>_range": (min, max).
    One round gives its row unchanged, plus rounds = 1."""
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in key), []).append(r)
    merged = []
    for group in groups.values():
        m = dict(group[0])
        for f in {f for r in group for f in r} - set(key):
            vals = [r.get(f) for r in group if r.get(f) is not None]
            if not vals:
                continue
            if all(isinstance(v, bool) for v in vals):
                m[f] = all(vals) if f == "size_ok" else any(vals)
            elif all(isinstance(v, dict) for v in vals) and len(vals) > 1:
                counts = {}
                for v in vals:
                    for k, n in v.items():
                        counts[k] = counts.get(k, 0) + n if isinstance(n, (int, float)) else n
                m[f] = counts
            elif all(isinstance(v, (int, float)) for v in vals):
                # (the same value in every round stays as it is: an int stays an int)
                m[f] = sum(vals) if f in sums else vals[0] if min(vals) == max(vals) else statistics.median(vals)
        for f in ranges:
            vals = [r[f] for r in group if isinstance(r.get(f), (int, float))]
            m[f + "_range"] = (min(vals), max(vals)) if vals else None
        m["rounds"] = len(group)
        m.pop("round", None)
        merged.append(m)
    return merged


# ---- derived numbers -------------------------------------------------------------------------

def tp_derive(r):
    req = r.get("requests") or 0
    r["socket_errors"] = sum(r.get(k, 0) for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
    r["bytes_per_response"] = r["bytes"] / req if req else 0
    # wrk counts a request only once its whole body (per Content-Length) arrived, and its byte count also
    # holds the responses still in flight when the run ended (up to one per connection). So each response
    # is at least the body, and at most body + 1 KiB of header, plus that in-flight share.
    per = r["size_bytes"] + 1024
    r["size_ok"] = bool(req) and r["size_bytes"] <= r["bytes_per_response"] <= per + r["conns"] * per / req
    tck = r.get("clk_tck") or 100
    r["cpu_per_100k"] = (r["proxy_cpu_ticks"] / tck / req * 1e5) if req and r.get("proxy_cpu_ticks") is not None else None
    r["upstream_cpu_per_100k"] = (r["upstream_cpu_ticks"] / tck / req * 1e5) if req else None
    # Share of one core the proxy used during the run: well under 100 % at saturation means it waited.
    secs = (r.get("duration_us") or 0) / 1e6
    r["cpu_util"] = (100 * r["proxy_cpu_ticks"] / tck / secs) if secs and r.get("proxy_cpu_ticks") is not None else None
    r["bad"] = r.get("non2xx", 0) > 0 or r["socket_errors"] > 0 or not r["size_ok"] or not req
    return r


def find(rows, **kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def fmt_int(v):
    return "–" if v is None else f"{v:,.0f}"


def fmt_ms(us, digits=3):
    return "–" if us is None else f"{us / 1000:.{digits}f}"


def fmt(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def spread(r, field, show):
    """" (lo–hi)" over the rounds of a merged row (by_median), shown with `show`; "" for one round."""
    rng = r.get(field + "_range")
    if not rng or (r.get("rounds") or 1) < 2:
        return ""
    return f" ({show(rng[0])}–{show(rng[1])})"


def pct(values, p):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    rank = max(1, math.ceil(p / 100 * len(v)))
    return v[rank - 1]


def mib(kib):
    return None if kib is None else kib / 1024


# ---- the report --------------------------------------------------------------------------------

def goals(d):
    """(goal, target, measured, met: True/False/None) rows."""
    rows = []
    tp = d["throughput"]
    hp = find(tp, proxy="healthproxy", size="1k", conns=64)
    ha = find(tp, proxy="haproxy", size="1k", conns=64)
    if hp and ha and not hp["bad"] and not ha["bad"]:
        rows.append(("requests/s, 1 KiB, 64 connections, one thread", "healthproxy ≥ HAProxy",
                     f"{hp['rps']:,.0f} vs {ha['rps']:,.0f} ({hp['rps'] / ha['rps']:.2f}×)", hp["rps"] >= ha["rps"]))
    else:
        rows.append(("requests/s, 1 KiB, 64 connections, one thread", "healthproxy ≥ HAProxy",
                     "errors in a cell: not judged" if hp and ha else "not measured", None))
    lat = d["latency"]
    hl, dl = find(lat, proxy="healthproxy", rate=GOAL_RATE), find(lat, proxy="direct", rate=GOAL_RATE)
    if hl and dl and not hl.get("errors") and not dl.get("errors"):
        added = (hl["p99_us"] - dl["p99_us"]) / 1000
        rows.append((f"added p99 over direct, {GOAL_RATE:,} req/s, 1 KiB", "≤ 0.1 ms",
                     f"{added:+.3f} ms ({hl['p99_us'] / 1000:.3f} vs {dl['p99_us'] / 1000:.3f} ms)", added <= 0.1))
    else:
        rows.append((f"added p99 over direct, {GOAL_RATE:,} req/s, 1 KiB", "≤ 0.1 ms",
                     "errors in a cell: not judged" if hl and dl else "not measured", None))
    m = find(d["memory"], proxy="healthproxy")
    if m:
        rows.append(("RSS idle (started and ready)", "≤ 4 MiB", f"{mib(m['idle_rss_kib']):.2f} MiB", m["idle_rss_kib"] <= 4 * 1024))
        rows.append((f"RSS with {m.get('connections', 1000):,} keep-alive connections", "≤ 16 MiB",
                     f"{mib(m['held_rss_kib']):.2f} MiB (high-water mark {mib(m['held_hwm_kib']):.2f} MiB)", m["held_rss_kib"] <= 16 * 1024))
    else:
        rows.append(("RSS idle (started and ready)", "≤ 4 MiB", "not measured", None))
        rows.append(("RSS with 1,000 keep-alive connections", "≤ 16 MiB", "not measured", None))
    sse = {r["proxy"]: r for r in d.get("sse", [])}
    if sse.get("healthproxy") and (sse.get("haproxy") or sse.get("nginx")):
        h = sse["healthproxy"]
        peers = [sse[p] for p in ("haproxy", "nginx") if sse.get(p)]
        ok = (h["errors"] == 0 and h.get("rss_kib") and all(h["rss_kib"] <= q.get("rss_kib", 0) for q in peers)
              and h["cpu_pct_per_1000"] is not None and all(q["cpu_pct_per_1000"] is not None and h["cpu_pct_per_1000"] <= q["cpu_pct_per_1000"] for q in peers))
        meas = (f"{h.get('opened', 0):,} streams, {h['errors']} errors, RSS {fmt(mib(h.get('rss_kib') or 0))} MiB, "
                f"CPU {fmt(h['cpu_pct_per_1000'], 2) if h['cpu_pct_per_1000'] is not None else '?'} % per 1,000; peers: " +
                ", ".join(f"{LABEL.get(q['proxy'], q['proxy']).split(',')[0]} {fmt(mib(q.get('rss_kib') or 0))} MiB / "
                          f"{fmt(q['cpu_pct_per_1000'], 2) if q['cpu_pct_per_1000'] is not None else '?'} %" for q in peers))
        rows.append(("SSE streams: RSS and CPU per 1,000 streams", "lowest of the three, 0 stream errors", meas, bool(ok)))
    img = next((s for s in d["sizes"] if s.get("kind") == "image"), None)
    if img and img.get("bytes"):
        rows.append(("image size (podguard/healthproxy)", "≤ 8 MB", f"{img['bytes'] / 1e6:.2f} MB ({img['bytes'] / MIB:.2f} MiB)", img["bytes"] <= 8e6))
    else:
        rows.append(("image size (podguard/healthproxy)", "≤ 8 MB", img["state"] if img else "not measured", None))
    st = find(d["startup"], path="/livez")
    if st and st.get("ok"):
        rows.append(("startup: exec → first 200 from /livez", "≤ 20 ms",
                     f"median {st['median_ms']:.2f} ms, max {st['max_ms']:.2f} ms ({st['ok']} trials)", st["median_ms"] <= 20))
    else:
        rows.append(("startup: exec → first 200 from /livez", "≤ 20 ms", "not measured", None))
    return rows


def peer_rows(d):
    """(cell, healthproxy, HAProxy, nginx, goal, met: True/False/None) rows: issue 13's goals, each cell
    of healthproxy against the peers measured in the same run."""
    c, tp, rows = d["config"], d["throughput"], []

    def judge(name, h, a, x, goal, better, show):
        peers = [v for v in (a, x) if v is not None]
        met = None if h is None or not peers else all(better(h, v) for v in peers)
        rows.append((name, show(h), show(a), show(x), goal, met))

    def get(proxy, field, **kw):
        r = find(tp, proxy=proxy, **kw)
        return None if not r or r["bad"] else r.get(field)

    def versus_haproxy(name, h, a, x, show):  # lower is better, judged against HAProxy only
        rows.append((name, show(h), show(a), show(x), "≤ HAProxy", None if h is None or a is None else h <= a))

    for size in c.get("sizes", []):
        for n in c.get("conns", []):
            judge(f"{size.replace('k', ' KiB')}, {n:,} conn: requests/s", *(get(p, "rps", size=size, conns=n) for p in ("healthproxy", "haproxy", "nginx")),
                  "≥ the best peer", lambda h, v: h >= v, fmt_int)
    for size in c.get("sizes", []):
        for n in c.get("conns", []):
            versus_haproxy(f"{size.replace('k', ' KiB')}, {n:,} conn: proxy CPU s per 100k requests",
                           *(get(p, "cpu_per_100k", size=size, conns=n) for p in ("healthproxy", "haproxy", "nginx")), fmt)
    for size in c.get("sizes", []):
        versus_haproxy(f"{size.replace('k', ' KiB')}, 1,000 conn: p99 ms (wrk)",
                       *(get(p, "p99_us", size=size, conns=1000) for p in ("healthproxy", "haproxy", "nginx")), lambda v: fmt_ms(v, 1))
    base = find(d["latency"], proxy="direct", rate=GOAL_RATE)
    base = None if base and base.get("errors") else base  # a baseline with errors judges nothing
    added = {p: (r["p99_us"] - base["p99_us"]) for p in ("healthproxy", "haproxy", "nginx")
             if base and (r := find(d["latency"], proxy=p, rate=GOAL_RATE)) and not r.get("errors")}
    versus_haproxy(f"added p99 ms at a fixed {GOAL_RATE:,} req/s", *(added.get(p) for p in ("healthproxy", "haproxy", "nginx")),
                   lambda v: "–" if v is None else f"{v / 1000:+.3f}")
    idle = {p: (r["idle_rss_kib"] if (r := find(d["memory"], proxy=p)) else None) for p in ("healthproxy", "haproxy", "nginx")}
    rows.append(("RSS idle MiB (TLS probe on)", *(fmt(mib(idle[p])) for p in ("healthproxy", "haproxy", "nginx")),
                 "≤ 4 MiB", None if idle["healthproxy"] is None else idle["healthproxy"] <= 4 * 1024))
    sse = {r["proxy"]: r for r in d.get("sse", [])}
    for field, name, showf in (("rss_kib", "SSE: RSS MiB", lambda v: fmt(mib(v))), ("cpu_pct_per_1000", "SSE: CPU % of a core per 1,000 streams", fmt)):
        h, a, x = (sse.get(p, {}).get(field) for p in ("healthproxy", "haproxy", "nginx"))
        judge(name, h, a, x, "the lowest", lambda h, v: h <= v, lambda v: "–" if v is None else showf(v))
    h, a, x = (sse.get(p, {}).get("errors") for p in ("healthproxy", "haproxy", "nginx"))
    rows.append(("SSE: stream errors", *(("–" if v is None else str(v)) for v in (h, a, x)), "0", None if h is None else h == 0))
    return rows


def set_labels(threads):
    """--threads N: every proxy ran with N threads (healthproxy-2t only runs with N = 1)."""
    if threads != 1:
        LABEL["healthproxy"] = f"healthproxy, {threads} threads"
        LABEL["haproxy"] = f"HAProxy 2.6, nbthread {threads}"
        LABEL["nginx"] = f"nginx proxy, {threads} workers"


def sse_derive(r):
    """CPU share of one core over the window, and per 1,000 open streams."""
    r = dict(r)
    ticks, ms = r.get("proxy_cpu_ticks"), r.get("cpu_window_ms")
    if ticks is not None and ms:
        r["cpu_pct"] = 100.0 * ticks / r.get("clk_tck", 100) / (ms / 1000)
        r["cpu_pct_per_1000"] = r["cpu_pct"] / max(r.get("opened") or 1, 1) * 1000
    else:
        r["cpu_pct"] = r["cpu_pct_per_1000"] = None
    if "errors" not in r:  # raw lines from before bench/sse.py's "done" line carried its own count
        r["errors"] = (r.get("streams", 0) - r.get("opened", 0)) + r.get("failed", 0) + r.get("silent", 0)
    return r


def sse_md(d, add):
    c = d["config"]
    rows = d["sse"]
    add("## Server-sent events (bench/sse.py)\n")
    add(f"{c.get('sse_streams', '?'):,} streams opened over {c.get('sse_ramp_s', '?')} s through each path to an asyncio app "
        "that holds them and writes one small event per stream per second (phases spread over the second); "
        f"then {c.get('sse_seconds', '?')} s measured. Latency: the upstream's CLOCK_MONOTONIC just before its "
        "write to the client's at the read, every event. RSS and PSS read mid-window; CPU over the window, as a "
        "share of one core and per 1,000 open streams. Errors: streams not opened, closed, or without an event in "
        "the window.\n")
    add("| path | streams open | errors | events | of expected | p50 ms | p99 ms | p99.9 ms | max ms | RSS MiB | "
        "of it anonymous | PSS MiB | CPU % of a core | CPU % per 1,000 streams |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in c.get("sse_paths", []):
        r = find(rows, proxy=p)
        if not r:
            add(f"| {LABEL.get(p, p)} | no data | | | | | | | | | | | | |")
            continue
        label = "direct (client → app)" if p == "direct" else LABEL.get(p, p)
        add(f"| {label} | {r.get('opened', 0):,}/{r.get('streams', 0):,} | {r['errors']} | {fmt_int(r.get('events'))} | "
            f"{fmt_int(r.get('events_expected'))} | {fmt_ms(r.get('p50_us'))} | {fmt_ms(r.get('p99_us'))} | {fmt_ms(r.get('p999_us'))} | "
            f"{fmt_ms(r.get('max_us'))} | {fmt(mib(r['rss_kib'])) if r.get('rss_kib') else '–'} | "
            f"{fmt(mib(r['rss_anon_kib'])) if r.get('rss_anon_kib') else '–'} | {fmt(mib(r['pss_kib'])) if r.get('pss_kib') else '–'} | "
            f"{fmt(r['cpu_pct'], 1) if r['cpu_pct'] is not None else '–'} | "
            f"{fmt(r['cpu_pct_per_1000'], 2) + spread(r, 'cpu_pct_per_1000', fmt) if r['cpu_pct_per_1000'] is not None else '–'} |")
    add("")


def results_md(d, smoke):
    c, m = d["config"], d["machine"]
    set_labels(c.get("threads", 1))
    tp = d["throughput"]
    L = []
    add = L.append
    add("# healthproxy benchmark results\n")
    add(f"Run {m.get('date', '?')}, checkout {m.get('commit', '?')} (healthproxy binary built {m.get('healthproxy_built', '?')}), "
        f"{c.get('mode', '?')} mode, wall time "
        f"{c.get('wall_s', '?')} s. Machine and versions: [machine.md](machine.md). How it is measured: "
        f"[bench/README.md](../README.md). Pinning: {c.get('pinning', '?')}.\n")
    if (c.get("rounds") or 1) > 1:
        def cell(kind, r):
            if kind == "throughput":
                return f"throughput {r['proxy']} {r['size']} {r['conns']:,} conn"
            return f"latency {r['proxy']} {r['rate']:,}/s" if kind == "latency" else f"SSE {r['proxy']}"
        short = sorted({f"{cell(kind, r)} ({r['rounds']} of {c['rounds']})" for kind in ("throughput", "latency", "sse")
                        for r in d[kind] if (r.get("rounds") or 1) < c["rounds"]})
        add(f"**{c['rounds']} rounds**: every throughput, latency and SSE cell ran once per round, the paths in a "
            "different order each round (`--rounds`). Each number is the cell's median over its rounds; the range "
            "over the rounds is in parentheses where shown. Errors are summed over the rounds."
            + (" Cells with fewer rounds (a round gave no numbers): " + ", ".join(short) + "." if short else "") + "\n")
    if smoke:
        add("**Smoke run**: tiny durations on a possibly busy machine. The numbers only show that every "
            "measurement works; they are not judged against the goals.\n")
    if d["failures"]:
        add("**Measurements that failed in this run:**\n")
        for f in d["failures"]:
            add(f"- {f}")
        add("")

    add("## Goals\n")
    add("| goal | target | measured | " + ("judged" if smoke else "met") + " |")
    add("|---|---|---|---|")
    for g, t, meas, met in goals(d):
        verdict = "not judged (smoke run)" if smoke else ("n/a" if met is None else ("**met**" if met else "**not met**"))
        add(f"| {g} | {t} | {meas} | {verdict} |")
    add("")
    add("## healthproxy against the peers, cell by cell\n")
    add("Issue 13's goals, judged on this run's numbers (medians when it had rounds). A throughput cell with errors "
        "or wrong-sized responses shows –: healthproxy's is not judged, a peer's is left out of the comparison. The "
        "SSE rows compare every proxy's RSS and CPU per 1,000 open streams whatever its stream errors (their own "
        "row); healthproxy's goal there includes 0 stream errors.\n")
    add("| cell | healthproxy | HAProxy 2.6 | nginx 1.22 | goal | " + ("judged" if smoke else "met") + " |")
    add("|---|---:|---:|---:|---|---|")
    for cell, h, a, x, goal, met in peer_rows(d):
        verdict = "not judged (smoke run)" if smoke else ("n/a" if met is None else ("**met**" if met else "**not met**"))
        add(f"| {cell} | {h} | {a} | {x} | {goal} | {verdict} |")
    add("")
    add("For context, published numbers for other sidecars: Envoy as an Istio sidecar uses about 60 MB of "
        "memory; linkerd2-proxy 17–26 MB; two Istio sidecars (client and server) add 0.228 ms at p90 and "
        "0.298 ms at p99 (Istio 1.20, 1 kB payloads at 1,000 requests/s).\n")

    # ---- throughput
    add("## Throughput (wrk, keep-alive, closed loop)\n")
    dur = f"{c.get('duration_s', '?')} s" + (f" ({c['duration_1000_s']} s at 1,000 connections)" if c.get("duration_1000_s", c.get("duration_s")) != c.get("duration_s") else "")
    add(f"{dur} per cell after a {c.get('warmup_s', '?')} s warm-up with the same connection count; "
        "wrk 1 thread (2 threads at 1,000 connections). Latencies are wrk's (closed loop: they are per-request "
        "service times under saturation, not what a client at a fixed rate sees; see the next section). "
        "CPU: utime + stime of the proxy process (nginx: master + worker) during the measured run, per 100,000 "
        "requests, and as a share of one core over the run (well under 100 % while the clients wait on it means the "
        "proxy waits rather than computes); the upstream nginx's CPU is shown for context. ⚠ marks a cell with non-2xx responses, socket "
        "errors, responses of the wrong size, or no request completed within the cell.\n")
    paths = c.get("paths", [])
    for size in c.get("sizes", []):
        add(f"### {size.replace('k', ' KiB')} responses: requests/s\n")
        conns = c.get("conns", [])
        add("| path | " + " | ".join(f"{n:,} conn" for n in conns) + " |")
        add("|---|" + "---:|" * len(conns))
        for p in paths:
            cells = []
            for n in conns:
                r = find(tp, proxy=p, size=size, conns=n)
                cells.append("–" if not r else fmt_int(r["rps"]) + spread(r, "rps", fmt_int) + (" ⚠" if r["bad"] else "")
                             + (" ¹" if r.get("zero_in_s") else ""))
            add(f"| {LABEL.get(p, p)} | " + " | ".join(cells) + " |")
        add("")
        slow = [r for r in tp if r.get("size") == size and r.get("zero_in_s")]
        if slow:
            add("¹ no request completed within the first " + ", ".join(sorted({f"{r['zero_in_s']} s" for r in slow}))
                + "; the cell was run once more, 3× longer, and that run is shown"
                + (" (in the rounds where it happened; the median is over every round)" if (c.get("rounds") or 1) > 1 else "") + ".\n")
    add("### Every cell\n")
    add("| size | conns | path | req/s | p50 ms | p99 ms | proxy CPU s / 100k req | proxy CPU % of a core | upstream CPU s / 100k req | bytes / response | non-2xx | socket errors |")
    add("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in c.get("sizes", []):
        for n in c.get("conns", []):
            for p in paths:
                r = find(tp, proxy=p, size=size, conns=n)
                if not r:
                    add(f"| {size} | {n:,} | {LABEL.get(p, p)} | no data | | | | | | | | |")
                    continue
                flag = " ⚠" if r["bad"] else ""
                add(f"| {size} | {n:,} | {LABEL.get(p, p)} | {fmt_int(r['rps'])}{flag} | {fmt_ms(r['p50_us'])} | {fmt_ms(r['p99_us'])} | "
                    f"{fmt(r['cpu_per_100k'])} | {fmt(r['cpu_util'], 0)} | {fmt(r['upstream_cpu_per_100k'])} | {r['bytes_per_response']:,.0f} | "
                    f"{r.get('non2xx', 0)} | {r['socket_errors']} |")
    add("")
    add("![throughput](throughput.png)\n")

    # ---- latency
    add("## Added latency at a fixed rate (podguard_loadgen, open loop)\n")
    add(f"1 KiB responses, {c.get('latency_duration_s', '?')} s per rate after a {c.get('latency_warmup_s', '?')} s warm-up, "
        "16 keep-alive connections. Each request's latency runs from its scheduled send time "
        "(coordinated-omission-correct); percentiles are exact over every request. \"added\" is the path's "
        "percentile minus direct's at the same rate. \"send lag p99\" is how late the generator itself sent "
        "(a large value means the generator or the machine, not the proxy, was the bottleneck).\n")
    add("| rate | path | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | added p50 | added p99 | added p99.9 | achieved req/s | send lag p99 ms | errors |")
    add("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rate in c.get("rates", []):
        base = find(d["latency"], proxy="direct", rate=rate)
        for p in paths:
            r = find(d["latency"], proxy=p, rate=rate)
            if not r:
                add(f"| {rate:,} | {LABEL.get(p, p)} | no data | | | | | | | | | | |")
                continue

            def added(k):
                return "–" if not base or p == "direct" else f"{(r[k] - base[k]) / 1000:+.3f}"
            add(f"| {rate:,} | {LABEL.get(p, p)} | {fmt_ms(r['p50_us'])} | {fmt_ms(r['p90_us'])} | {fmt_ms(r['p99_us'])}{spread(r, 'p99_us', fmt_ms)} | "
                f"{fmt_ms(r['p999_us'])} | {fmt_ms(r['max_us'])} | {added('p50_us')} | {added('p99_us')} | {added('p999_us')} | "
                f"{fmt_int(r['achieved_rps'])} | {fmt_ms(r['send_lag_p99_us'])} | {r['errors']}"
                + (f" {r['error_kinds']}" if r["errors"] else "") + " |")
    add("")
    add("![latency](latency.png)\n")

    # ---- memory
    add("## Memory (VmRSS and VmHWM from /proc)\n")
    add(f"Each proxy freshly started; \"idle\" 1 s after it was ready (healthproxy: /readyz 200, database probed); "
        f"then {c.get('hold_conns', 1000):,} keep-alive connections opened by podguard_loadgen, one 1 KiB request on each "
        f"(all at once), held idle while RSS is read. nginx: master + worker summed. VmHWM is the peak resident "
        "size since start. Anonymous (RssAnon) is the private part; the rest is file-backed: the binaries' code pages, "
        "clean, shared by every process mapping the same file, and reclaimable.\n")
    add("| proxy | idle RSS MiB | of it anonymous | RSS with connections MiB | of it anonymous | peak (VmHWM) MiB | connections ok | closed by the proxy while held |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|")
    for p in paths:
        if p == "direct":
            continue
        r = find(d["memory"], proxy=p)
        if not r:
            add(f"| {LABEL.get(p, p)} | no data | | | | | | |")
            continue
        anon = lambda k: fmt(mib(r[k])) if r.get(k) not in (None, "") else "n/a"
        add(f"| {LABEL.get(p, p)} | {fmt(mib(r['idle_rss_kib']))} | {anon('idle_anon_kib')} | {fmt(mib(r['held_rss_kib']))} | "
            f"{anon('held_anon_kib')} | {fmt(mib(r['held_hwm_kib']))} | "
            f"{r.get('ok', '?')}/{r.get('connections', '?')} | {r.get('closed_during_hold', '?')} |")
    add("")

    # ---- sizes
    if "sse" in c.get("sections", []):
        sse_md(d, add)
    add("## Size\n")
    add("| binary | size | stripped | linking |")
    add("|---|---:|---:|---|")
    for s in d["sizes"]:
        if s.get("kind") == "binary":
            stripped = s.get("stripped_bytes")
            add(f"| {s['name']} (`{s['path']}`) | {s['bytes'] / MIB:.2f} MiB | "
                f"{'–' if stripped is None else f'{stripped / MIB:.2f} MiB'} | {s['linkage']} |")
    add("")
    add("haproxy and nginx are Debian's dynamically linked binaries: their shared libraries are not counted.\n")
    for s in d["sizes"]:
        if s.get("kind") == "image":
            if s.get("bytes"):
                add(f"Image `{s['name']}`: {s['bytes'] / 1e6:.2f} MB ({s['bytes'] / MIB:.2f} MiB), created {s.get('created', '?')}.\n")
            else:
                add(f"Image podguard/healthproxy: {s.get('state', 'not built')}.\n")

    # ---- startup
    add("## Startup\n")
    add("podguard_loadgen forks and execs healthproxy (pinned like the proxy under test), polls its admin port "
        "every 100 µs and stops the clock at the first 200; then kills it. /readyz also includes the first database "
        "probe (TCP, TLS, SCRAM, SELECT 1 against the local PostgreSQL).\n")
    add("| endpoint | trials | min ms | median ms | p90 ms | max ms |")
    add("|---|---:|---:|---:|---:|---:|")
    for s in d["startup"]:
        add(f"| {s['path']} | {s['ok']}/{s['trials']} | {fmt(s['min_ms'])} | {fmt(s['median_ms'])} | {fmt(s['p90_ms'])} | {fmt(s['max_ms'])} |")
    add("")

    # ---- faults
    add("## Database faults\n")
    add(f"healthproxy reaches PostgreSQL through toxiproxy, with `{c.get('fault_flags', '?')}`. Per trial: ready, a random "
        "pause of 0–500 ms (the phase against the probe schedule), the cut → time until /readyz answers 503; the "
        f"outage held {c.get('fault_hold_s', '?')} s; the repair → time until /readyz answers 200. Times run from "
        "toxiproxy's answer to the cut or repair request to the first /readyz poll (every 1 ms) with the new status. "
        "*refused*: the toxiproxy proxy disabled (connections refused, like a stopped server); *silent*: a timeout "
        "toxic (connections open, nothing comes back, like a hung server or a dropped route).\n")
    add("| fault | trials | detect median ms | detect p90 | detect max | recover median ms | recover p90 | recover max |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in ("refused", "silent"):
        rows = [f for f in d["faults"] if f.get("kind") == kind]
        if not rows:
            continue
        det = [f.get("detect_ms") for f in rows]
        rec = [f.get("recover_ms") for f in rows]
        good = sum(1 for a, b in zip(det, rec) if a is not None and b is not None)
        add(f"| {kind} | {good}/{len(rows)} | {fmt(pct(det, 50), 1)} | {fmt(pct(det, 90), 1)} | {fmt(pct(det, 100), 1)} | "
            f"{fmt(pct(rec, 50), 1)} | {fmt(pct(rec, 90), 1)} | {fmt(pct(rec, 100), 1)} |")
    add("")
    add("Expected from the flags: a refused connection fails a probe at once, so detection ≈ the wait for the next "
        "probe (≤ the probe interval); a silent database is noticed after the next probe times out (≤ interval + "
        "timeout). Recovery waits for the next retry, a fully jittered backoff delay between --backoff-initial and "
        "--backoff-max.\n")
    return "\n".join(L)


def machine_md(d):
    m, c = d["machine"], d["config"]
    L = ["# Machine and versions\n", "| | |", "|---|---|"]
    for k, label in [("date", "date (UTC)"), ("cpu_model", "CPU"), ("cpus", "logical CPUs"), ("threads_per_core", "threads per core"),
                     ("memory_gib", "memory GiB"), ("os", "OS"), ("kernel", "kernel"), ("wrk", "wrk"), ("haproxy", "HAProxy"),
                     ("nginx", "nginx"), ("postgresql", "PostgreSQL"), ("healthproxy", "healthproxy"),
                     ("commit", "podguard checkout at run time"), ("healthproxy_path", "healthproxy binary"),
                     ("healthproxy_built", "binary built (mtime, UTC)"), ("healthproxy_sha256", "binary sha256 (first 16)"),
                     ("compiler", "compiler"), ("pinning", "pinning"),
                     ("load_other_processes", "/proc/loadavg at the start")]:
        L.append(f"| {label} | {m.get(k, '?')} |")
    L.append(f"| mode | {c.get('mode', '?')} |")
    L.append(f"| wall time | {c.get('wall_s', '?')} s |")
    L.append("")
    L.append("Pinning: with two or more CPUs, the proxy under test (every thread of it: healthproxy's proxy threads, "
             "probe and upstream check; HAProxy; nginx's master and worker) runs on CPU 1, and the upstream nginx, wrk "
             "and podguard_loadgen share CPU 0. The same layout for every path, so each proxy gets exactly one core. "
             "healthproxy with 2 threads is pinned the same way: it shows what the second thread costs on one core, "
             "not how it scales (a two-core machine has no spare core to scale onto). direct: wrk and nginx on CPU 0 only.")
    return "\n".join(L) + "\n"


def charts(d, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = d["config"]
    paths, conns, sizes = c.get("paths", []), c.get("conns", []), c.get("sizes", [])
    tp = d["throughput"]
    fig, axes = plt.subplots(len(sizes), 2, figsize=(13, 4.2 * max(1, len(sizes))), squeeze=False)
    width = 0.8 / max(1, len(paths))
    for i, size in enumerate(sizes):
        for j, (key, title) in enumerate([("rps", "requests/s"), ("cpu_per_100k", "proxy CPU s per 100k requests")]):
            ax = axes[i][j]
            for k, p in enumerate(paths):
                vals, bad = [], []
                for n in conns:
                    r = find(tp, proxy=p, size=size, conns=n)
                    vals.append((r.get(key) or 0) if r else 0)
                    bad.append(bool(r and r["bad"]))
                xs = [x + (k - (len(paths) - 1) / 2) * width for x in range(len(conns))]
                ax.bar(xs, vals, width, label=LABEL.get(p, p), color=COLOR.get(p))
                for x, v, b in zip(xs, vals, bad):
                    if b:
                        ax.annotate("!", (x, v), ha="center", va="bottom", color="red", fontweight="bold")
            ax.set_xticks(range(len(conns)), [f"{n:,} conn" for n in conns])
            ax.set_title(f"{size.replace('k', ' KiB')} responses: {title}")
            ax.grid(axis="y", alpha=0.3)
            if i == 0 and j == 0:
                ax.legend(fontsize=8)
    fig.suptitle(f"Throughput (wrk, keep-alive), {c.get('mode', '')} run; pinning: {c.get('pinning', '')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "throughput.png"), dpi=110)
    plt.close(fig)

    rates = c.get("rates", [])
    fig, axes = plt.subplots(1, max(1, len(rates)), figsize=(6.5 * max(1, len(rates)), 4.5), squeeze=False)
    for i, rate in enumerate(rates):
        ax = axes[0][i]
        stats = [("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")]
        w = 0.8 / len(stats)
        for k, (key, name) in enumerate(stats):
            vals = []
            for p in paths:
                r = find(d["latency"], proxy=p, rate=rate)
                vals.append(r[key] / 1000 if r and r.get(key) else 0)
            ax.bar([x + (k - 1) * w for x in range(len(paths))], vals, w, label=name, color=["#6baed6", "#2171b5", "#08306b"][k])
        ax.set_xticks(range(len(paths)), [LABEL.get(p, p).replace(", ", "\n", 1) for p in paths], fontsize=8)
        if any(r.get("p50_us") for r in d["latency"] if r.get("rate") == rate):
            ax.set_yscale("log")
        ax.set_ylabel("ms (log scale)")
        ax.set_title(f"latency at {rate:,} req/s, 1 KiB (open loop)")
        ax.grid(axis="y", alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"), dpi=110)
    plt.close(fig)


def check(d):
    """Problems that make a smoke run fail: a measurement without numbers, or a cell with errors."""
    c = d["config"]
    sections = c.get("sections", [])
    problems = list(d["failures"])
    tp = d["throughput"]
    if "throughput" in sections:
        for p in c["paths"]:
            for size in c["sizes"]:
                for n in c["conns"]:
                    r = find(tp, proxy=p, size=size, conns=n)
                    if not r or not r.get("rps"):
                        problems.append(f"throughput {p} {size} {n} conns: no numbers")
                    elif r["bad"]:
                        problems.append(f"throughput {p} {size} {n} conns: non-2xx {r.get('non2xx')}, socket errors "
                                        f"{r['socket_errors']}, {r['bytes_per_response']:.0f} bytes per response")
    if "latency" in sections:
        for p in c["paths"]:
            for rate in c["rates"]:
                r = find(d["latency"], proxy=p, rate=rate)
                if not r or not r.get("measured"):
                    problems.append(f"latency {p} {rate}/s: no numbers")
                elif r.get("errors"):
                    problems.append(f"latency {p} {rate}/s: {r['errors']} errors {r.get('error_kinds')}")
    if "memory" in sections:
        for p in c["paths"]:
            if p == "direct":
                continue
            r = find(d["memory"], proxy=p)
            if not r or not r.get("idle_rss_kib") or not r.get("held_rss_kib"):
                problems.append(f"memory {p}: no numbers")
            elif r.get("ok") != r.get("connections") or r.get("errors") or r.get("closed_during_hold"):
                problems.append(f"memory {p}: {r.get('ok')}/{r.get('connections')} connections ok, errors {r.get('error_kinds')}, "
                                f"{r.get('closed_during_hold')} closed while held")
    if "startup" in sections:
        for path in ("/livez", "/readyz"):
            r = find(d["startup"], path=path)
            if not r or r.get("ok") != r.get("trials") or not r.get("median_ms"):
                problems.append(f"startup {path}: {r.get('ok') if r else 0}/{c.get('startup_trials')} trials ok"
                                + (f" ({r.get('failures')})" if r and r.get("failures") else ""))
    if "faults" in sections:
        for kind in ("refused", "silent"):
            rows = [f for f in d["faults"] if f.get("kind") == kind and f.get("detect_ms") is not None and f.get("recover_ms") is not None]
            if len(rows) < c.get("fault_trials", 1):
                problems.append(f"faults {kind}: {len(rows)}/{c.get('fault_trials')} trials gave numbers")
    if "sse" in sections:
        for p in c.get("sse_paths", []):
            r = find(d["sse"], proxy=p)
            if not r or not r.get("events"):
                problems.append(f"sse {p}: no numbers")
            else:
                if r["errors"]:
                    problems.append(f"sse {p}: {r['errors']} stream errors ({r.get('opened')}/{r.get('streams')} open, "
                                    f"{r.get('failed')} failed, {r.get('silent')} silent: {r.get('error_kinds')})")
    if "sizes" in sections and not find(d["sizes"], kind="binary", name="healthproxy"):
        problems.append("size: no healthproxy binary size")
    return problems


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 64
    out = args[0]
    d = load(out)
    if "--check" in sys.argv:
        problems = check(d)
        for p in problems:
            print(f"bench check: {p}", file=sys.stderr)
        return 1 if problems else 0
    smoke = "--smoke" in sys.argv or d["config"].get("mode") == "smoke"
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(results_md(d, smoke))
    with open(os.path.join(out, "machine.md"), "w") as f:
        f.write(machine_md(d))
    charts(d, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
