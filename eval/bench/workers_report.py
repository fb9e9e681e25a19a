"""The "Serving with several workers" section of docs/BENCHMARKS.md."""

from __future__ import annotations

from datetime import UTC, datetime

from eval.bench.common import machine_line


def _row(label: str, summary: dict) -> str:
    return (
        f"| {label} | {summary['requests']} | {summary['throughput_rps']:.1f} req/s | "
        f"{summary.get('p50_ms', 0):.0f} ms | {summary.get('p95_ms', 0):.0f} ms | "
        f"{summary['errors']} | {summary['server_cpu_ms']:.1f} ms | "
        f"{summary['client_cpu_ms']:.1f} ms |"
    )


def render(result: dict, workers: int, clients: int, duration: float, command: str, info) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} on {machine_line(info)}.",
        "",
        f"Command: `{command}`",
        "",
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
        "request | client CPU per request |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, row in enumerate(result["rows"], 1):
        lines.append(f"| {number} " + _row("1 worker", row[1]))
        lines.append(f"| {number} " + _row(f"{workers} workers", row[workers]))
    ratios = ", ".join(f"{row['ratio']:.2f}×" for row in result["rows"])
    target = "met" if result["ratio_median"] >= 1.6 else "**not met**"
    lines += [
        "",
        f"Throughput ratio, {workers} workers / 1: **{result['ratio_median']:.2f}×** median "
        f"({result['ratio_min']:.2f}–{result['ratio_max']:.2f}; runs: {ratios}). "
        f"Target ≥ 1.6×: {target}.",
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
