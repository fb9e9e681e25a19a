"""Incremental ingest: load, chunk, embed and commit documents one at a time.

Per document: vectors go into Chroma under ids that embed the content hash, then the registry
swaps in the new version in one SQLite transaction, then the old version's vectors are deleted.
Until that transaction commits, queries keep answering from the previous version; after a
crash the next run sees the old hash, redoes the document and clears any orphans.

Every run (a folder, one upload, one delete) is one write: it holds the index's one-writer lock
(``IndexStore.writing``) from its first look at the registry to the new BM25 build, so what it
decided from the registry still holds when it commits (see ``ingest.commit`` for what a failure
part-way leaves).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.core.errors import IngestError, UnreadableDocumentError
from assistant.core.models import SourceDocument
from assistant.index.embeddings import encode_texts
from assistant.index.index_store import IndexStore
from assistant.index.keyword_index import KeywordIndex
from ingest.archives import ArchiveLimits
from ingest.attribution import Attribution
from ingest.commit import commit_document, delete_document, tidy
from ingest.documents import (
    IngestReport,
    PreparedDocument,
    content_hash,
    content_hash_of,
    embed_text_for,
    same_content,
    sentences_of,
)
from ingest.file_stats import FILE_NAME as FILE_STATS
from ingest.file_stats import FileStats
from ingest.folder_listing import documents_in, file_status, read_file
from ingest.loaders import SUPPORTED_SUFFIXES, load_bytes
from ingest.manifest import MANIFEST_NAME, build_meta, load_manifest, slugify
from ingest.structured_chunker import CHUNKER_VERSION, StructuredChunker

ProgressCallback = Callable[[str, int, int], None]
_ENCODE_SLICE = 512
_GROUP_TEXTS = 4096


class IngestPipeline:
    """Bring the index in line with a folder of documents (or single uploaded files)."""

    def __init__(
        self,
        store: IndexStore,
        embeddings,
        chunk_max_chars: int,
        max_file_bytes: int,
        archive_limits: ArchiveLimits,
        attribution: Attribution,
    ) -> None:
        self.store = store
        self.embeddings = embeddings
        self.chunker = StructuredChunker(chunk_max_chars, attribution)
        self.max_file_bytes = max_file_bytes
        self.archive_limits = archive_limits
        model = getattr(embeddings, "name", type(embeddings).__name__)
        self.signature = (
            f"chunker-{CHUNKER_VERSION}:{chunk_max_chars}:{model}:groups-{attribution.signature}"
        )

    # -- folders -----------------------------------------------------------------------------
    def ingest_folder(self, folder: Path, progress: ProgressCallback | None = None) -> IngestReport:
        started = time.perf_counter()
        folder = folder.expanduser()
        if not folder.is_dir():
            raise IngestError(f"{folder} is not a folder; give the folder holding your documents.")
        files = documents_in(folder, SUPPORTED_SUFFIXES)  # with their paths inside it
        if not files:
            raise IngestError(
                f"No documents in {folder}: add {', '.join(SUPPORTED_SUFFIXES)} files and rerun."
            )
        with self.store.writing():
            return self._ingest_files(folder, files, progress, started)

    def _ingest_files(
        self,
        folder: Path,
        files: list[tuple[str, str]],
        progress: ProgressCallback | None,
        started: float,
    ) -> IngestReport:
        manifest = load_manifest(folder)
        report = IngestReport()
        self._remove_orphans()
        root = folder.resolve()
        prepared: list[PreparedDocument] = []
        seen: dict[str, str] = {}
        hashes = self.store.registry.document_hashes()  # one read; nothing commits until later
        stats = FileStats(self.store.settings.index_dir / FILE_STATS)
        limit = self.max_file_bytes
        for path, relative in files:
            source = f"{root}/{relative}"
            try:
                status = file_status(path)
                raw = stats.raw_hash(source, status)  # unchanged status: not read again
                data = None
                if raw is None:
                    data = read_file(path, limit)
                    raw = hashlib.sha256(data).hexdigest()
                stats.remember(source, status, raw)
                item = self._prepare(
                    data if data is not None else lambda path=path: read_file(path, limit),
                    os.path.splitext(relative)[1],
                    relative,
                    manifest.get(relative),
                    source,
                    seen,
                    report,
                    hashes,
                    raw,
                )
            except UnreadableDocumentError as exc:
                report.skipped.append((relative, str(exc)))
                continue
            if item is not None:
                prepared.append(item)
        stats.save()
        present = {f"{root}/{relative}" for _, relative in files}
        for doc_id, source in self.store.document_sources().items():
            if (source or "").startswith(f"{root}/") and source not in present:
                self._delete(doc_id)
                report.removed.append(doc_id)
        self._embed_and_commit(prepared, report, progress)
        self._finish(report, started)
        return report

    # -- single files (uploads) --------------------------------------------------------------
    def ingest_bytes(
        self,
        data: bytes,
        file_name: str,
        suffix: str,
        entry: dict | None = None,
        progress: ProgressCallback | None = None,
    ) -> tuple[IngestReport, str | None]:
        """Ingest one file's bytes; returns the report and the document id (None if skipped).

        ``progress`` is called as texts are embedded; an exception it raises stops the upload
        before its one registry commit, so nothing of it is committed."""
        started = time.perf_counter()
        if len(data) > self.max_file_bytes:
            raise UnreadableDocumentError(
                f"{file_name}: {len(data)} bytes is over the {self.max_file_bytes}-byte limit."
            )
        with self.store.writing():
            return self._ingest_one(data, file_name, suffix, entry, started, progress)

    def _ingest_one(
        self,
        data: bytes,
        file_name: str,
        suffix: str,
        entry: dict | None,
        started: float,
        progress: ProgressCallback | None = None,
    ) -> tuple[IngestReport, str | None]:
        report = IngestReport()
        raw = hashlib.sha256(data).hexdigest()
        existing = next(
            (d for d, h in self.store.registry.document_hashes().items() if same_content(h, raw)),
            None,
        )
        if existing is not None and entry is None:  # re-upload: keep the indexed version as is
            if existing == slugify(Path(file_name).stem):
                report.unchanged.append(existing)
            else:
                report.duplicates[file_name] = existing
                report.skipped.append((file_name, f"same content as indexed document {existing}"))
            self._finish(report, started)
            return report, existing
        item = self._prepare(data, suffix, file_name, entry, f"upload:{file_name}", {}, report)
        if item is not None:
            doc_id = item.document.meta.doc_id
        else:
            doc_id = (report.unchanged or list(report.duplicates.values()) or [None])[0]
        if item is not None:
            self._embed_and_commit([item], report, progress)
        self._finish(report, started)
        return report, doc_id

    def delete(self, doc_id: str) -> bool:
        with self.store.writing():
            if self.store.registry.document(doc_id, with_text=False) is None:
                return False
            self._delete(doc_id)
            self._rebuild_keyword_index()
            return True

    # -- steps -------------------------------------------------------------------------------
    def _prepare(
        self,
        data: bytes | Callable[[], bytes],
        suffix: str,
        name: str,
        entry: dict | None,
        source: str,
        seen: dict[str, str],
        report: IngestReport,
        hashes: dict[str, str] | None = None,
        raw: str | None = None,
    ) -> PreparedDocument | None:
        """Load and chunk one file, or return None when it is unchanged or a duplicate.

        ``seen`` maps content hashes and document ids already taken in this run to file names;
        ``hashes`` every indexed document's content hash (read once per folder, not per file).
        ``data``: the file's bytes, or, with their sha256 (``raw``), what reads them (only if
        the document has to be indexed).
        """
        if raw is None:  # an upload: only its bytes are known
            raw = hashlib.sha256(data).hexdigest()
        digest = content_hash_of(raw, entry, self.signature)
        if raw in seen:
            report.skipped.append((name, f"same content as {seen[raw]}; not indexed twice"))
            return None
        seen[raw] = name
        registry = self.store.registry
        doc_id = slugify(
            str((entry or {}).get("id") or os.path.splitext(os.path.basename(name))[0])
        )
        if f"id:{doc_id}" in seen:
            doc_id = f"{doc_id}-{digest[:6]}"  # two files with one name in different folders
        seen[f"id:{doc_id}"] = name
        hashes = registry.document_hashes() if hashes is None else hashes
        if hashes.get(doc_id) == digest:
            report.unchanged.append(doc_id)
            return None
        owner = next(
            (d for d, h in hashes.items() if same_content(h, digest) and d != doc_id), None
        )
        if owner is not None:
            report.duplicates[name] = owner
            report.skipped.append((name, f"same content as indexed document {owner}"))
            return None
        if callable(data):
            data = data()
            digest = content_hash(data, entry, self.signature)  # as read, should it differ
        loaded = load_bytes(data, suffix, name, self.archive_limits)
        edits = registry.metadata_edits(doc_id)  # a user's edits outlive every re-ingest
        meta = build_meta(entry, name, loaded.text, source, data=data, edits=edits)
        meta.doc_id = doc_id
        document = SourceDocument(
            meta=meta, text=loaded.text, content_hash=digest, page_starts=loaded.page_starts
        )
        chunks = self.chunker.split(document)
        if not chunks:
            raise UnreadableDocumentError(f"{name}: no passages found in the extracted text.")
        texts = [embed_text_for(document, chunk) for chunk in chunks]
        return PreparedDocument(document, chunks, texts, doc_id in hashes)

    def _embed_and_commit(
        self,
        prepared: list[PreparedDocument],
        report: IngestReport,
        progress: ProgressCallback | None,
    ) -> None:
        """Embed passages and sentences, then commit document by document.

        Documents are embedded in groups of up to ``_GROUP_TEXTS`` texts, longest first across
        the whole group: batches of similar length waste little on padding, which is most of
        the gap to a bare ``encode`` call. An interrupted run loses at most one group's work.
        """
        texts_of = [item.embed_texts + sentences_of(item) for item in prepared]
        total = sum(len(texts) for texts in texts_of)
        done = 0
        if progress:
            progress("embedding", 0, total)
        group: list[int] = []
        group_size = 0
        for index, texts in enumerate(texts_of):
            group.append(index)
            group_size += len(texts)
            if group_size >= _GROUP_TEXTS or index == len(prepared) - 1:
                all_texts = [text for i in group for text in texts_of[i]]
                started = time.perf_counter()
                order = sorted(range(len(all_texts)), key=lambda i: -len(all_texts[i]))
                matrix: np.ndarray | None = None
                for first in range(0, len(order), _ENCODE_SLICE):
                    positions = order[first : first + _ENCODE_SLICE]
                    vectors = encode_texts(self.embeddings, [all_texts[i] for i in positions])
                    if matrix is None:
                        matrix = np.zeros((len(all_texts), vectors.shape[1]), dtype=np.float32)
                    matrix[positions] = vectors
                    done += len(positions)
                    if progress:
                        progress("embedding", done, total)
                report.embed_seconds += time.perf_counter() - started
                cursor = 0
                for i in group:
                    count = len(texts_of[i])
                    self._commit_embedded(prepared[i], matrix[cursor : cursor + count], report)
                    cursor += count
                group, group_size = [], 0

    def _commit_embedded(
        self, item: PreparedDocument, matrix: np.ndarray, report: IngestReport
    ) -> None:
        passage_vectors = matrix[: len(item.chunks)]
        sentence_vectors, cursor = [], len(item.chunks)
        for chunk in item.chunks:
            count = max(1, len(chunk.sentence_spans))
            sentence_vectors.append(matrix[cursor : cursor + count])
            cursor += count
        self._commit(item, passage_vectors, sentence_vectors)
        report.chunks_embedded += len(item.chunks)
        report.texts_embedded += len(matrix)
        (report.updated if item.is_update else report.added).append(item.document.meta.doc_id)

    def _commit(self, item: PreparedDocument, vectors: np.ndarray, sentence_vectors: list) -> None:
        commit_document(self.store, item, vectors, sentence_vectors)

    def _delete(self, doc_id: str) -> None:
        delete_document(self.store, doc_id)

    def _remove_orphans(self) -> None:
        """Vectors left by an interrupted run (not in the registry) are deleted. As many
        vectors as passages: none to delete (listing every id of both took ~25 ms at 8.6k
        passages; were a passage's vector missing as well, the orphan left is never retrieved:
        a candidate the registry does not hold is dropped)."""
        if self.store.vectors.count() == self.store.registry.counts()[1]:
            return
        orphans = self.store.vectors.all_ids() - self.store.registry.chunk_ids()
        if orphans:
            self.store.vectors.delete(sorted(orphans))

    def _finish(self, report: IngestReport, started: float) -> None:
        if report.changed or KeywordIndex.saved_generation(self.store.keyword_dir) is None:
            self._rebuild_keyword_index()
        else:  # rebuilds once if an earlier run stopped before it
            tidy("checking the keyword index", self.store.keyword_index)
        report.seconds = time.perf_counter() - started

    def _rebuild_keyword_index(self) -> None:
        tidy("rebuilding the keyword index", self.store.rebuild_keyword_index)


__all__ = ["IngestError", "IngestPipeline", "IngestReport", "MANIFEST_NAME"]
