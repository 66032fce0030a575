#!/usr/bin/python3
"""Tests of bench/sse.py's last client line (done_line), whose "errors" every SSE bench script judges.

  /usr/bin/python3 bench/sse_test.py     (CTest: bench/sse)
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sse  # noqa: E402


class DoneLine(unittest.TestCase):
    def test_every_lost_stream_is_an_error(self):
        # 10 asked, 8 opened, 1 of them failed and 2 fell silent: 2 + 1 + 2 lost.
        d = sse.done_line(10, 8, 1, 2, {"ConnectionRefusedError": 2, "closed by the proxy": 1}, [], 5, 1.0)
        self.assertEqual(d["errors"], 5)
        self.assertEqual((d["streams"], d["opened"], d["failed"], d["silent"]), (10, 8, 1, 2))

    def test_a_clean_run_has_none(self):
        d = sse.done_line(3, 3, 0, 0, {}, [3_000, 1_000, 2_000], 2, 1.0)
        self.assertEqual(d["errors"], 0)
        self.assertEqual((d["events"], d["events_expected"]), (3, 6))
        self.assertEqual((d["p50_us"], d["max_us"]), (2.0, 3.0))

    def test_no_events_no_percentiles(self):
        d = sse.done_line(1, 1, 0, 1, {}, [], 2, 1.0)
        self.assertEqual((d["errors"], d["p99_us"], d["max_us"]), (1, None, None))


if __name__ == "__main__":
    unittest.main()
