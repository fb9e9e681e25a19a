"""What the API load test measured and its report: latencies, errors and the server's own
timings per request; percentiles, verdicts against the targets, and the Markdown section."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from eval.metrics import percentile

TARGETS = {"p50_ms": 40.0, "p95_ms": 120.0, "errors": 0}
STAGES = (
    "cache_ms",
    "embed_ms",
    "dense_ms",
    "bm25_ms",
    "load_ms",
    "rerank_ms",
    "answer_ms",
    "total_ms",
)


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cached: int = 0  # answers served from the server's answer cache

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def summarise(results: Results) -> dict:
    lat = results.latencies_ms
    summary = {
        "requests": len(lat),
        "errors": sum(results.errors.values()),
        "throughput_rps": len(lat) / results.seconds if results.seconds else 0.0,
        "cached": results.cached,
    }
    if lat:
        summary.update(
            p50_ms=percentile(lat, 50),
            p95_ms=percentile(lat, 95),
            p99_ms=percentile(lat, 99),
            max_ms=max(lat),
            mean_ms=statistics.fmean(lat),
        )
    summary["server_median_ms"] = {
        stage: statistics.median(values)
        for stage in STAGES
        if (values := results.server_ms.get(stage))
    }
    return summary


def verdicts(summary: dict) -> dict[str, bool]:
    return {
        "p50": summary.get("p50_ms", float("inf")) <= TARGETS["p50_ms"],
        "p95": summary.get("p95_ms", float("inf")) <= TARGETS["p95_ms"],
        "errors": summary["errors"] == TARGETS["errors"],
    }


def render(
    summary: dict, single: dict, errors: dict, args, info: dict, health: dict, command: str
) -> str:
    ok = verdicts(summary)
    mark = {True: "met", False: "**missed**"}
    server = summary["server_median_ms"]
    p50 = summary.get("p50_ms", 0.0)
    cached_share = summary["cached"] / summary["requests"] if summary["requests"] else 0.0
    rows = [
        "| measure | result | target |",
        "|---|---|---|",
        f"| concurrent clients | {args.clients} | 20 |",
        f"| requests completed in {args.duration:.0f} s | {summary['requests']} | |",
        f"| answers served from the answer cache | {cached_share:.0%} | |",
        f"| throughput | {summary['throughput_rps']:.1f} req/s | |",
        f"| errors | {summary['errors']} | 0 ({mark[ok['errors']]}) |",
        f"| p50 latency | {p50:.1f} ms | ≤ 40 ms ({mark[ok['p50']]}) |",
        f"| p95 latency | {summary.get('p95_ms', 0):.1f} ms | ≤ 120 ms ({mark[ok['p95']]}) |",
        f"| p99 latency | {summary.get('p99_ms', 0):.1f} ms | |",
        f"| max latency | {summary.get('max_ms', 0):.1f} ms | |",
    ]
    if single["requests"]:
        rows.append(
            f"| one client alone ({args.baseline:.0f} s, before): p50 | "
            f"{single['p50_ms']:.1f} ms ({single['throughput_rps']:.1f} req/s) | |"
        )
    stages = ", ".join(f"{k.removesuffix('_ms')} {v:.1f}" for k, v in server.items())
    caches = (
        "server caches as configured (answers and question vectors; an answer is reused only "
        "for the same question, history, filters and top_k over the same index)"
        if args.cache == "on"
        else "server caches switched off (`ASSISTANT_ANSWER_CACHE_SIZE=0 "
        "ASSISTANT_QUERY_CACHE_SIZE=0`): every request embeds, searches and answers"
    )
    warm = (
        f"{args.warmup} requests first (every question once, so the cache is warm)"
        if args.cache == "on"
        else f"{args.warmup} requests first"
    )
    lines = [
        f"Date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}. Machine: {info['cpus']} cores "
        f"({info['cpu']}), {info['ram_gb']} GB RAM, Python {info['python']}; 1-minute load "
        f"average before the run {info['loadavg_1m']}.",
        "",
        f"Command: `{command}`"
        + (
            ""
            if args.url
            else f" (index built first with `ASSISTANT_DATA_DIR={args.data_dir} "
            "strategy-assistant ingest corpus`; the script starts and stops the server)"
        ),
        "",
        f"Index: {health.get('documents')} documents, {health.get('chunks')} passages, "
        f"embeddings {health.get('embedding_model')}; {caches}. Warm-up: {warm}. Questions: "
        f"the {args.question_count} questions of eval/questions.yaml, each client in its own "
        "order. Latency is measured by the client (aiohttp on the same machine, request sent "
        "to response read), so the load generator shares the two cores with the server.",
        "",
        *rows,
        "",
        f"Server-side medians per request (`Answer.timings`, ms): {stages}.",
    ]
    if summary["throughput_rps"] and p50:
        little = args.clients / summary["throughput_rps"] * 1000
        if args.cache == "on":
            explain = (
                f"Where the time goes: a cached answer costs the service "
                f"{server.get('total_ms', 0.0):.1f} ms; the rest of the {p50:.1f} ms is HTTP, "
                "JSON and queueing behind the other clients in one Python server process "
                "(and the client itself). "
            )
        else:
            explain = (
                f"Where the time goes: of the median {p50:.1f} ms a client waits, the service "
                f"reports {server.get('total_ms', 0.0):.1f} ms, of which "
                f"{server.get('embed_ms', 0.0):.1f} ms is `embed`: encoding the question, "
                "including the wait for the model (questions that arrive while a batch runs "
                "are encoded together in the next one). Alone, a request takes "
                f"{single['server_median_ms'].get('total_ms', 0):.1f} ms in the service "
                f"({single['server_median_ms'].get('embed_ms', 0):.1f} ms embedding). "
            )
        lines += [
            "",
            explain + f"With {args.clients} clients always in flight, mean latency ≈ clients ÷ "
            f"throughput (Little's law): {args.clients} ÷ {summary['throughput_rps']:.1f} req/s "
            f"≈ {little:.0f} ms.",
        ]
    if not (ok["p50"] and ok["p95"]):
        needed = args.clients / (TARGETS["p50_ms"] / 1000)
        lines += [
            "",
            f"The latency targets are missed. With {args.clients} clients always waiting, a "
            f"p50 of {TARGETS['p50_ms']:.0f} ms needs about {needed:.0f} req/s, i.e. "
            f"{1000 / needed:.1f} ms of work per request on two cores for everything (model, "
            "Chroma, BM25, sentence index, answer, HTTP and JSON), with the load generator on "
            "the same cores.",
        ]
    if summary["errors"]:
        lines += ["", "Errors by kind: " + ", ".join(f"{k}: {v}" for k, v in errors.items())]
    return "\n".join(lines)
