"""Build a benchmark corpus into a real index with the real ingest pipeline, cached by content.

Each document is written as a ``.txt`` file into a temporary folder with a ``manifest.yaml``
giving its id and title, then ``IngestPipeline.ingest_folder`` indexes the folder exactly as
``strategy-assistant ingest`` would (chunking, passage and sentence embeddings, Chroma, BM25).
The index lives under ``data/bench/<name>-<key>``: the key hashes the documents and the settings
that shape the index, so a rerun on the same data reuses it. The ingest code is fingerprinted
too; a cached index built by different ingest code is reported (use ``--rebuild``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from assistant.core.settings import PROJECT_ROOT, Settings
from assistant.index.embeddings import SentenceTransformerEmbeddings
from eval.bench.common import StageProgress, err
from eval.bench.datasets import BenchDoc
from eval.bench.precomputed import PrecomputedEncoder, precompute
from ingest.manifest import slugify


@dataclass
class BuiltIndex:
    name: str
    folder: Path
    service: object  # AssistantService
    meta: dict
    reused: bool
    slug_to_id: dict[str, str]

    def doc_of_chunk(self, chunk_id: str) -> str:
        slug = chunk_id.split(":", 1)[0]
        return self.slug_to_id.get(slug, slug)

    def doc_ranking(self, chunk_ranking: list[str]) -> list[str]:
        """Documents (original ids) in the order of their best chunk."""
        seen: dict[str, None] = {}
        for chunk_id in chunk_ranking:
            seen.setdefault(self.doc_of_chunk(chunk_id), None)
        return list(seen)


def ingest_code_fingerprint() -> str:
    """Hash of the ingest package and the embedding module (what shapes an index)."""
    digest = hashlib.sha256()
    files = sorted((PROJECT_ROOT / "ingest").glob("*.py")) + [
        PROJECT_ROOT / "assistant" / "index" / "embeddings.py",
        PROJECT_ROOT / "assistant" / "index" / "onnx_encoder.py",
        PROJECT_ROOT / "assistant" / "core" / "sentences.py",
        PROJECT_ROOT / "assistant" / "core" / "normalise.py",
        PROJECT_ROOT / "assistant" / "index" / "keyword_index.py",
    ]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def content_key(docs: list[BenchDoc], settings: Settings) -> str:
    digest = hashlib.sha256()
    digest.update(f"{settings.embedding_model}|{settings.chunk_max_chars}".encode())
    for doc in docs:
        for part in (doc.doc_id, doc.title, doc.text):
            digest.update(part.encode("utf-8"))
            digest.update(b"\0")
    return digest.hexdigest()[:12]


def write_corpus_folder(docs: list[BenchDoc], folder: Path) -> dict[str, str]:
    """One ``<slug>.txt`` per document plus ``manifest.yaml``; returns slug -> original id."""
    folder.mkdir(parents=True, exist_ok=True)
    entries: dict[str, dict] = {}
    slug_to_id: dict[str, str] = {}
    for doc in docs:
        slug = slugify(doc.doc_id)
        if slug in slug_to_id:
            raise ValueError(f"document ids {doc.doc_id!r} and {slug_to_id[slug]!r} collide")
        slug_to_id[slug] = doc.doc_id
        (folder / f"{slug}.txt").write_text(_body(doc) + "\n", encoding="utf-8")
        entries[f"{slug}.txt"] = {"id": slug, "title": doc.title or doc.doc_id}
    (folder / "manifest.yaml").write_text(
        yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return slug_to_id


def pipeline_texts_for(docs: list[BenchDoc], chunk_max_chars: int) -> list[str]:
    """The texts the pipeline will embed for ``docs`` (passage embed texts and sentences),
    computed with the pipeline's own public pieces: loader, metadata, chunker, embed text."""
    from assistant.core.errors import UnreadableDocumentError
    from assistant.core.models import SourceDocument
    from ingest.documents import embed_text_for
    from ingest.loaders import load_bytes
    from ingest.manifest import build_meta
    from ingest.structured_chunker import StructuredChunker

    chunker = StructuredChunker(chunk_max_chars)
    texts: list[str] = []
    for doc in docs:
        slug = slugify(doc.doc_id)
        body = _body(doc)
        try:
            loaded = load_bytes((body + "\n").encode("utf-8"), ".txt", f"{slug}.txt")
        except UnreadableDocumentError:
            continue
        entry = {"id": slug, "title": doc.title or doc.doc_id}
        meta = build_meta(entry, f"{slug}.txt", loaded.text, slug)
        meta.doc_id = slug
        document = SourceDocument(meta=meta, text=loaded.text, content_hash="0" * 64)
        chunks = chunker.split(document)
        texts.extend(embed_text_for(document, chunk) for chunk in chunks)
        texts.extend(s for chunk in chunks for s in (chunk.sentences() or [chunk.text]))
    return texts


