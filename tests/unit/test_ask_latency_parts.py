"""The parts that keep an ask fast without changing its answer: questions encoded in their
caller's thread but still batched when concurrent, the per-generation passage cache, the side
thread for BM25, and the remembered content words and idfs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.answering.word_memo import share_present, text_words
from assistant.core.text_match import content_words, overlap
from assistant.index.embeddings import SentenceTransformerEmbeddings
from assistant.index.keyword_index import KeywordIndex
from assistant.retrieval.passage_cache import PassageCache
from assistant.retrieval.side_task import SideRunner, SideTask


class _Encoder(SentenceTransformerEmbeddings):
    """Only the question-batching machinery; ``encode_queries`` records its batches."""

    def __init__(self, delay: float = 0.0, fail: str | None = None) -> None:  # no model
        self._pending = []
        self._pending_lock = threading.Lock()
        self._encoding = False
        self.batches: list[list[str]] = []
        self.threads: list[str] = []
        self.delay = delay
        self.fail = fail

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.threads.append(threading.current_thread().name)
        time.sleep(self.delay)
        if self.fail in texts:
            raise RuntimeError("model fault")
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def test_a_lone_question_is_encoded_in_the_callers_thread():
    encoder = _Encoder()
    vector = encoder.encode_query("skills")
    assert vector.tolist() == [6.0, 1.0]
    assert encoder.threads == [threading.current_thread().name]
    assert encoder._encoding is False and encoder._pending == []


def test_questions_arriving_during_a_batch_share_the_next_one():
    encoder = _Encoder(delay=0.2)
    results: dict[str, list[float]] = {}

    def ask(text: str) -> None:
        results[text] = encoder.encode_query(text).tolist()

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    time.sleep(0.05)  # the first batch is running
    others = [threading.Thread(target=ask, args=(f"q{i}" * (i + 1),)) for i in range(5)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join()
    assert encoder.batches[0] == ["first"]
    assert len(encoder.batches) == 2 and sorted(encoder.batches[1]) == sorted(
        f"q{i}" * (i + 1) for i in range(5)
    )
    for text, vector in results.items():
        assert vector == [float(len(text)), 1.0]
    assert encoder._encoding is False


def test_a_failed_batch_fails_its_callers_only():
    encoder = _Encoder(fail="broken")
    with pytest.raises(RuntimeError, match="model fault"):
        encoder.encode_query("broken")
    assert encoder.encode_query("fine").tolist() == [4.0, 1.0]


class _Registry:
    def __init__(self) -> None:
        self.gen = 1
        self.reads = 0
        self.snapshots = 0
        self.rows = {
            "d:h:0001": ("chunk-1", np.ones(2), np.ones((1, 2))),
            "d:h:0002": ("chunk-2", np.zeros(2), np.zeros((2, 2))),
        }

    def generation(self) -> int:
        return self.gen

    def snapshot(self):
        registry = self

        class _Snapshot:
            def __enter__(self):
                registry.snapshots += 1

            def __exit__(self, *exc):
                return False

        return _Snapshot()

    def vectors(self, ids):
        self.reads += 1
        return {i: self.rows[i][1:] for i in ids if i in self.rows}

    def chunks(self, ids):
        return {i: self.rows[i][0] for i in ids if i in self.rows}


def test_passages_are_read_once_per_generation_and_unknown_ids_left_out():
    registry, cache = _Registry(), PassageCache(size=10)
    first = cache.load(registry, ["d:h:0001", "d:h:0009"])
    assert list(first) == ["d:h:0001"] and first["d:h:0001"][0] == "chunk-1"
    again = cache.load(registry, ["d:h:0001"])
    assert again["d:h:0001"] is first["d:h:0001"] and registry.reads == 1
    registry.gen = 2  # an ingest, upload, delete or edit: read again
    cache.load(registry, ["d:h:0001"])
    assert registry.reads == 2 and registry.snapshots == 2


def test_the_passage_cache_is_bounded():
    registry, cache = _Registry(), PassageCache(size=1)
    cache.load(registry, ["d:h:0001", "d:h:0002"])
    assert len(cache._items) == 1


def test_a_side_task_runs_once_in_line_when_no_helper_took_it():
    calls: list[str] = []
    task = SideTask(lambda: calls.append(threading.current_thread().name) or 42)
    assert task.result() == 42 and task.result() == 42
    assert calls == [threading.current_thread().name]


def test_a_side_task_on_the_helper_hands_back_its_value_and_its_error():
    runner = SideRunner()
    assert runner.start(lambda: "bm25").result() == "bm25"

    def broken():
        raise ValueError("index gone")

    with pytest.raises(ValueError, match="index gone"):
        runner.start(broken).result()


def test_remembered_words_are_the_same_words():
    question = content_words("What did partners say about apprenticeships?")
    for text in ["Partners said the apprenticeships offer improved.", "", "Adult learners' views"]:
        assert text_words(text) == content_words(text)
        assert share_present(question, text) == overlap(question, text)
    assert share_present(set(), "anything") == overlap(set(), "anything")


def test_remembered_idfs_match_fresh_ones():
    texts = ["apprenticeships for adults", "school partners", "adult learning and skills"]
    index = KeywordIndex.build(["d:h:1", "d:h:2", "d:h:3"], texts, 1)
    fresh = KeywordIndex.build(["d:h:1", "d:h:2", "d:h:3"], texts, 1)
    words = ["adult", "partner", "nowhere"]
    assert index.inverse_document_frequencies(words) == fresh.inverse_document_frequencies(words)
    assert index.inverse_document_frequencies(words) == fresh.inverse_document_frequencies(words)
