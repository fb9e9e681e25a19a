"""Ingest speed by encoder: the real pipeline's cold ingest against a raw PyTorch
``SentenceTransformer.encode`` of exactly the texts it embedded, in the same run, repeated.

    strategy-assistant bench ingest-speed --beir ../shared/bench/scifact --docs 1000 \\
        --backends torch,onnx,bf16 --runs 3 --write-docs

Each run ingests every corpus (the seed corpus; the first ``--docs`` SciFact abstracts) once per
ingest backend into an empty index, re-ingests it unchanged, and right after times one raw
``encode`` (the configured batch size, float32, PyTorch: the ingest encoder before issue 15,
without the pipeline) of the passage texts and sentences the index holds. The ratio is raw
encode time / cold ingest time: how many times faster the whole ingest (loading, chunking,
embedding, Chroma, registry, BM25) is than encoding its texts with plain sentence-transformers.
Backends run in a rotated order so drift in the machine's load spreads over all of them. The
stored vectors are compared with the raw encode's (cosine per text), which is the check that
retrieval is unchanged.
"""

from __future__ import annotations

import os
import tempfile
import time
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
from eval.bench.ingest_speed import pipeline_texts


def stored_vectors(service) -> np.ndarray:
    """The index's passage vectors, then its sentence vectors, in ``pipeline_texts`` order."""
    registry = service.store.registry
    ids = [chunk.chunk_id for chunk, _ in registry.iter_chunks()]
    pairs = registry.vectors(ids)
    passages = [pairs[i][0] for i in ids]
    sentences = [pairs[i][1] for i in ids]
    return np.vstack([np.stack(passages), *sentences])


def raw_encode(embeddings, texts: list[str], batch_size: int) -> tuple[float, np.ndarray]:
    """Wall time and vectors of one raw ``SentenceTransformer.encode`` over ``texts``."""
    with Timer() as timer:
        vectors = embeddings._model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return timer.seconds, np.asarray(vectors, dtype=np.float32)


def load_backend(settings: Settings, backend: str):
    """Embeddings whose ingest encoder is ``backend``, loaded (the one-off cost timed apart)."""
    from assistant.index.embeddings import make_embeddings

    embeddings = make_embeddings(
        settings.embedding_model,
        settings.embedding_device,
        settings.embedding_batch_size,
        settings.embedding_query_backend,
        settings.data_dir / "models",
        backend,
    )
    with Timer() as timer:
        embeddings.encode(["warm up the ingest encoder"])
    if embeddings.ingest_backend != backend:
        err.print(
            f"[yellow]{backend} is unusable here; it fell back to {embeddings.ingest_backend}"
        )
    return embeddings, timer.seconds


def ingest_once(label: str, folder: Path, settings: Settings, embeddings, tmp: Path) -> dict:
    """Cold ingest of ``folder`` into an empty index, then the same folder unchanged."""
    from assistant.application.service import AssistantService

    service = AssistantService(settings.model_copy(update={"data_dir": tmp}), embeddings)
    encoded_before = embeddings.texts_encoded
    progress = StageProgress(f"{label}: cold ingest ({embeddings.ingest_backend})")
    try:
        cold = service.ingest_folder(folder, progress)
    finally:
        progress.close()
    with Timer() as again_timer:
        again = service.ingest_folder(folder)
    passages, sentences = pipeline_texts(service)
    documents, chunks = service.store.registry.counts()
    row = {
        "documents": documents,
        "passages": chunks,
        "texts": passages + sentences,
        "vectors": stored_vectors(service),
        "texts_embedded": cold.texts_embedded,
        "texts_encoded": embeddings.texts_encoded - encoded_before,
        "cold_seconds": cold.seconds,
        "embed_seconds": cold.embed_seconds,
        "unchanged_seconds": again.seconds,
        "unchanged_wall_seconds": again_timer.seconds,
        "unchanged_reembedded": again.texts_embedded,
    }
    service.close()
    return row


