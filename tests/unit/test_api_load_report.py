"""The load script's report: verdicts against the targets, cache share, where the time goes."""

from __future__ import annotations

from types import SimpleNamespace

from eval.bench.api_load import Results, render, summarise

INFO = {"cpus": 2, "cpu": "test CPU", "ram_gb": 8.0, "python": "3.11", "loadavg_1m": 0.1}
HEALTH = {"documents": 5, "chunks": 201, "embedding_model": "all-MiniLM-L6-v2"}


def results(latencies: list[float], cached: int, stages: dict[str, float]) -> Results:
    out = Results(latencies_ms=latencies, seconds=1.0, cached=cached)
    for stage, value in stages.items():
        out.server_ms[stage] = [value] * len(latencies)
    return out


def args(cache: str) -> SimpleNamespace:
    return SimpleNamespace(
        clients=20, duration=1.0, baseline=1.0, warmup=113, cache=cache, url=None,
        data_dir="data", question_count=113,
    )  # fmt: skip


def test_cached_run_meeting_the_targets_says_so():
    run = results([10.0] * 95 + [100.0] * 5, cached=100, stages={"cache_ms": 0.2, "total_ms": 0.2})
    single = results([2.0] * 10, cached=10, stages={"total_ms": 0.2})
    text = render(summarise(run), summarise(single), {}, args("on"), INFO, HEALTH, "cmd")
    assert "| answers served from the answer cache | 100% |" in text
    assert "| p50 latency | 10.0 ms | ≤ 40 ms (met) |" in text
    assert "| p95 latency | 14.5 ms | ≤ 120 ms (met) |" in text
    assert "a cached answer costs the service 0.2 ms" in text
    assert "targets are missed" not in text


def test_uncached_run_missing_the_targets_explains_why():
    run = results([300.0] * 100, cached=0, stages={"embed_ms": 150.0, "total_ms": 270.0})
    run.errors = {"HTTP 500": 2}
    single = results([20.0] * 10, cached=0, stages={"embed_ms": 9.0, "total_ms": 18.0})
    text = render(summarise(run), summarise(single), run.errors, args("off"), INFO, HEALTH, "c")
    assert "caches switched off" in text and "| answers served from the answer cache | 0% |" in text
    assert "≤ 40 ms (**missed**)" in text and "targets are missed" in text
    assert "| errors | 2 | 0 (**missed**) |" in text
    assert "of which 150.0 ms is `embed`" in text and "18.0 ms in the service" in text
    assert "Errors by kind: HTTP 500: 2" in text
