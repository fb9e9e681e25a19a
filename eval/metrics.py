"""Metric functions for the known-findings evaluation and the retrieval benchmarks.

Pure functions over plain data, so every number the reports print can be unit-tested.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from assistant.core.chunk_ids import doc_id_of
from assistant.core.normalise import fold_for_match


# -- phrase matching ---------------------------------------------------------------------------
def fold_phrase(text: str) -> str:
    """Text as compared: ``**`` markup removed, then ``fold_for_match`` (case, quotes, spaces)."""
    return fold_for_match(text.replace("**", ""))


def contains_phrase(passage: str, phrases: Iterable[str]) -> bool:
    """Whether any of ``phrases`` occurs in ``passage`` (both sides folded)."""
    folded = fold_phrase(passage)
    return any((p := fold_phrase(phrase)) and p in folded for phrase in phrases)


def first_relevant_rank(passages: Sequence[str], phrases: Sequence[str]) -> int | None:
    """1-based rank of the first passage containing a key phrase; None if none does."""
    if not phrases:
        return None
    for rank, text in enumerate(passages, start=1):
        if contains_phrase(text, phrases):
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


# -- answer-level ------------------------------------------------------------------------------
def doc_hit(doc_ids: Sequence[str], expected: Sequence[str], k: int = 5) -> float:
    """1 if any of the first ``k`` passages comes from an expected document."""
    return 1.0 if set(doc_ids[:k]) & set(expected) else 0.0


def doc_recall(doc_ids: Sequence[str], expected: Sequence[str], k: int = 5) -> float:
    """Share of the expected documents present among the first ``k`` passages."""
    if not expected:
        return 0.0
    return len(set(doc_ids[:k]) & set(expected)) / len(set(expected))


def citation_precision(
    cited: Sequence[tuple[str, str]], expected_docs: Sequence[str], phrases: Sequence[str]
) -> float | None:
    """Share of cited passages ``(doc_id, text)`` that contain a key phrase or come from an
    expected document; None when nothing is cited."""
    if not cited:
        return None
    good = sum(
        1 for doc_id, text in cited if doc_id in expected_docs or contains_phrase(text, phrases)
    )
    return good / len(cited)


def answer_supported(abstained: bool, cited_texts: Sequence[str], phrases: Sequence[str]) -> bool:
    """An answer (not an abstention) with a key phrase in one of its cited passages."""
    return not abstained and any(contains_phrase(t, phrases) for t in cited_texts)


def abstention_scores(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> dict[str, float]:
    """Precision, recall and F1 of abstaining, with 'abstained' as the positive prediction and
    'unanswerable' as the positive class. Precision is 1.0 when nothing abstained and
    nothing needed to (no false positives); 0.0 when nothing abstained but something should."""
    if len(abstained) != len(unanswerable):
        raise ValueError("one abstained flag per question")
    tp = sum(1 for a, u in zip(abstained, unanswerable, strict=True) if a and u)
    fp = sum(1 for a, u in zip(abstained, unanswerable, strict=True) if a and not u)
    fn = sum(1 for a, u in zip(abstained, unanswerable, strict=True) if not a and u)
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


# -- aggregation -------------------------------------------------------------------------------
def mean(values: Iterable[float | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method); None for no values."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be in [0, 100]")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- ranked retrieval (BEIR / SQuAD) -----------------------------------------------------------
def doc_ranking(chunk_ranking: Sequence[str], doc_of: Mapping[str, str] | None = None) -> list[str]:
    """Documents in the order of their best chunk (document score = its best chunk)."""
    seen: dict[str, None] = {}
    for chunk_id in chunk_ranking:
        doc = doc_of[chunk_id] if doc_of is not None else doc_id_of(chunk_id)
        seen.setdefault(doc, None)
    return list(seen)


def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains ``rel / log2(rank + 1)`` (the trec_eval / BEIR formula)."""
    dcg = sum(
        relevant.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], start=1)
    )
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def recall_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    wanted = {d for d, g in relevant.items() if g > 0}
    if not wanted:
        return 0.0
    return len(wanted & set(ranking[:k])) / len(wanted)


def first_hit_rank(ranking: Sequence[str], relevant: Mapping[str, int]) -> int | None:
    for rank, doc in enumerate(ranking, start=1):
        if relevant.get(doc, 0) > 0:
            return rank
    return None


def score_ranking(kind: str, ranking: list[str], relevant: dict[str, int]) -> dict[str, float]:
    """One ranking's figures: nDCG@10 and recall@100 for a BEIR set (``kind`` "beir"), else
    hit@1, hit@5 and MRR@10 (SQuAD format)."""
    if kind == "beir":
        return {
            "ndcg@10": ndcg_at(ranking, relevant, 10),
            "recall@100": recall_at(ranking, relevant, 100),
        }
    rank = first_hit_rank(ranking, relevant)
    return {
        "hit@1": hit_at(rank, 1),
        "hit@5": hit_at(rank, 5),
        "mrr@10": reciprocal_rank(rank if rank is not None and rank <= 10 else None),
    }