def run(
    beir: Path | None,
    docs: int,
    runs: int,
    backends: list[str],
    with_seed: bool,
    write_docs: bool,
    settings: Settings,
    raw: bool = True,
) -> dict:
    """``raw`` False: time the ingests only (a full-corpus figure; no ratio, no cosines)."""
    from eval.bench.datasets import load_beir
    from eval.bench.index_cache import write_corpus_folder
    from eval.bench.ingest_backends_report import ingest_backends_markdown, print_rows
    from eval.bench.speed_report import save_report

    info = machine()
    loaded = {b: load_backend(settings, b) for b in backends}
    baseline = loaded[backends[0]][0]  # its ``_model`` is the plain sentence-transformers model
    raw_encode(baseline, ["warm up the model"] * 8, 8)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-speed-") as tmp_name:
        tmp = Path(tmp_name)
        corpora: list[tuple[str, Path]] = []
        if with_seed:
            corpora.append(("seed corpus", settings.corpus_dir))
        if beir is not None and docs:
            sample = load_beir(beir, "test").docs[:docs]
            write_corpus_folder(sample, tmp / "scifact")
            corpora.append((f"SciFact, first {len(sample)} abstracts", tmp / "scifact"))
        rows: list[dict] = []
        for run_number in range(runs):
            order = backends[run_number % len(backends) :] + backends[: run_number % len(backends)]
            for label, folder in corpora:
                for backend in order:
                    data_dir = tmp / f"data-{run_number}-{len(rows)}-{backend}"
                    result = ingest_once(label, folder, settings, loaded[backend][0], data_dir)
                    # right after the ingest it is compared with: the machine is shared, and
                    # its load drifts over minutes
                    raw_seconds, raw_vectors = None, None
                    if raw:
                        err.print(f"{label}: raw encode of the same {len(result['texts'])} texts…")
                        raw_seconds, raw_vectors = raw_encode(
                            baseline, result["texts"], settings.embedding_batch_size
                        )
                    rows.append(
                        _row(
                            label,
                            run_number,
                            backend,
                            loaded[backend],
                            result,
                            raw_seconds,
                            raw_vectors,
                        )
                    )
                print_rows(
                    sorted(rows[-len(backends) :], key=lambda r: backends.index(r["backend"]))
                )
    report = {
        "machine": info,
        "date": now_stamp(),
        "commit": git_commit(),
        "command": command_line(),
        "runs": runs,
        "backends": backends,
        "rows": rows,
        "peak_rss_mb": peak_rss_mb(),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
    }
    save_report(settings, "bench-ingest-speed", report)
    if write_docs:
        sub = SUBSECTION if raw else WHOLE_CORPUS_SUBSECTION
        write_section("Ingest", ingest_backends_markdown(report), sub=sub)
        err.print(f"docs/BENCHMARKS.md: 'Ingest' > '{sub}' updated")
    return report


SUBSECTION = "Ingest vs raw PyTorch encode, by ingest encoder"
WHOLE_CORPUS_SUBSECTION = "Whole-corpus cold ingest (no raw encode)"


def _row(label, run_number, backend, loaded, result, raw_seconds, raw_vectors) -> dict:
    embeddings, load_seconds = loaded
    if raw_vectors is not None and len(result["vectors"]) != len(raw_vectors):
        raise RuntimeError("the index holds a different number of vectors than texts")
    cosines = None if raw_vectors is None else (result["vectors"] * raw_vectors).sum(axis=1)
    return {
        "corpus": label,
        "run": run_number + 1,
        "backend": backend,
        "backend_used": embeddings.ingest_backend,
        "encoder_load_seconds": load_seconds,
        "raw_seconds": raw_seconds,
        "ratio": None if raw_seconds is None else raw_seconds / result["cold_seconds"],
        "min_cosine_vs_raw": None if cosines is None else float(cosines.min()),
        "mean_cosine_vs_raw": None if cosines is None else float(cosines.mean()),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "at": time.strftime("%H:%M:%S"),
        **{k: v for k, v in result.items() if k not in ("texts", "vectors")},
    }
