"""Ingest speed: a cold ingest and an unchanged re-ingest of a folder, next to one raw
sentence-transformers ``encode`` of exactly the texts the pipeline embedded.

    strategy-assistant bench ingest --write-docs                       # seed corpus only
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from assistant.core.settings import Settings
from eval.bench.common import (
    StageProgress,
    Timer,
    command_line,
    err,
    git_commit,
    machine,
    now_stamp,
    peak_rss_mb,
    write_section,
)
from eval.bench.speed_report import ingest_markdown, print_ingest, save_report


def pipeline_texts(service) -> tuple[list[str], list[str]]:
    """What the pipeline embedded for the indexed passages: their embed texts, their sentences."""
    passages, sentences = [], []
    for chunk, embed_text in service.store.registry.iter_chunks():
        passages.append(embed_text)
        sentences.extend(chunk.sentences() or [chunk.text])
    return passages, sentences


def raw_encode_seconds(embeddings, texts: list[str], batch_size: int) -> float:
    """Wall time of one raw ``SentenceTransformer.encode`` call over ``texts``."""
    model = embeddings._model  # the sentence-transformers model itself, no wrapper
    with Timer() as timer:
        model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return timer.seconds


def measure_ingest(
    label: str, folder: Path, settings: Settings, embeddings, data_dir: Path
) -> tuple[dict, object]:
    """Cold ingest of ``folder`` into an empty index at ``data_dir``, then unchanged re-ingest,
    with raw encodes of exactly the texts the pipeline embedded (twice each, as load drifts).
    Returns the row and the service (open, for latency measurements)."""
    from assistant.application.service import AssistantService

    service = AssistantService(settings.model_copy(update={"data_dir": data_dir}), embeddings)
    if service.store.registry.counts()[0]:
        raise RuntimeError(f"{data_dir} is not empty; a cold ingest needs an empty index")
    progress = StageProgress(f"Cold ingest {label}")
    try:
        cold = service.ingest_folder(folder, progress)
    finally:
        progress.close()
    with Timer() as again_timer:
        again = service.ingest_folder(folder)
    passages, sentences = pipeline_texts(service)
    batch = settings.embedding_batch_size
    err.print(f"Raw encode of the same {len(passages) + len(sentences)} texts (x2)…")
    both = [raw_encode_seconds(embeddings, passages + sentences, batch) for _ in range(2)]
    only = [raw_encode_seconds(embeddings, passages, batch) for _ in range(2)]
    documents, chunks = service.store.registry.counts()
    raw_both, raw_only = float(np.mean(both)), float(np.mean(only))
    row = {
        "label": label,
        "documents": documents,
        "passages": chunks,
        "sentences": len(sentences),
        "texts_embedded": cold.texts_embedded,
        "cold_seconds": cold.seconds,
        "embed_seconds": cold.embed_seconds,
        "unchanged_seconds": again.seconds,
        "unchanged_wall_seconds": again_timer.seconds,
        "unchanged_reembedded": again.texts_embedded,
        "passages_per_s": chunks / cold.seconds if cold.seconds else None,
        "raw_both_seconds": both,
        "raw_passages_seconds": only,
        "raw_both_passages_per_s": chunks / raw_both,
        "raw_passages_only_per_s": chunks / raw_only,
        "vs_raw_both": raw_both / cold.seconds,
        "vs_raw_passages_only": raw_only / cold.seconds,
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "peak_rss_mb": peak_rss_mb(),
    }
    return row, service


def run_seed_ingest(settings: Settings, write_docs: bool, embeddings=None) -> dict:
    from assistant.index.embeddings import make_embeddings

    info = machine()
    embeddings = embeddings or make_embeddings(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    raw_encode_seconds(embeddings, ["warm up the model"] * 8, 8)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        row, service = measure_ingest(
            "seed corpus", settings.corpus_dir, settings, embeddings, Path(tmp) / "data"
        )
        service.close()
    report = {
        "machine": info,
        "date": now_stamp(),
        "commit": git_commit(),
        "command": command_line(),
        "ingest": [row],
    }
    print_ingest([row])
    save_report(settings, "bench-ingest", report)
    if write_docs:
        write_section("Ingest", ingest_markdown(report))
        err.print("docs/BENCHMARKS.md: section 'Ingest' updated")
    return report
