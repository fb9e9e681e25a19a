"""`bench workers`' report: the ratio's verdict and the machine's ceiling come from the figures."""

from __future__ import annotations

from eval.bench.workers import Churn
from eval.bench.workers_report import cores_used, render

INFO = {"cpus": 2, "ram_gb": 23.5, "python": "3.11", "platform": "linux", "loadavg_1m": 0.5}
HEADER = {"date": "2026-12-01 12:00 UTC", "commit": "abc1234", "machine": INFO, "command": "cmd"}


def summary(rps: float, cpu_ms: float) -> dict:
    return {
        "requests": int(rps * 20),
        "throughput_rps": rps,
        "p50_ms": 100.0,
        "p95_ms": 150.0,
        "errors": 0,
        "error_kinds": {},
        "server_cpu_ms": cpu_ms,
        "client_cpu_ms": 0.3,
    }


def result(ratio: float, one: dict, many: dict) -> dict:
    return {
        "rows": [{1: one, 2: many, "ratio": ratio}],
        "ratio_median": ratio,
        "ratio_min": ratio,
        "ratio_max": ratio,
        "churn": Churn(uploads=3, deletes=3, stale=0, health_checks=40, processes={1, 2}),
        "churned": many,
        "load_after": 1.0,
    }


def test_cores_used_is_cpu_per_request_times_throughput():
    assert cores_used(summary(200.0, 7.5)) == 1.5


def test_the_report_gives_the_verdict_and_the_ceiling_the_figures_allow():
    text = render(result(1.1, summary(200, 7.5), summary(220, 9.0)), 2, 20, 20, HEADER)
    assert "**1.10×** median" in text and "Target ≥ 1.6×: **not met**" in text
    # 2 cores / 1.5 busy x 7.5 / 9.0 ms per request
    assert "≈ **1.11×**" in text
    assert "| uploads / deletes committed | 3 / 3 |" in text
    met = render(result(1.8, summary(100, 10.0), summary(180, 10.0)), 2, 20, 20, HEADER)
    assert "Target ≥ 1.6×: met" in met and "≈ **2.00×**" in met
