"""A sentence-level index for the latency benchmark: every sentence of an indexed corpus as a
passage of its own, re-using the sentence vectors the pipeline computed (nothing is embedded
again)."""

from __future__ import annotations

import json
import shutil

import numpy as np

from assistant.core.models import Chunk
from assistant.core.settings import Settings
from eval.bench.common import (
    progress_bar,
)


def build_sentence_index(source, base: Settings, embeddings, rebuild: bool):
    """SciFact sentences as separate passages, derived from the abstracts index ``source``:
    one passage per sentence with the sentence vector the pipeline already computed."""
    from assistant.application.service import AssistantService

    folder = source.folder.with_name(source.folder.name.replace("scifact", "scifact-sentences", 1))
    marker = folder / "bench-index.json"
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    settings = base.model_copy(update={"data_dir": folder})
    service = AssistantService(settings, embeddings=embeddings)
    if marker.exists():
        return service, json.loads(marker.read_text(encoding="utf-8"))
    registry, target = source.service.store.registry, service.store
    stored = registry.documents()
    total = 0
    with progress_bar("Sentence index", len(stored)) as advance:
        for document in stored:
            chunks = registry.chunks_of(document.meta.doc_id)
            vectors = registry.vectors([c.chunk_id for c in chunks])
            new_chunks, texts, rows = [], [], []
            for chunk in chunks:
                spans = chunk.sentence_spans or [(0, len(chunk.text))]
                matrix = vectors[chunk.chunk_id][1]
                for index, (start, end) in enumerate(spans):
                    text = chunk.text[start:end]
                    if not text.strip() or index >= len(matrix):
                        continue
                    ordinal = len(new_chunks)
                    new_chunks.append(
                        Chunk(
                            chunk_id=f"{document.meta.doc_id}:s{document.content_hash[:11]}:"
                            f"{ordinal:04d}",
                            doc_id=document.meta.doc_id,
                            ordinal=ordinal,
                            text=text,
                            start=chunk.start + start,
                            end=chunk.start + end,
                            sentence_spans=[(0, len(text))],
                        )
                    )
                    texts.append(f"{document.meta.title}\n{text}")
                    rows.append(matrix[index])
            if not new_chunks:
                advance(1)
                continue
            matrix = np.vstack(rows).astype(np.float32)
            target.vectors.upsert(
                [c.chunk_id for c in new_chunks],
                matrix,
                [{"doc_id": c.doc_id, "content_hash": "s", "kind": c.kind} for c in new_chunks],
            )
            target.registry.replace_document(
                document.meta,
                document.content_hash,
                document.text,
                [],
                new_chunks,
                texts,
                matrix,
                [row[None, :] for row in rows],
            )
            total += len(new_chunks)
            advance(1)
    target.rebuild_keyword_index()
    meta = {"passages": total, "documents": len(stored), "derived_from": str(source.folder)}
    marker.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return service, meta
