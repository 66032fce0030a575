#!/usr/bin/python3
"""Tests of bench/report.py's merging of rounds (by_median) and its cell-by-cell judging (peer_rows).

  /usr/bin/python3 bench/report_test.py     (CTest: bench/report)
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402


def tp_row(proxy, rps, ticks, rnd=1, size="1k", conns=64, non2xx=0):
    return report.tp_derive({"proxy": proxy, "size": size, "size_bytes": 1024, "conns": conns, "rps": rps,
                             "requests": int(rps * 10), "bytes": int(rps * 10) * 1200, "duration_us": 10_000_000,
                             "proxy_cpu_ticks": ticks, "upstream_cpu_ticks": 10, "clk_tck": 100, "non2xx": non2xx,
                             "errors_connect": 0, "errors_read": 0, "errors_write": 0, "errors_timeout": 0,
                             "p50_us": 100.0, "p99_us": rps / 100, "round": rnd})


class ByMedian(unittest.TestCase):
    def test_one_round_is_unchanged_but_counted(self):
        rows = [tp_row("healthproxy", 1000.0, 50)]
        merged = report.by_median([dict(r) for r in rows], ("proxy", "size", "conns"), ranges=("rps",))
        self.assertEqual(len(merged), 1)
        self.assertEqual(merged[0]["rps"], 1000.0)
        self.assertEqual(merged[0]["rounds"], 1)
        self.assertEqual(merged[0]["rps_range"], (1000.0, 1000.0))
        self.assertNotIn("round", merged[0])

    def test_odd_count_takes_the_middle_value_of_each_field(self):
        rows = [tp_row("h", 900.0, 40, 1), tp_row("h", 1200.0, 70, 2), tp_row("h", 1000.0, 90, 3)]
        m = report.by_median(rows, ("proxy", "size", "conns"), ranges=("rps",))[0]
        self.assertEqual(m["rps"], 1000.0)
        self.assertEqual(m["proxy_cpu_ticks"], 70)
        self.assertEqual(m["rps_range"], (900.0, 1200.0))
        self.assertEqual(m["rounds"], 3)
        self.assertEqual(m["conns"], 64)  # a key field is never averaged
        self.assertIsInstance(m["clk_tck"], int)  # the same value in every round stays as it was

    def test_even_count_takes_the_mean_of_the_two_middle_values(self):
        rows = [tp_row("h", 900.0, 40, 1), tp_row("h", 1100.0, 60, 2)]
        self.assertEqual(report.by_median(rows, ("proxy",))[0]["rps"], 1000.0)

    def test_counts_are_summed_and_a_bad_round_marks_the_cell(self):
        rows = [tp_row("h", 1000.0, 50, 1), tp_row("h", 1000.0, 50, 2, non2xx=3), tp_row("h", 1000.0, 50, 3)]
        m = report.by_median(rows, ("proxy",), sums=("non2xx",))[0]
        self.assertEqual(m["non2xx"], 3)
        self.assertTrue(m["bad"])

    def test_error_kinds_add_up_and_size_ok_needs_every_round(self):
        rows = [{"proxy": "h", "rate": 1000, "errors": 0, "error_kinds": {}, "size_ok": True, "round": 1},
                {"proxy": "h", "rate": 1000, "errors": 5, "error_kinds": {"timeout": 3, "reset": 2}, "size_ok": False, "round": 2},
                {"proxy": "h", "rate": 1000, "errors": 1, "error_kinds": {"timeout": 1}, "size_ok": True, "round": 3}]
        m = report.by_median(rows, ("proxy", "rate"), sums=("errors",))[0]
        self.assertEqual(m["errors"], 6)
        self.assertEqual(m["error_kinds"], {"timeout": 4, "reset": 2})
        self.assertFalse(m["size_ok"])

    def test_cells_stay_apart(self):
        rows = [tp_row("h", 1000.0, 50, 1, conns=1), tp_row("h", 2000.0, 50, 1, conns=64),
                tp_row("h", 1100.0, 50, 2, conns=1), tp_row("h", 2100.0, 50, 2, conns=64)]
        merged = report.by_median(rows, ("proxy", "size", "conns"))
        self.assertEqual(sorted((m["conns"], m["rps"]) for m in merged), [(1, 1050.0), (64, 2050.0)])

    def test_spread_is_shown_only_for_several_rounds(self):
        one = report.by_median([tp_row("h", 1000.0, 50)], ("proxy",), ranges=("rps",))[0]
        three = report.by_median([tp_row("h", v, 50, i) for i, v in enumerate((900.0, 1000.0, 1200.0))], ("proxy",), ranges=("rps",))[0]
        self.assertEqual(report.spread(one, "rps", report.fmt_int), "")
        self.assertEqual(report.spread(three, "rps", report.fmt_int), " (900–1,200)")


class PeerRows(unittest.TestCase):
    def data(self, rows):
        return {"config": {"sizes": ["1k"], "conns": [64]}, "throughput": rows, "latency": [], "memory": [], "sse": []}

    def verdict(self, rows, cell):
        return next(r for r in report.peer_rows(self.data(rows)) if r[0] == cell)[5]

    def test_requests_per_second_against_the_best_peer(self):
        cell = "1 KiB, 64 conn: requests/s"
        self.assertTrue(self.verdict([tp_row("healthproxy", 1000.0, 50), tp_row("haproxy", 990.0, 50), tp_row("nginx", 999.0, 50)], cell))
        self.assertFalse(self.verdict([tp_row("healthproxy", 1000.0, 50), tp_row("haproxy", 990.0, 50), tp_row("nginx", 1001.0, 50)], cell))

    def test_a_peer_cell_with_errors_is_left_out(self):
        cell = "1 KiB, 64 conn: requests/s"
        rows = [tp_row("healthproxy", 1000.0, 50), tp_row("haproxy", 990.0, 50), tp_row("nginx", 5000.0, 50, non2xx=1)]
        self.assertTrue(self.verdict(rows, cell))

    def test_healthproxy_with_errors_is_not_judged(self):
        cell = "1 KiB, 64 conn: requests/s"
        rows = [tp_row("healthproxy", 9000.0, 50, non2xx=1), tp_row("haproxy", 990.0, 50)]
        self.assertIsNone(self.verdict(rows, cell))

    def test_cpu_is_judged_against_haproxy(self):
        cell = "1 KiB, 64 conn: proxy CPU s per 100k requests"
        self.assertTrue(self.verdict([tp_row("healthproxy", 1000.0, 50), tp_row("haproxy", 1000.0, 51)], cell))
        self.assertFalse(self.verdict([tp_row("healthproxy", 1000.0, 52), tp_row("haproxy", 1000.0, 51)], cell))

    def test_added_p99_at_the_goal_rate(self):
        def lat(proxy, p99):
            return {"proxy": proxy, "rate": report.GOAL_RATE, "p99_us": p99, "errors": 0}
        d = self.data([])
        d["latency"] = [lat("direct", 100.0), lat("healthproxy", 300.0), lat("haproxy", 250.0), lat("nginx", 400.0)]
        row = next(r for r in report.peer_rows(d) if r[0].startswith("added p99"))
        self.assertEqual(row[1:4], ("+0.200", "+0.150", "+0.300"))
        self.assertFalse(row[5])

    def test_a_baseline_with_errors_judges_nothing(self):
        d = self.data([])
        d["latency"] = [{"proxy": "direct", "rate": report.GOAL_RATE, "p99_us": 900_000.0, "errors": 50},
                        {"proxy": "healthproxy", "rate": report.GOAL_RATE, "p99_us": 300.0, "errors": 0},
                        {"proxy": "haproxy", "rate": report.GOAL_RATE, "p99_us": 250.0, "errors": 0}]
        row = next(r for r in report.peer_rows(d) if r[0].startswith("added p99"))
        self.assertIsNone(row[5])
        goal = next(g for g in report.goals({**d, "memory": [], "sse": [], "sizes": [], "startup": []}) if g[0].startswith("added p99"))
        self.assertIsNone(goal[3])

    def test_the_goals_table_skips_a_bad_cell_too(self):
        d = {**self.data([tp_row("healthproxy", 9000.0, 50, non2xx=1), tp_row("haproxy", 990.0, 50)]),
             "sizes": [], "startup": []}
        goal = next(g for g in report.goals(d) if g[0].startswith("requests/s"))
        self.assertIsNone(goal[3])


class SseDerive(unittest.TestCase):
    def test_the_clients_own_error_count_is_kept(self):
        r = report.sse_derive({"streams": 10, "opened": 10, "failed": 0, "silent": 0, "errors": 3})
        self.assertEqual(r["errors"], 3)

    def test_a_line_without_one_derives_it(self):
        r = report.sse_derive({"streams": 10, "opened": 8, "failed": 1, "silent": 2})
        self.assertEqual(r["errors"], 5)


if __name__ == "__main__":
    unittest.main(verbosity=1)
