"""The in-memory sentence index also holds every passage of its generation (chunk JSON and
passage vector), so candidates are parsed from memory; it never serves a passage of another
generation: after a write the registry is read again."""

from __future__ import annotations

import numpy as np

from assistant.core.chunk_ids import doc_id_of
from assistant.index.sentence_index import SentenceIndex
from assistant.retrieval.passage_cache import PassageCache


def _no_reads(registry, monkeypatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("read the registry although the index holds the passages")

    for name in ("passages", "vectors", "chunks"):
        monkeypatch.setattr(registry, name, forbidden)


def test_the_index_holds_every_passage_as_the_registry_stores_it(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    registry = fake_service.store.registry
    index = fake_service.store.sentence_index()
    assert index.holds_passages and index.generation == registry.generation()
    ids = sorted(registry.chunk_ids())
    chunks, vectors = registry.chunks(ids), registry.vectors(ids)
    for chunk_id in ids:
        chunk, vector = index.passage(chunk_id)
        assert chunk == chunks[chunk_id]
        assert np.array_equal(vector, vectors[chunk_id][0]) and not vector.flags.writeable
    assert index.passage("missing:id:0000") is None


def test_candidates_come_from_the_index_without_reading_the_registry(
    fake_service, corpus_copy, monkeypatch
):
    fake_service.ingest_folder(corpus_copy)
    registry = fake_service.store.registry
    index = fake_service.store.sentence_index()
    ids = sorted(registry.chunk_ids())[:30]
    stored_chunks, stored_vectors = registry.chunks(ids), registry.vectors(ids)
    _no_reads(registry, monkeypatch)
    got = PassageCache().load(registry, [*ids, "missing:id:0000"], index)
    assert sorted(got) == ids
    for chunk_id, (chunk, vector, sentences) in got.items():
        assert chunk == stored_chunks[chunk_id]
        assert np.array_equal(vector, stored_vectors[chunk_id][0])
        assert np.array_equal(sentences, stored_vectors[chunk_id][1])


def test_after_a_write_the_old_index_never_serves_its_passages(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    registry = fake_service.store.registry
    old = fake_service.store.sentence_index()
    ids = sorted(registry.chunk_ids())
    gone = doc_id_of(ids[0])
    cache = PassageCache()
    assert ids[0] in cache.load(registry, ids[:5], old)  # cached for the old generation
    fake_service.delete_document(gone)
    assert registry.generation() != old.generation and old.passage(ids[0]) is not None
    got = cache.load(registry, ids[:5], old)  # handed the stale index: the registry answers
    assert ids[0] not in got
    assert all(doc_id_of(chunk_id) != gone for chunk_id in got)
    fresh = fake_service.store.sentence_index()
    assert fresh.passage(ids[0]) is None


class _Rows:
    """A registry with ``iter_passage_rows``; the second passage has no sentences."""

    def generation(self) -> int:
        return 4

    def iter_passage_rows(self):
        yield "d:h:0001", _json("d:h:0001"), np.ones(2, np.float32), np.ones((2, 2), np.float32)
        yield "d:h:0002", _json("d:h:0002"), np.zeros(2, np.float32), np.zeros((0, 2), np.float32)


def _json(chunk_id: str) -> str:
    return (
        f'{{"chunk_id": "{chunk_id}", "doc_id": "d", "ordinal": 0, "text": "Text.", '
        '"start": 0, "end": 5}'
    )


def test_a_passage_without_sentences_is_still_held():
    index = SentenceIndex.from_registry(_Rows())
    assert len(index) == 2 and index.holds_passages
    chunk, vector = index.passage("d:h:0002")
    assert chunk.chunk_id == "d:h:0002" and np.array_equal(vector, np.zeros(2))
    assert index.sentences_of("d:h:0002", 2).shape == (0, 2)
    got = PassageCache().load(_Rows(), ["d:h:0002", "d:h:0001"], index)
    assert got["d:h:0001"][2].shape == (2, 2) and got["d:h:0002"][2].shape == (0, 2)


def test_only_the_returned_passages_are_parsed_and_they_are_the_stored_ones(
    fake_service, corpus_copy, monkeypatch
):
    fake_service.ingest_folder(corpus_copy)
    retriever = fake_service.retriever
    assert not retriever.reranker.needs_text
    question = "What did partners say about apprenticeships?"
    expected = retriever.retrieve(question)  # parsed or cached, the same passages
    parsed: list[str] = []
    original = SentenceIndex.passage

    def counting(self, chunk_id):
        parsed.append(chunk_id)
        return original(self, chunk_id)

    monkeypatch.setattr(SentenceIndex, "passage", counting)
    retriever._passages = PassageCache()  # nothing parsed yet
    result = retriever.retrieve(question)
    returned = [p.chunk.chunk_id for p in result.passages]
    assert returned == [p.chunk.chunk_id for p in expected.passages]
    assert sorted(parsed) == sorted(returned)  # not the other candidates
    stored = fake_service.store.registry.chunks(returned)
    for passage in result.passages:
        assert passage.chunk == stored[passage.chunk.chunk_id]
        assert passage.chunk.text and passage.document.doc_id == passage.chunk.doc_id


def test_a_reranker_that_reads_text_gets_parsed_candidates(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    retriever = fake_service.retriever
    seen: list[str] = []

    class _TextReranker:
        name = "reads-text"

        def rerank(self, question, query_vector, passages, sentence_vectors):
            seen.extend(p.chunk.text for p in passages)  # a placeholder has no text
            return passages

    retriever.reranker = _TextReranker()
    result = retriever.retrieve("What did partners say about apprenticeships?")
    assert result.passages and len(seen) >= len(result.passages) and all(seen)
