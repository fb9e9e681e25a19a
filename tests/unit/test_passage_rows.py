"""Candidate passages read without their sentence vectors when the in-memory sentence index of
the same generation already holds them, and the same rows either way; question words
tokenised in one call get the same tokens, idfs and missing terms as one call each."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.index.sentence_index import SentenceIndex
from assistant.retrieval.passage_cache import PassageCache


class _Registry:
    """Three passages; the third has no sentence vectors. Counts which reads ran."""

    def __init__(self) -> None:
        self.gen = 1
        self.calls: list[str] = []
        self.rows = {
            "d:h:0001": ("chunk-1", np.ones(2, np.float32), np.ones((1, 2), np.float32)),
            "d:h:0002": (
                "chunk-2",
                np.zeros(2, np.float32),
                np.array([[1, 0], [0, 1]], np.float32),
            ),
            "d:h:0003": ("chunk-3", np.ones(2, np.float32), np.zeros((0, 2), np.float32)),
        }

    def generation(self) -> int:
        return self.gen

    def snapshot(self):
        class _Snapshot:
            def __enter__(self):
                return None

            def __exit__(self, *exc):
                return False

        return _Snapshot()

    def iter_sentence_vectors(self):
        for chunk_id, (_, _, sentences) in self.rows.items():
            yield chunk_id, sentences

    def passages(self, ids):
        self.calls.append("passages")
        return {i: self.rows[i][:2] for i in ids if i in self.rows}

    def vectors(self, ids):
        self.calls.append("vectors")
        return {i: self.rows[i][1:] for i in ids if i in self.rows}

    def chunks(self, ids):
        self.calls.append("chunks")
        return {i: self.rows[i][0] for i in ids if i in self.rows}


def _same_rows(got, registry):
    for chunk_id, (chunk, vector, sentences) in got.items():
        want_chunk, want_vector, want_sentences = registry.rows[chunk_id]
        assert chunk == want_chunk
        assert np.array_equal(vector, want_vector)
        assert sentences.shape == want_sentences.shape
        assert np.array_equal(sentences, want_sentences)


def test_the_sentence_index_of_the_generation_serves_the_sentence_vectors():
    registry = _Registry()
    index = SentenceIndex.from_registry(registry)
    got = PassageCache().load(registry, ["d:h:0001", "d:h:0002", "d:h:0003", "gone"], index)
    assert registry.calls == ["passages"]  # one read, no sentence-vector column
    assert sorted(got) == ["d:h:0001", "d:h:0002", "d:h:0003"]
    _same_rows(got, registry)
    assert not got["d:h:0002"][2].flags.writeable  # rows of the shared index stay unchanged


def test_a_sentence_index_of_another_generation_is_not_used():
    registry = _Registry()
    index = SentenceIndex.from_registry(registry)
    registry.gen = 2  # a writer committed since the index was loaded
    got = PassageCache().load(registry, ["d:h:0001", "d:h:0003"], index)
    assert registry.calls == ["vectors", "chunks"]
    _same_rows(got, registry)


def test_without_a_sentence_index_every_column_is_read():
    registry = _Registry()
    got = PassageCache().load(registry, ["d:h:0002"])
    assert registry.calls == ["vectors", "chunks"]
    _same_rows(got, registry)


def test_sentences_of_a_passage_are_its_rows_of_the_index():
    registry = _Registry()
    index = SentenceIndex.from_registry(registry)
    for chunk_id, (_, _, sentences) in registry.rows.items():
        assert np.array_equal(index.sentences_of(chunk_id, 2), sentences)
    assert index.sentences_of("unknown", 2).shape == (0, 2)
    with pytest.raises(ValueError):
        index.matrix[0, 0] = 5.0  # read-only: its rows are handed to callers


def test_the_registry_reads_the_same_passages_in_one_query(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    registry = fake_service.store.registry
    ids = sorted(registry.chunk_ids())[:40] + ["missing:id:0000"]
    passages = registry.passages(ids)
    chunks, vectors = registry.chunks(ids), registry.vectors(ids)
    assert passages.keys() == chunks.keys() == vectors.keys()
    index = fake_service.store.sentence_index()
    for chunk_id, (chunk, vector) in passages.items():
        assert chunk == chunks[chunk_id]
        assert np.array_equal(vector, vectors[chunk_id][0])
        assert np.array_equal(index.sentences_of(chunk_id, vector.size), vectors[chunk_id][1])


def test_retrieval_hands_back_the_registrys_sentence_vectors(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    result = fake_service.retriever.retrieve("What did partners say about apprenticeships?")
    stored = fake_service.store.registry.vectors(list(result.sentence_vectors))
    assert result.passages and stored.keys() == result.sentence_vectors.keys()
    for chunk_id, sentences in result.sentence_vectors.items():
        assert np.array_equal(sentences, stored[chunk_id][1])


def _tokens_one_by_one(index, words):
    import bm25s

    return [
        bm25s.tokenize(
            [word], stopwords=None, stemmer=index._stemmer, show_progress=False, return_ids=False
        )[0]
        for word in words
    ]


def test_words_tokenised_together_are_tokenised_as_one_by_one():
    from assistant.index.keyword_index import KeywordIndex

    texts = ["Apprenticeships for adults in Leeds", "1,000 school partners", "IL-6 and p53 levels"]
    index = KeywordIndex.build(["d:h:1", "d:h:2", "d:h:3"], texts, 1)
    words = ["Leeds", "1,000", "IL-6", "a", "", "the", "partners'", "Leeds", "unheard-of", "p53"]
    assert index._word_tokens(words) == _tokens_one_by_one(index, words)
    fresh = KeywordIndex.build(["d:h:1", "d:h:2", "d:h:3"], texts, 1)
    import math

    vocab, indptr = index.retriever.vocab_dict, index.retriever.scores["indptr"]
    expected = {}
    for word, tokens in zip(words, _tokens_one_by_one(index, words), strict=True):
        dfs = [int(indptr[vocab[t] + 1] - indptr[vocab[t]]) for t in tokens if t in vocab]
        expected[word] = math.log((3 + 1) / (min(dfs, default=0) + 0.5))
    assert fresh.inverse_document_frequencies(words) == expected
    assert fresh.inverse_document_frequencies(words[:3]) == {w: expected[w] for w in words[:3]}
    assert index.missing_terms(["Leeds", "Kirklees", "IL-6", "", "1,000"]) == ["Kirklees"]


def test_the_idf_memo_stays_bounded_and_right(monkeypatch):
    from assistant.index import keyword_index
    from assistant.index.keyword_index import KeywordIndex

    monkeypatch.setattr(keyword_index, "IDF_MEMO_WORDS", 3)
    index = KeywordIndex.build(["d:h:1", "d:h:2"], ["adult skills", "school skills"], 1)
    first = index.inverse_document_frequencies(["adult", "skills"])
    both = index.inverse_document_frequencies(["skills", "school", "nowhere"])  # overflows
    assert len(index._idf) <= 3 and both["skills"] == first["skills"]
    assert both["school"] == first["adult"] and both["nowhere"] > both["skills"]
