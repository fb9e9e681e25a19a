"""The parts that keep an ask fast without changing its answer: questions encoded in their
caller's thread but still batched when concurrent, the per-generation passage cache, the side
thread for BM25, and the remembered content words and idfs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.answering.word_memo import text_words
from assistant.core.text_match import content_words
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

    def encode_queries(self, texts: list[str], before_forward=None) -> np.ndarray:
        if before_forward is not None:
            before_forward()
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


def test_the_helper_starts_a_task_once_it_is_released_and_not_before():
    runner = SideRunner()
    threads: list[str] = []
    task = runner.start(lambda: threads.append(threading.current_thread().name) or "bm25")
    time.sleep(0.02)  # well under RELEASE_TIMEOUT: the helper is waiting for the release
    assert threads == []
    task.release()
    deadline = time.monotonic() + 2
    while not threads and time.monotonic() < deadline:
        time.sleep(0.001)
    assert threads == ["side-task"] and task.result() == "bm25"


def test_an_unreleased_task_does_not_hold_up_the_ones_behind_it(monkeypatch):
    monkeypatch.setattr("assistant.retrieval.side_task.RELEASE_TIMEOUT", 0.01)
    runner = SideRunner()
    runner.start(lambda: "abandoned")  # its caller failed before releasing it
    behind = runner.start(lambda: threading.current_thread().name)
    behind.release()
    deadline = time.monotonic() + 2
    while not behind._done.is_set() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert behind.result() == "side-task"


def test_before_forward_is_called_once_before_the_batch_runs_or_the_caller_waits():
    encoder = _Encoder(delay=0.2)
    order: list[str] = []
    first = threading.Thread(target=lambda: encoder.encode_query("first"))
    first.start()
    time.sleep(0.05)  # the first batch is running: the next caller waits for it
    original = encoder.encode_queries

    def recorded(texts, before_forward=None):
        order.append("batch")
        return original(texts, before_forward)

    encoder.encode_queries = recorded
    encoder.encode_query("second", lambda: order.append("released"))
    first.join()
    assert order == ["released", "batch"]  # released before waiting, not called again
    order.clear()
    encoder.encode_query("alone", lambda: order.append("released"))
    assert order == ["batch", "released"] and encoder.batches[-1] == ["alone"]


def test_remembered_words_are_the_same_words():
    for text in ["Partners said the apprenticeships offer improved.", "", "Adult learners' views"]:
        assert text_words(text) == content_words(text)


def test_remembered_idfs_match_fresh_ones():
    texts = ["apprenticeships for adults", "school partners", "adult learning and skills"]
    index = KeywordIndex.build(["d:h:1", "d:h:2", "d:h:3"], texts, 1)
    fresh = KeywordIndex.build(["d:h:1", "d:h:2", "d:h:3"], texts, 1)
    words = ["adult", "partner", "nowhere"]
    assert index.inverse_document_frequencies(words) == fresh.inverse_document_frequencies(words)
    assert index.inverse_document_frequencies(words) == fresh.inverse_document_frequencies(words)


def _mmr_every_round(passages, vectors, k, lambda_):
    """MMR as it was written before: every remaining passage against every chosen one."""
    from assistant.retrieval.diversity import SAME_DOCUMENT_PENALTY

    remaining, chosen = list(passages), []
    while remaining and len(chosen) < k:
        best, best_value = None, -np.inf
        for passage in remaining:
            redundancy = 0.0
            vector = vectors.get(passage.chunk.chunk_id)
            for other in chosen:
                other_vector = vectors.get(other.chunk.chunk_id)
                similarity = (
                    float(vector @ other_vector)
                    if vector is not None and other_vector is not None
                    else 0.0
                )
                if other.chunk.doc_id == passage.chunk.doc_id:
                    similarity += SAME_DOCUMENT_PENALTY
                redundancy = max(redundancy, similarity)
            value = lambda_ * passage.score - (1 - lambda_) * redundancy
            if value > best_value:
                best, best_value = passage, value
        chosen.append(best)
        remaining.remove(best)
    return chosen


def test_mmr_picks_exactly_what_comparing_every_round_picked():
    from assistant.core.models import Chunk, DocumentMeta, Passage
    from assistant.retrieval.diversity import mmr_select

    rng = np.random.default_rng(7)
    for trial in range(40):
        count = int(rng.integers(1, 31))
        passages, vectors = [], {}
        for i in range(count):
            doc = f"doc{rng.integers(0, 4)}"
            chunk_id = f"{doc}:h:{i:04d}"
            chunk = Chunk(chunk_id=chunk_id, doc_id=doc, ordinal=i, text="t", start=0, end=1)
            score = float(rng.choice([0.5, 0.6, rng.random()]))  # ties too
            passages.append(
                Passage(chunk=chunk, document=DocumentMeta(doc_id=doc, title=doc), score=score)
            )
            if rng.random() > 0.1:  # some passages have no vector
                vector = rng.standard_normal(8).astype(np.float32)
                vectors[chunk_id] = vector / np.linalg.norm(vector)
        k, lambda_ = int(rng.integers(1, 8)), float(rng.choice([0.0, 0.5, 0.75, 1.0]))
        expected = _mmr_every_round(passages, vectors, k, lambda_)
        got = mmr_select(passages, vectors, k, lambda_)
        assert [p.chunk.chunk_id for p in got] == [p.chunk.chunk_id for p in expected], trial


def test_scope_by_name_index_matches_scanning_every_document():
    from assistant.core.models import DocumentMeta
    from assistant.retrieval import place_scope
    from assistant.retrieval.place_scope import core_name, named_spans, scope_of

    metas = {
        "kirklees-a": DocumentMeta(
            doc_id="kirklees-a", title="Learning", organisation="Kirklees Council"
        ),
        "kirklees-b": DocumentMeta(doc_id="kirklees-b", title="Skills", place="Kirklees"),
        "durham": DocumentMeta(
            doc_id="durham", title="Minutes", organisation="Durham County Council"
        ),
        "london": DocumentMeta(
            doc_id="london", title="Review", organisation="City of London Corporation"
        ),
        "plain": DocumentMeta(
            doc_id="plain", title="Bristol Work Experience", source_path="/x/bristol-we.txt"
        ),
    }
    for question in [
        "What did Kirklees Council say about skills?",
        "Compare Durham and Kirklees on adult learning",
        "How is the London Challenge funded?",
        "What is Bristol's work experience target?",
        "what about apprenticeships?",
    ]:
        variants = {d: place_scope._name_variants(m) for d, m in metas.items()}
        names, documents = [], {}
        for span in named_spans(question):  # the scan over every document, as it was
            candidates = {span, core_name(span)}
            hits = tuple(sorted(d for d, vs in variants.items() if vs & candidates))
            key = core_name(span) or span
            if hits and key not in documents:
                names.append(key)
                documents[key] = hits
        got = scope_of(question, metas)
        assert (got.names, got.documents) == (tuple(names), documents), question


def test_remembered_name_variants_go_with_their_document():
    import gc

    from assistant.core.models import DocumentMeta
    from assistant.retrieval import place_scope

    meta = DocumentMeta(doc_id="d", title="T", organisation="Leeds City Council")
    assert place_scope.name_variants(meta) == place_scope._name_variants(meta)
    assert place_scope.name_variants(meta) is place_scope.name_variants(meta)
    key = id(meta)
    del meta
    gc.collect()
    assert key not in place_scope._remembered_variants.memo
