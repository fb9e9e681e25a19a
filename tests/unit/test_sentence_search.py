"""The full scan of the sentence index: each passage by its best sentence among the top rows,
as the plain loop over those rows ranks them (equal scores in first-seen order)."""

from __future__ import annotations

import numpy as np

from assistant.core.chunk_ids import doc_id_of
from assistant.index.sentence_index import SentenceIndex


def _loop_search(index: SentenceIndex, query, k, doc_ids=None):
    scores = index.matrix @ query
    if doc_ids is not None:
        allowed = np.array([doc_id_of(o) in doc_ids for o in index.owners])
        scores = np.where(allowed, scores, -np.inf)
    best: dict[str, float] = {}
    take = min(len(scores), k * 8)
    for row in np.argpartition(-scores, take - 1)[:take]:
        score = float(scores[row])
        if score > best.get(index.owners[row], -np.inf):
            best[index.owners[row]] = score
    return sorted(best.items(), key=lambda pair: -pair[1])[:k]


def test_the_full_scan_ranks_as_the_loop_over_its_top_rows_ties_included():
    rng = np.random.default_rng(7)
    for trial in range(300):
        owners = []
        for number in range(int(rng.integers(1, 40))):
            owners += [f"d{number % 5}:h:{number:04d}"] * int(rng.integers(1, 6))
        matrix = rng.standard_normal((len(owners), 6)).astype(np.float32)
        if trial % 2:  # whole numbers and repeated rows: many equal scores
            matrix = np.round(matrix).astype(np.float32)
            matrix[rng.integers(0, len(owners), len(owners) // 2)] = matrix[0]
        index = SentenceIndex(matrix, owners, generation=1)
        query = np.round(rng.standard_normal(6)).astype(np.float32)
        k = int(rng.integers(1, 10))
        doc_ids = None if trial % 3 else {f"d{int(rng.integers(0, 5))}", "d9"}
        assert index.search(query, k, doc_ids) == _loop_search(index, query, k, doc_ids)


def test_a_filter_no_sentence_passes_finds_nothing():
    index = SentenceIndex(np.eye(3, dtype=np.float32), ["a:h:0", "a:h:0", "b:h:1"], 1)
    assert index.search(np.ones(3, dtype=np.float32), 2, {"c"}) == []
    assert index.search(np.ones(3, dtype=np.float32), 2, {"b"}) == [("b:h:1", 1.0)]


def _passage_index(rng, count: int, ties: bool) -> SentenceIndex:
    """An index over ``count`` passages of five documents, one sentence each."""
    ids = [f"d{number % 5}:h:{number:04d}" for number in range(count)]
    vectors = rng.standard_normal((count, 6)).astype(np.float32)
    if ties:  # whole numbers and repeated rows: many equal scores
        vectors = np.round(vectors).astype(np.float32)
        vectors[rng.integers(0, count, count // 2)] = vectors[0]
    chunks = {chunk_id: ("{}", row) for row, chunk_id in enumerate(ids)}
    return SentenceIndex(vectors.copy(), list(ids), 1, chunks, vectors)


def test_nearest_passages_is_the_exact_ranking_by_passage_vector_ties_in_passage_order():
    rng = np.random.default_rng(11)
    for trial in range(300):
        count = int(rng.integers(1, 60))
        index = _passage_index(rng, count, ties=bool(trial % 2))
        query = np.round(rng.standard_normal(6)).astype(np.float32)
        k = int(rng.integers(1, 70))
        doc_ids = None if trial % 3 else {f"d{int(rng.integers(0, 5))}", "d9"}
        scores = index._passage_matrix @ query
        expected = sorted(
            (
                (chunk_id, float(scores[row]))
                for row, chunk_id in enumerate(index.owners)
                if doc_ids is None or doc_id_of(chunk_id) in doc_ids
            ),
            key=lambda pair: -pair[1],  # stable: equal scores keep the passages' order
        )[:k]
        assert index.nearest_passages(query, k, doc_ids) == expected
    assert index.passage_count == count


def test_nearest_passages_of_an_index_without_passage_vectors_is_empty():
    index = SentenceIndex(np.eye(3, dtype=np.float32), ["a:h:0", "a:h:0", "b:h:1"], 1)
    assert index.passage_count == 0
    assert index.nearest_passages(np.ones(3, dtype=np.float32), 2) == []
    assert (
        _passage_index(np.random.default_rng(1), 4, False).nearest_passages(
            np.ones(6, dtype=np.float32), 3, {"d7"}
        )
        == []
    )
