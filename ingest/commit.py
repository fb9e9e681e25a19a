"""Committing one document's version to the index, and the tidying after a commit.

A version is committed by the registry's transaction: its vectors go into Chroma first (ids the
registry does not know are never answered from), then the registry swaps the version in. So a
write that fails before that commit has committed nothing, and the vectors it had added are
taken back. After the commit, dropping the replaced vectors and the BM25 build are tidying: a
failure there leaves the registry (the truth) as committed and is logged, not reported as the
write's failure; the next folder ingest removes stray vectors and a stale BM25 build is rebuilt
when it is next read. A delete asks a Chroma server whether it is up before committing, so
one that is down refuses the delete rather than leaving its vectors behind. Callers hold the
index's write lock (``IndexStore.writing``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from assistant.index.index_store import IndexStore
from ingest.documents import PreparedDocument

logger = logging.getLogger("assistant.ingest")


def commit_document(
    store: IndexStore, item: PreparedDocument, vectors: np.ndarray, sentence_vectors: list
) -> None:
    document = item.document
    ids = [c.chunk_id for c in item.chunks]
    metadatas = [
        {"doc_id": c.doc_id, "content_hash": document.content_hash[:12], "kind": c.kind}
        for c in item.chunks
    ]
    try:
        store.vectors.upsert(ids, vectors, metadatas)
        replaced = store.registry.replace_document(
            document.meta,
            document.content_hash,
            document.text,
            document.page_starts,
            item.chunks,
            item.embed_texts,
            vectors,
            sentence_vectors,
        )
    except Exception:  # not committed: take back the vectors this version added
        tidy("removing uncommitted vectors", _drop_unknown, store, ids)
        raise
    if replaced:
        tidy("removing replaced vectors", store.vectors.delete, replaced)


def delete_document(store: IndexStore, doc_id: str) -> None:
    check_available = getattr(store.vectors, "check_available", None)
    if check_available is not None:  # a Chroma server that is down: refuse, commit nothing
        check_available()
    ids = store.registry.delete_document(doc_id)
    if ids:
        tidy("removing deleted vectors", store.vectors.delete, ids)


def _drop_unknown(store: IndexStore, ids: list[str]) -> None:
    known = store.registry.chunks(ids)  # ids the committed version shares stay
    if unknown := [chunk_id for chunk_id in ids if chunk_id not in known]:
        store.vectors.delete(unknown)


def tidy(what: str, step: Callable, *args) -> None:
    """Run a step after (or instead of) a registry commit; log its failure, do not raise it."""
    try:
        step(*args)
    except Exception:
        logger.warning("%s failed; the index repairs it later", what, exc_info=True)
