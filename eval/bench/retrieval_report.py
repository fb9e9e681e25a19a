"""The retrieval benchmark's report: one terminal table per set and the Public benchmarks part
of docs/BENCHMARKS.md."""

from __future__ import annotations

from eval.bench.common import git_commit, measured_header, out_console
from eval.bench.index_cache import ingest_code_fingerprint


def fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def print_set(entry: dict) -> None:
    from rich.table import Table

    metrics = list(next(iter(entry["variants"].values())))
    table = Table(
        title=f"{entry['name']} ({entry['queries']} queries, {entry['passages']} passages)"
    )
    table.add_column("variant")
    for metric in metrics:
        table.add_column(metric, justify="right")
    for variant, values in entry["variants"].items():
        table.add_row(
            variant,
            *[f"{values[m]:.0f}" if m == "ms_per_query" else fmt(values[m]) for m in metrics],
        )
    out_console().print(table)
    if "tuning" in entry:
        main = "ndcg@10" if entry["kind"] == "beir" else "mrr@10"
        tuning = Table(title=f"{entry['name']}: best fusion settings by {main} (offline)")
        columns = (
            "setting",
            "rrf_k",
            "w_dense",
            "w_sentences",
            "w_bm25",
            "fetch_k",
            "rerank_weights",
            main,
        )
        for column in columns:
            tuning.add_column(column)
        for row in entry["tuning"][:12]:
            tuning.add_row(
                *[str(row.get(c, "")) if c != main else fmt(row.get(c)) for c in columns]
            )
        out_console().print(tuning)


def markdown(report: dict) -> str:
    lines = [
        *measured_header(report, commit=report.get("commit") or git_commit()),
        "Every corpus is indexed by the real ingest pipeline (one `.txt` per document with a "
        "`manifest.yaml` giving id and title, so the title is part of both the embedded and the "
        "BM25 text). Each query is ranked by the service's `HybridRetriever.rank_all` (MMR off, "
        "every candidate list widened to the ranking depth) with the mode and reranker switched "
        "per variant: `bm25`; `dense` (the retriever's dense mode: all-MiniLM-L6-v2 passage "
        "vectors fused with its sentence-vector list); `hybrid` (RRF of those and BM25, no "
        "rerank); `hybrid+rerank` (the application's default: RRF, then the sentence "
        "reranker). A document's rank is that of its best passage. Nothing was tuned on these "
        "test figures.",
        "",
    ]
    for entry in report["sets"]:
        metrics = list(next(iter(entry["variants"].values())))
        notes = "; ".join(entry["notes"]) or "all queries"
        lines += [
            f"#### {entry['name']}",
            "",
            f"{entry['documents']} documents → {entry['passages']} passages; "
            f"{entry['queries']} queries ({notes}); ranking depth {entry['depth']} passages.",
            "",
            "| variant | " + " | ".join(metrics) + " |",
            "|---|" + "---:|" * len(metrics),
        ]
        for variant, values in entry["variants"].items():
            cells = [f"{values[m]:.0f}" if m == "ms_per_query" else fmt(values[m]) for m in metrics]
            lines.append(f"| {variant} | " + " | ".join(cells) + " |")
        hybrid = entry["variants"].get("hybrid+rerank") or entry["variants"].get("hybrid")
        if entry["kind"] == "beir" and entry["name"].startswith("scifact") and hybrid:
            best = max(
                (v.get("ndcg@10") or 0, k)
                for k, v in entry["variants"].items()
                if k.startswith("hybrid")
            )
            met = "met" if best[0] >= 0.70 else "not met"
            lines += [
                "",
                f"Target: hybrid nDCG@10 ≥ 0.70 — **{met}** (best hybrid variant `{best[1]}` "
                f"{best[0]:.3f}). References: BM25 0.662 measured elsewhere, 0.665 in the BEIR "
                "paper; all-MiniLM-L6-v2 dense 0.645 (MTEB).",
            ]
        if entry["kind"] == "squad" and entry.get("relevant_per_query", 1) > 1.5:
            lines += [
                "",
                f"On average {entry['relevant_per_query']:.1f} paragraphs are relevant per "
                "query: the questions name no website and were annotated on paragraphs of "
                "several policies, while many more paragraphs answer them for other policies "
                "without being marked relevant. Every variant scores low for that reason; treat "
                "these rows as a comparison between variants, not as an absolute level.",
            ]
        index = entry["index"]
        if index.get("ingest_code") and index["ingest_code"] != ingest_code_fingerprint():
            lines += [
                "",
                f"The cached index was built by ingest code {index['ingest_code']} (now "
                f"{ingest_code_fingerprint()}, a hash of `ingest/` and the embedding and BM25 "
                "modules); `--rebuild` measures the current code.",
            ]
        if index.get("ingest_seconds") is not None and not index.get("resumed"):
            embedding = index.get("embedding", "pipeline")
            if embedding == "pipeline":
                how = "embedded by the pipeline"
            else:
                how = (
                    f"vectors {embedding}; that encoding took "
                    f"{index.get('precompute_seconds', 0):.0f} s and ran before the ingest"
                )
            lines += [
                "",
                f"Index built {index['built_at']} by the real pipeline in "
                f"{index['ingest_seconds']:.0f} s: {index['chunks_embedded']} passages and "
                f"their sentences ({index['texts_embedded']} texts; {how}). "
                f"{index.get('skipped', 0)} documents skipped by the ingest.",
            ]
        if entry.get("tuning"):
            main = "ndcg@10" if entry["kind"] == "beir" else "mrr@10"
            lines += [
                "",
                f"Offline fusion sweep on these queries (best five by {main}):",
                "",
                "| setting | RRF k | w dense | w sentences | w BM25 | fetch | rerank weights | "
                f"{main} |",
                "|---|---:|---:|---:|---:|---:|---|---:|",
            ]
            for row in entry["tuning"][:5]:
                lines.append(
                    f"| {row['setting']} | {row.get('rrf_k', '')} | {row.get('w_dense', '')} | "
                    f"{row.get('w_sentences', '')} | {row.get('w_bm25', '')} | "
                    f"{row.get('fetch_k', '')} | {row.get('rerank_weights') or ''} | "
                    f"{fmt(row.get(main))} |"
                )
        lines.append("")
    return "\n".join(lines)
