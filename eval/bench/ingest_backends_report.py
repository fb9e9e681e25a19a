"""``bench ingest-speed`` reports: a terminal table per run and corpus, and the summary over runs
for docs/BENCHMARKS.md (Ingest > by ingest encoder)."""

from __future__ import annotations

import numpy as np

from eval.bench.common import measured_header, out_console

TARGET = 3.0  # issue 15: ingest >= 3x a raw PyTorch encode of the same texts


def print_rows(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(title=f"Ingest, run {rows[0]['run']}: {rows[0]['corpus']}")
    for column in (
        "encoder",
        "texts",
        "distinct",
        "cold s",
        "embed s",
        "raw encode s",
        "ratio",
        "unchanged s",
        "min cosine",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            _name(r),
            str(r["texts_embedded"]),
            str(r["texts_encoded"]),
            f"{r['cold_seconds']:.1f}",
            f"{r['embed_seconds']:.1f}",
            _or_dash(r["raw_seconds"], "{:.1f}"),
            _or_dash(r["ratio"], "{:.2f}×"),
            f"{r['unchanged_seconds']:.3f}",
            _or_dash(r["min_cosine_vs_raw"], "{:.5f}"),
        )
    out_console().print(table)


def _or_dash(value: float | None, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


def _name(row: dict) -> str:
    used = row["backend_used"]
    return row["backend"] if used == row["backend"] else f"{row['backend']} (fell back: {used})"


def summary(rows: list[dict]) -> list[dict]:
    """One line per corpus and encoder over the runs."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["corpus"], row["backend"]), []).append(row)
    lines = []
    for (corpus, backend), group in groups.items():
        ratios = [r["ratio"] for r in group if r["ratio"] is not None]
        cosines = [r["min_cosine_vs_raw"] for r in group if r["min_cosine_vs_raw"] is not None]
        lines.append(
            {
                "corpus": corpus,
                "backend": backend,
                "name": _name(group[0]),
                "runs": len(group),
                "passages": group[0]["passages"],
                "texts": group[0]["texts_embedded"],
                "distinct": group[0]["texts_encoded"],
                "ratios": ratios,
                "ratio_median": float(np.median(ratios)) if ratios else None,
                "cold": [r["cold_seconds"] for r in group],
                "embed": [r["embed_seconds"] for r in group],
                "raw": [r["raw_seconds"] for r in group if r["raw_seconds"] is not None],
                "unchanged_max": max(r["unchanged_seconds"] for r in group),
                "reembedded": max(r["unchanged_reembedded"] for r in group),
                "min_cosine": min(cosines) if cosines else None,
                "load": [r["loadavg_1m"] for r in group],
                "encoder_load": group[0]["encoder_load_seconds"],
            }
        )
    return lines


def _spread(values: list[float], digits: int = 1) -> str:
    if not values:
        return "–"
    return f"{np.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def ingest_backends_markdown(report: dict) -> str:
    lines = [
        *measured_header(report, f"; {report['runs']} runs"),
        "Each run ingests each corpus once per ingest encoder (`ASSISTANT_EMBEDDING_INGEST_"
        "BACKEND`) into an empty index — the whole pipeline: loading, chunking, embedding every "
        "passage and every sentence, Chroma, the registry, BM25 — then once more unchanged, and "
        "right after it times one raw `SentenceTransformer.encode` (PyTorch float32, batch size "
        "as configured) of exactly the texts the index holds. **Ratio = raw "
        "encode time / cold ingest time** (target ≥ 3×); median (min–max) over the runs. "
        "`torch` is the ingest encoder before issue 15 (sentence-transformers; identical texts "
        "are now encoded once, for every encoder). Min cosine compares every stored vector "
        "with the raw encode's.",
        "",
        "| corpus | ingest encoder | passages | texts (distinct) | cold ingest s | of which "
        "embedding s | raw encode s | ratio | unchanged re-ingest (max) | min cosine vs "
        "PyTorch | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summary(report["rows"]):
        lines.append(
            f"| {s['corpus']} | {s['name']} | {s['passages']} | {s['texts']} ({s['distinct']}) | "
            f"{_spread(s['cold'])} | {_spread(s['embed'])} | {_spread(s['raw'])} | "
            f"**{_spread(s['ratios'], 2)}×** | {s['unchanged_max']:.3f} s | "
            f"{_or_dash(s['min_cosine'], '{:.5f}')} | {min(s['load']):.1f}–{max(s['load']):.1f} |"
        )
    lines.append("")
    return "\n".join(lines)
