"""The "Serving with several workers" section of docs/BENCHMARKS.md."""

from __future__ import annotations

import statistics

from eval.bench.common import measured_header


def _row(label: str, summary: dict) -> str:
    return (
        f"| {label} | {summary['requests']} | {summary['throughput_rps']:.1f} req/s | "
        f"{summary.get('p50_ms', 0):.0f} ms | {summary.get('p95_ms', 0):.0f} ms | "
        f"{summary['errors']} | {summary['server_cpu_ms']:.1f} ms | "
        f"{cores_used(summary):.2f} | {summary['client_cpu_ms']:.1f} ms |"
    )


def cores_used(summary: dict) -> float:
    """CPU cores the server kept busy: CPU seconds per request x requests per second."""
    return summary["server_cpu_ms"] * summary["throughput_rps"] / 1000


def render(result: dict, workers: int, clients: int, duration: float, header: dict) -> str:
    """The section; ``header`` holds the run's date, commit, machine and command."""
    info = header["machine"]
    lines = [
        *measured_header(header),
        f"The real server (`strategy-assistant serve --workers 1` and `--workers {workers}`) over "
        "one data folder holding the ingested seed corpus, both caches off (every request "
        f"embeds, searches and answers), {clients} aiohttp clients for {duration:.0f} s each, "
        "asking the 113 known-findings questions in client-specific orders. The load generator "
        "shares the machine's cores with the server. Runs alternate which configuration goes "
        "first. CPU per request: user + system seconds of the server's whole process tree "
        "(workers, and the Chroma server they share) and of the load generator, over the run, "
        "divided by the requests it served.",
        "",
        "| run | configuration | requests | throughput | p50 | p95 | errors | server CPU per "
        "request | server cores busy | client CPU per request |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, row in enumerate(result["rows"], 1):
        lines.append(f"| {number} " + _row("1 worker", row[1]))
        lines.append(f"| {number} " + _row(f"{workers} workers", row[workers]))
    ratios = ", ".join(f"{row['ratio']:.2f}×" for row in result["rows"])
    target = "met" if result["ratio_median"] >= 1.6 else "**not met**"
    one = [row[1] for row in result["rows"]]
    many = [row[workers] for row in result["rows"]]
    busy = statistics.median(cores_used(s) for s in one)
    cost_one = statistics.median(s["server_cpu_ms"] for s in one)
    cost_many = statistics.median(s["server_cpu_ms"] for s in many)
    ceiling = (info["cpus"] or 1) / busy * cost_one / cost_many
    lines += [
        "",
        f"Throughput ratio, {workers} workers / 1: **{result['ratio_median']:.2f}×** median "
        f"({result['ratio_min']:.2f}–{result['ratio_max']:.2f}; runs: {ratios}). "
        f"Target ≥ 1.6×: {target}. Load average after the runs: {result['load_after']:.2f}.",
        "",
        f"The ceiling on this machine: one worker already keeps {busy:.2f} of the "
        f"{info['cpus']} cores busy (its question encoder runs beside the Python thread), and a "
        f"request costs {cost_many:.1f} ms of CPU with {workers} workers against {cost_one:.1f} "
        f"ms with one (the shared Chroma server answers over HTTP instead of in-process), so "
        f"even with every core free for the server {workers} workers could reach at most "
        f"{info['cpus']} / {busy:.2f} × {cost_one:.1f} / {cost_many:.1f} ≈ **{ceiling:.2f}×**. "
        "More workers pay where there are more cores than one worker can use.",
        "",
    ]
    churn, churned = result["churn"], result["churned"]
    write_errors = sum(churn.write_errors.values())
    lines += [
        f"With writes: {workers} workers under the same load while one client uploads a small "
        "document (`?wait=true`), then deletes it, again and again; after each commit it reads "
        "`/health` on fresh connections for 1 s (any worker may answer) and counts replies "
        "whose index generation is older than the one just committed.",
        "",
        "| measure | result |",
        "|---|---:|",
        f"| questions answered | {churned['requests']} ({churned['throughput_rps']:.1f} req/s) |",
        f"| question errors | {churned['errors']} {churned['error_kinds'] or ''} |",
        f"| uploads / deletes committed | {churn.uploads} / {churn.deletes} |",
        f"| write errors | {write_errors} {churn.write_errors or ''} |",
        f"| /health replies after a commit (worker processes seen) | {churn.health_checks} "
        f"({len(churn.processes)}) |",
        f"| replies from an older generation than committed | {churn.stale} |",
    ]
    return "\n".join(lines)
