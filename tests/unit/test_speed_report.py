"""bench speed's query-latency figures: several passes summarised (median, min-max) and the
Query latency section with its spread and an earlier report as before -> after."""

from __future__ import annotations

from eval.bench.query_latency import summarise_runs
from eval.bench.speed import baseline_of
from eval.bench.speed_report import latency_markdown


def _pass(ask: float, bare: float) -> dict:
    return {
        "queries": 10,
        "ask_p50_ms": ask,
        "ask_p95_ms": ask * 2,
        "bare_p50_ms": bare,
        "bare_p95_ms": bare * 2,
        "ratio_p50": ask / bare,
        "ratio_p95": ask / bare,
        "breakdown_mean_ms": {"embed_ms": ask / 2, "total_ms": ask},
    }


def _report(rows: list[dict], runs: int) -> dict:
    machine = {"cpus": 2, "ram_gb": 8, "python": "3.11", "platform": "Linux", "loadavg_1m": 1.0}
    return {
        "machine": machine,
        "date": "2026-12-01 12:00 UTC",
        "commit": "abc1234",
        "command": "strategy-assistant bench speed --only query --runs 3",
        "runs": runs,
        "latency": rows,
        "peak_rss_mb": 100.0,
    }


def test_passes_are_summarised_by_their_median_and_spread():
    row = summarise_runs([_pass(12, 10), _pass(11, 10), _pass(15, 10)])
    assert row["ask_p50_ms"] == 12 and row["ratio_p50"] == 1.2
    assert row["spread"]["ratio_p50"] == [1.1, 1.5]
    assert row["n_passes"] == 3 and row["queries"] == 10
    assert row["breakdown_mean_ms"]["total_ms"] == (12 + 11 + 15) / 3


def test_the_section_shows_the_spread_the_target_and_before_to_after():
    after = summarise_runs([_pass(12, 10), _pass(11, 10), _pass(13, 10)])
    before = summarise_runs([_pass(20, 10), _pass(19, 10), _pass(21, 10)])
    for row in (after, before):
        row.update({"label": "seed corpus", "passages": 201, "peak_rss_mb": 100.0})
    report = _report([after], 3)
    report["baseline"] = baseline_of({"commit": "old", "date": "d", "latency": [before]})
    text = latency_markdown(report)
    assert "1.20× (1.10–1.30)" in text
    assert "Target ask ≤ 1.2×" in text and "p50 **met** at every size" in text
    assert "2.00× (1.90–2.10) → 1.20× (1.10–1.30)" in text
    assert "3 passes over the questions" in text


def test_one_pass_shows_no_spread():
    row = summarise_runs([_pass(18, 10)])
    row.update({"label": "seed corpus", "passages": 201, "peak_rss_mb": 100.0})
    text = latency_markdown(_report([row], 1))
    assert "1.80× |" in text and "**not met** (met for: none)" in text
