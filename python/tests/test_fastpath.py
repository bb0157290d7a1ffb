# SPDX-License-Identifier: BSD-3-Clause
"""python/fastpath against a real backtest: `fastpath backtest` of the RITCH sample with
the probe strategy (docs/backtest.md, the case computed by hand), then the report, fills,
equity and journal read back into DataFrames and checked against it.

Run by ctest (tests/backtest/CMakeLists.txt): python3 -m unittest with FP_BIN, FP_SOURCE,
FP_DATA and FP_PROBE in the environment.
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import fastpath  # noqa: E402


class BacktestReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        conf = os.path.join(d, "bt.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f'''instance = "py";
book = {{ symbols = 64; orders = 65536; populate = false; }};
strategies = {{ list = ( {{ id = 1; name = "probe"; path = "{os.environ["FP_PROBE"]}";
  params = ["buy=100", "buy_symbol=2"]; }} ); }};
risk = {{ limits = "{os.environ["FP_SOURCE"]}/config/risk.conf"; env = "dev"; symbols = 64; }};
backtest = {{ fee_taker = 30; }};
''')
        cls.out = os.path.join(d, "out")
        data = os.path.join(os.environ["FP_DATA"], "itch50", "ritch_ex20101224.TEST_ITCH_50")
        subprocess.run([os.path.join(os.environ["FP_BIN"], "fastpath"), "backtest",
                        "--config", conf, "--data", data, "--out", cls.out, "--quiet",
                        "--no-plots"], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_report_lines_hold_the_hand_computed_result(self):
        rep = fastpath.read_report(self.out)
        self.assertEqual(rep["run"]["messages"], 12012)
        lines = fastpath.report_lines(rep)
        self.assertEqual(len(lines), 1)
        row = lines.iloc[0]
        self.assertEqual(row["stock"], "BOB")
        self.assertEqual(row["position"], 100)
        self.assertAlmostEqual(row["net"], -3.22, places=6)

    def test_fills_and_equity_frames(self):
        fills = fastpath.read_fills(self.out)
        self.assertEqual(list(fills["price"]), [5.4167])
        self.assertEqual(fills["liquidity"].iloc[0], "R")
        eq = fastpath.read_equity(self.out)
        self.assertTrue({"t_s", "equity", "drawdown", "position"} <= set(eq.columns))
        self.assertAlmostEqual(eq["equity"].iloc[-1], -3.22, places=6)

    def test_journal_decodes_orders_and_reports(self):
        rep = fastpath.read_report(self.out)
        j = fastpath.read_journal(os.path.join(self.out, rep["journal"]["path"]))
        self.assertEqual(len(j), rep["journal"]["records"])
        self.assertEqual(list(j["record"]), ["store_start", "order_new", "order_new",
                                             "exec_accepted", "exec_fill", "pos_snapshot"])
        self.assertEqual(list(j["producer"]), ["store", "risk", "gw", "gw", "gw", "store"])
        snap = j.iloc[-1]  # the close's snapshot equals the report's line
        line = fastpath.report_lines(rep).iloc[0]
        self.assertEqual(snap["position"], line["position"])
        self.assertEqual(snap["stock"], "BOB")
        self.assertAlmostEqual(snap["unrealized"], line["unrealized"], places=4)
        self.assertAlmostEqual(snap["price"], 5.3875)
        fill = j[j["record"] == "exec_fill"].iloc[0]
        self.assertEqual(fill["shares"], 100)
        self.assertAlmostEqual(fill["price"], 5.4167)
        self.assertEqual(fill["side"], "B")
        self.assertEqual(fill["client_order_id"], j.iloc[1]["client_order_id"])

    def test_journal_refuses_other_files(self):
        with self.assertRaises(ValueError):
            fastpath.read_journal(os.path.join(self.out, "report.json"))


if __name__ == "__main__":
    unittest.main()
