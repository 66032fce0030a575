"""bench/ab_stats.py: the reading of bench/ab.sh's alternating runs.

Input: JSON lines, one per run: {"round": int, "path": str, "requests": int, "rps": float,
"p99_us": float, "proxy_cpu_ns": int, "upstream_cpu_ns": int, "errors": int}, optionally "rss_kib"
(the path's processes, mid-run) and "unit" ("event" for ab.sh --sse: "requests" are then events,
"rps" events/s, p99 the delivery latency; the table's labels say so). Every path runs once per
round, the order changing from round to round, so the machine's drift over the session falls on every
path alike. Each path is compared with the first (the reference) round by round: a paired ratio per
round, and the median of those ratios with a distribution-free confidence interval for it.

The interval is the one from order statistics (the sign test's): with n paired ratios sorted, the
median lies between the k-th smallest and the k-th largest with probability at least
1 - 2 * P(Binomial(n, 1/2) <= k - 1); k is the largest for which that is at least the level asked.
With a path named "direct" (no proxy), each other path also gets its added p99: its p99 minus
direct's in the same round, the median over the rounds.

It assumes only that the rounds are independent and that each ratio is as likely to fall above the
true median as below it. With fewer than 6 rounds no 95 % interval exists: the interval is null.

    python3 bench/ab_stats.py RUNS.jsonl     prints a Markdown table and a final line "AB {json}"
"""
import json
import math
import statistics
import sys

# metric name -> (what it is, whether higher is better)
METRICS = {
    "rps": ("requests/s", True),
    "proxy_cpu_us_per_req": ("proxy CPU µs per request", False),
    "p99_ms": ("p99 ms", False),
    "upstream_cpu_us_per_req": ("upstream CPU µs per request", False),
    "rss_mib": ("RSS MiB", False),
}


def median_interval(values, level=0.95):
    """(low, high): a distribution-free interval for the median of `values` at `level` or better,
    from order statistics; None when there are too few values for that level."""
    xs = sorted(values)
    n = len(xs)
    best = None
    for k in range(1, n // 2 + 1):
        tail = sum(math.comb(n, i) for i in range(k)) / 2 ** n  # P(X <= k - 1), X ~ Binomial(n, 1/2)
        if 1 - 2 * tail >= level:
            best = k
    return None if best is None else (xs[best - 1], xs[n - best])


def metrics(run):
    """The per-run metrics of one JSON line; None where a number is missing."""
    req = run.get("requests") or 0
    per_req = (lambda ns: ns / 1000 / req if req and ns is not None else None)
    return {
        "rps": run.get("rps"),
        # a path without a proxy process of its own (direct) has no proxy CPU, not a CPU of 0
        "proxy_cpu_us_per_req": per_req(run.get("proxy_cpu_ns") or None),
        "p99_ms": run["p99_us"] / 1000 if run.get("p99_us") is not None else None,
        "upstream_cpu_us_per_req": per_req(run.get("upstream_cpu_ns")),
        "rss_mib": run["rss_kib"] / 1024 if run.get("rss_kib") else None,
    }


def compare(runs):
    """Per path: each metric's median over its rounds; per non-reference path and metric: the median
    of the paired ratios (path / reference, same round), its interval, and in how many rounds the
    path was better. A run with errors is left out of everything: medians, pairs, added p99."""
    paths = []
    for r in runs:
        if r["path"] not in paths:
            paths.append(r["path"])
    by = {(r["round"], r["path"]): r for r in runs}
    rounds = sorted({r["round"] for r in runs})
    units = {r.get("unit", "request") for r in runs}
    if len(units) > 1:
        raise ValueError("runs of different units in one file: " + ", ".join(sorted(units)))
    out = {"reference": paths[0], "rounds": len(rounds), "unit": units.pop(), "paths": {}}
    # each run's metrics, once; a run with errors counts nowhere
    clean = {k: metrics(r) for k, r in by.items() if not r.get("errors")}
    direct = {rd: clean[(rd, "direct")]["p99_ms"] for rd in rounds
              if (rd, "direct") in clean and clean[(rd, "direct")]["p99_ms"] is not None}
    for p in paths:
        mine = [clean[(rd, p)] for rd in rounds if (rd, p) in clean]
        entry = {"runs": len(mine), "runs_with_errors": sum(1 for rd in rounds if (rd, p) in by and (rd, p) not in clean),
                 "errors": sum(by[(rd, p)].get("errors", 0) for rd in rounds if (rd, p) in by),
                 "median": {m: statistics.median(v) if (v := [x[m] for x in mine if x[m] is not None]) else None
                            for m in METRICS}}
        if direct and p != "direct":  # this path's p99 minus direct's, same round
            added = [clean[(rd, p)]["p99_ms"] - direct[rd] for rd in rounds
                     if (rd, p) in clean and rd in direct and clean[(rd, p)]["p99_ms"] is not None]
            entry["added_p99_ms"] = statistics.median(added) if added else None
        if p != paths[0]:
            entry["vs_reference"] = {}
            for m, (_, higher_better) in METRICS.items():
                ratios, better = [], 0
                for rd in rounds:
                    a, b = clean.get((rd, paths[0])), clean.get((rd, p))
                    if not a or not b:
                        continue
                    x, y = a[m], b[m]
                    if not x or y is None:
                        continue
                    ratios.append(y / x)
                    better += (y > x) if higher_better else (y < x)
                iv = median_interval(ratios) if ratios else None
                entry["vs_reference"][m] = {"pairs": len(ratios), "median_ratio": statistics.median(ratios) if ratios else None,
                                            "ci95": list(iv) if iv else None, "better_in": better}
        out["paths"][p] = entry
    return out


def table(result):
    ref, unit = result["reference"], result.get("unit", "request")
    # a metric no run has (RSS, recorded by --sse runs only) gets no column
    shown = [m for m in METRICS if any(e["median"][m] is not None for e in result["paths"].values())]
    label = lambda m: METRICS[m][0].replace("request", unit).replace("p99", "delivery p99" if unit == "event" else "p99")
    lines = [f"{result['rounds']} rounds; ratios are path / {ref}, paired by round: median [95 % interval], rounds better", "",
             "| path | " + " | ".join(label(m) for m in shown) + " | errors |",
             "|---|" + "---:|" * (len(shown) + 1)]
    for p, e in result["paths"].items():
        cells = []
        for m in shown:
            v = e["median"][m]
            cell = "–" if v is None else f"{v:,.0f}" if m == "rps" else f"{v:.3f}"
            c = e.get("vs_reference", {}).get(m)
            if c and c["median_ratio"] is not None:
                iv = "n/a" if c["ci95"] is None else f"{c['ci95'][0]:.3f}–{c['ci95'][1]:.3f}"
                cell += f" ({c['median_ratio']:.3f}× [{iv}], {c['better_in']}/{c['pairs']})"
            cells.append(cell)
        lines.append(f"| {p} | " + " | ".join(cells) + f" | {e['errors']} |")
    added = [f"{p} {e['added_p99_ms']:+.3f} ms" for p, e in result["paths"].items() if e.get("added_p99_ms") is not None]
    if added:
        lines += ["", "added p99 (p99 minus direct's in the same round; median over rounds): " + ", ".join(added)]
    return "\n".join(lines)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: ab_stats.py RUNS.jsonl")
    with open(argv[1]) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    if not runs:
        sys.exit("ab_stats.py: no runs in " + argv[1])
    result = compare(runs)
    print(table(result))
    print("AB " + json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv)
