"""Hand-made passages for answering tests: a chunk of ``text`` split into sentences as ingest
splits them, under a document's metadata."""

from __future__ import annotations

from typing import Any

from assistant.core.models import Chunk, DocumentMeta, Passage
from assistant.core.sentences import split_sentences


def make_passage(
    text: str, meta: DocumentMeta, chunk_id: str | None = None, ordinal: int = 0, **fields: Any
) -> Passage:
    """A passage of ``meta``'s document; ``fields``: other ``Chunk`` fields (kind, speaker,
    section_path …). The chunk id defaults to ``<doc id>:<ordinal>``."""
    chunk = Chunk(
        chunk_id=chunk_id or f"{meta.doc_id}:{ordinal}",
        doc_id=meta.doc_id,
        ordinal=ordinal,
        text=text,
        start=0,
        end=len(text),
        sentence_spans=split_sentences(text),
        **fields,
    )
    return Passage(chunk=chunk, document=meta)
