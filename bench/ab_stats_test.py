"""Tests of bench/ab_stats.py: the interval against published order-statistic ranks and by simulated
coverage, and the pairing by round. Run: /usr/bin/python3 bench/ab_stats_test.py (CTest: bench/ab_stats)."""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ab_stats  # noqa: E402


def run(rnd, path, rps, cpu_ns, requests=100000, errors=0, p99_us=1000.0):
    return {"round": rnd, "path": path, "requests": requests, "rps": rps, "p99_us": p99_us,
            "proxy_cpu_ns": cpu_ns, "upstream_cpu_ns": cpu_ns, "errors": errors}


class MedianInterval(unittest.TestCase):
    def test_ranks_from_the_sign_test_tables(self):
        # The 95 % ranks for the median (e.g. Conover, Practical Nonparametric Statistics, table A3):
        # n = 6: 1st and 6th; n = 10: 2nd and 9th; n = 20: 6th and 15th; n = 5: none.
        for n, k in ((6, 1), (10, 2), (20, 6)):
            xs = list(range(1, n + 1))
            random.Random(n).shuffle(xs)
            self.assertEqual(ab_stats.median_interval(xs), (k, n + 1 - k), n)
        self.assertIsNone(ab_stats.median_interval([1, 2, 3, 4, 5]))

    def test_coverage_at_least_95_percent(self):
        rng = random.Random(7)
        for n in (6, 10, 15):
            hits = 0
            for _ in range(4000):
                xs = [rng.lognormvariate(0, 0.3) for _ in range(n)]  # skewed; the true median is 1
                lo, hi = ab_stats.median_interval(xs)
                hits += lo <= 1 <= hi
            self.assertGreaterEqual(hits / 4000, 0.94, n)


class Compare(unittest.TestCase):
    def test_paired_by_round_and_errors_left_out(self):
        runs = []
        for rd, drift in enumerate((1.0, 0.6, 1.3, 0.8, 1.1, 0.7, 0.9)):
            runs.append(run(rd, "a", 100 * drift, 2_000_000_000))
            # b is 5 % faster and uses 10 % less CPU in every round, whatever the drift
            runs.append(run(rd, "b", 105 * drift, 1_800_000_000, errors=1 if rd == 6 else 0))
        r = ab_stats.compare(runs)
        self.assertEqual(r["reference"], "a")
        vs = r["paths"]["b"]["vs_reference"]
        self.assertEqual(vs["rps"]["pairs"], 6)
        self.assertAlmostEqual(vs["rps"]["median_ratio"], 1.05)
        self.assertEqual(vs["rps"]["better_in"], 6)
        self.assertAlmostEqual(vs["proxy_cpu_us_per_req"]["median_ratio"], 0.9)
        self.assertEqual(vs["proxy_cpu_us_per_req"]["better_in"], 6)  # lower is better for CPU
        self.assertEqual(vs["p99_ms"]["better_in"], 0)  # equal is not better
        self.assertEqual(r["paths"]["b"]["errors"], 1)
        self.assertAlmostEqual(r["paths"]["a"]["median"]["proxy_cpu_us_per_req"], 20.0)
        self.assertIn("1.050×", ab_stats.table(r))

    def test_a_path_missing_a_round_is_not_paired_there(self):
        runs = [run(0, "a", 100, 1), run(0, "b", 90, 1), run(1, "a", 100, 1)]
        vs = ab_stats.compare(runs)["paths"]["b"]["vs_reference"]["rps"]
        self.assertEqual(vs["pairs"], 1)
        self.assertIsNone(vs["ci95"])

    def test_added_p99_against_direct_in_the_same_round(self):
        runs = [run(0, "direct", 100, 0, p99_us=200.0), run(0, "hp", 90, 1, p99_us=700.0),
                run(1, "direct", 100, 0, p99_us=900.0), run(1, "hp", 90, 1, p99_us=1300.0),
                run(2, "direct", 100, 0, p99_us=300.0), run(2, "hp", 90, 1, p99_us=900.0)]
        r = ab_stats.compare(runs)
        self.assertAlmostEqual(r["paths"]["hp"]["added_p99_ms"], 0.5)  # of 0.5, 0.4, 0.6
        self.assertNotIn("added_p99_ms", r["paths"]["direct"])
        self.assertIsNone(r["paths"]["direct"]["median"]["proxy_cpu_us_per_req"])  # no proxy: no CPU, not 0
        self.assertIn("hp +0.500 ms", ab_stats.table(r))
        # a run with errors counts nowhere: not in the medians, not in the added p99
        runs.append(run(3, "direct", 100, 0, p99_us=100.0))
        runs.append(run(3, "hp", 90, 1, errors=5, p99_us=50_000.0))
        r = ab_stats.compare(runs)
        self.assertAlmostEqual(r["paths"]["hp"]["added_p99_ms"], 0.5)
        self.assertAlmostEqual(r["paths"]["hp"]["median"]["p99_ms"], 0.9)
        self.assertEqual(r["paths"]["hp"]["runs_with_errors"], 1)

    def test_sse_runs_count_events_and_rss(self):
        # ab.sh --sse: "requests" are events, and each run carries the path's RSS
        runs = []
        for rd in range(6):
            runs.append(dict(run(rd, "a", 2000, 2_000_000_000, requests=40000), unit="event", rss_kib=51200))
            runs.append(dict(run(rd, "b", 2000, 2_200_000_000, requests=40000), unit="event", rss_kib=61440))
        r = ab_stats.compare(runs)
        self.assertEqual(r["unit"], "event")
        self.assertAlmostEqual(r["paths"]["a"]["median"]["proxy_cpu_us_per_req"], 50.0)
        self.assertAlmostEqual(r["paths"]["a"]["median"]["rss_mib"], 50.0)
        vs = r["paths"]["b"]["vs_reference"]
        self.assertAlmostEqual(vs["rss_mib"]["median_ratio"], 1.2)
        self.assertEqual(vs["rss_mib"]["better_in"], 0)  # lower is better for memory
        t = ab_stats.table(r)
        self.assertIn("proxy CPU µs per event", t)
        self.assertIn("| RSS MiB |", t)
        self.assertIn("events/s", t)
        # runs of requests carry no RSS: no column for it
        self.assertNotIn("RSS", ab_stats.table(ab_stats.compare([run(0, "a", 1, 1), run(0, "b", 1, 1)])))
        with self.assertRaises(ValueError):  # events and requests cannot be paired
            ab_stats.compare(runs + [run(6, "a", 1, 1)])


if __name__ == "__main__":
    unittest.main()