def _body(doc: BenchDoc) -> str:
    return doc.text.strip() or doc.title.strip() or doc.doc_id  # no empty files


def bench_root(settings: Settings) -> Path:
    return settings.data_dir / "bench"


def build_index(
    name: str,
    docs: list[BenchDoc],
    base: Settings,
    embeddings,
    rebuild: bool = False,
    precomputed: bool = True,
) -> BuiltIndex:
    """Open the cached index for ``docs`` or build it with the real ingest pipeline.

    With ``precomputed`` the pipeline's encoder answers from vectors computed beforehand in
    large sorted batches (same model, same vectors); everything else is the real pipeline.
    """
    from assistant.application.service import AssistantService

    key = content_key(docs, base)
    folder = bench_root(base) / f"{name}-{key}"
    meta_path = folder / "bench-index.json"
    fingerprint = ingest_code_fingerprint()
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    settings = base.model_copy(update={"data_dir": folder})
    slug_to_id = {slugify(d.doc_id): d.doc_id for d in docs}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        service = AssistantService(settings, embeddings=embeddings)
        if meta.get("ingest_code") != fingerprint:
            err.print(
                f"[yellow]note:[/yellow] the cached {name} index was built by different ingest "
                f"code ({meta.get('ingest_code')} vs now {fingerprint}); pass --rebuild to "
                "measure the current code."
            )
        return BuiltIndex(name, folder, service, meta, True, slug_to_id)
    service = AssistantService(settings, embeddings=embeddings)
    resumed = service.store.registry.counts()[0] > 0  # an earlier build was interrupted
    encoder = None
    precompute_seconds = 0.0
    if precomputed and isinstance(embeddings, SentenceTransformerEmbeddings):
        started = time.perf_counter()
        texts = pipeline_texts_for(docs, base.chunk_max_chars)
        encoder = PrecomputedEncoder(embeddings, precompute(embeddings, texts, name))
        precompute_seconds = time.perf_counter() - started
        service.pipeline.embeddings = encoder
    progress = StageProgress(f"Ingest {name} ({len(docs)} docs)")
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        write_corpus_folder(docs, Path(tmp))
        try:
            report = service.ingest_folder(Path(tmp), progress)
        finally:
            progress.close()
            service.pipeline.embeddings = embeddings
    documents, chunks = service.store.registry.counts()
    meta = {
        "name": name,
        "key": key,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ingest_code": fingerprint,
        "documents": documents,
        "passages": chunks,
        "skipped": len(report.skipped),
        "resumed": resumed,
        "ingest_seconds": round(report.seconds, 2),
        "embed_seconds": round(report.embed_seconds, 2),
        "chunks_embedded": report.chunks_embedded,
        "texts_embedded": report.texts_embedded,
        "precompute_seconds": round(precompute_seconds, 2),
        "embedding": (
            f"precomputed in length-sorted batches ({encoder.hits} served, {encoder.misses} "
            "encoded during ingest)"
            if encoder is not None
            else "pipeline"
        ),
    }
    if report.skipped:
        err.print(f"[yellow]{len(report.skipped)} documents skipped[/yellow]: {report.skipped[:3]}")
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return BuiltIndex(name, folder, service, meta, False, slug_to_id)
