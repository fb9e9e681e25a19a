"""The answerability benchmark's arithmetic: splitting by article, AUROC, the operating threshold
and abstention precision/recall. Pure functions over plain numbers (unit-tested with fakes)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

TUNE = "tune"
HELD_OUT = "held-out"


def split_groups(
    item_groups: Mapping[str, Iterable[str]], seed: int, tries: int = 200
) -> dict[str, str]:
    """Assign every group (a SQuAD article, a privacy policy) to the tuning or the held-out half.

    Groups are shuffled with ``seed`` and dealt greedily to the half holding fewer questions so
    far, so the halves are about equal in questions. An item (a question) whose groups land in
    both halves cannot be used without an article in both; of ``tries`` seeded deals the one
    whose smaller half keeps the most items wins (then the most items in all; the first on a
    tie), so a set whose questions each belong to one article keeps them all on the first
    deal."""
    sets = {item: frozenset(groups) for item, groups in item_groups.items()}
    weight = Counter(group for groups in sets.values() for group in groups)
    order = sorted(weight)
    rng = random.Random(seed)
    best: dict[str, str] = {}
    best_kept = (-1, -1)
    for _ in range(max(1, tries)):
        rng.shuffle(order)
        load = {TUNE: 0, HELD_OUT: 0}
        assign: dict[str, str] = {}
        for group in order:
            side = TUNE if load[TUNE] <= load[HELD_OUT] else HELD_OUT
            assign[group] = side
            load[side] += weight[group]
        sides = Counter(split_of(groups, assign) for groups in sets.values())
        kept = (min(sides[TUNE], sides[HELD_OUT]), sides[TUNE] + sides[HELD_OUT])
        if kept > best_kept:
            best, best_kept = assign, kept
        if kept[1] == len(sets):
            break
    return best


def split_of(groups: Iterable[str], assignment: Mapping[str, str]) -> str | None:
    """The half all of ``groups`` are in, or None when they straddle both."""
    sides = {assignment[group] for group in groups}
    return next(iter(sides)) if len(sides) == 1 else None


def auroc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """Area under the ROC curve: the chance a random positive scores above a random negative
    (ties count half). None when either class is empty."""
    if len(scores) != len(positive):
        raise ValueError("one label per score")
    pairs = sorted(zip(scores, positive, strict=True), key=lambda pair: pair[0])
    n_pos = sum(1 for _, p in pairs if p)
    n_neg = len(pairs) - n_pos
    if not n_pos or not n_neg:
        return None
    rank_sum = 0.0  # sum of the positives' (average) ranks, 1-based
    index = 0
    while index < len(pairs):
        end = index
        while end + 1 < len(pairs) and pairs[end + 1][0] == pairs[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1
        rank_sum += average_rank * sum(1 for _, p in pairs[index : end + 1] if p)
        index = end + 1
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def highest_threshold(answerable_probabilities: Sequence[float], max_rate: float) -> float:
    """The highest threshold ``t`` such that abstaining below it (``p < t``) abstains on at most
    ``max_rate`` of the answerable questions: the ``floor(max_rate * n)``-th smallest
    probability (0-based), since a threshold just above it would abstain on one more."""
    if not answerable_probabilities:
        raise ValueError("no answerable questions to choose a threshold on")
    ordered = sorted(answerable_probabilities)
    allowed = int(max_rate * len(ordered) + 1e-9)
    if allowed >= len(ordered):
        return 1.0
    return ordered[allowed]


def at_threshold(
    probabilities: Sequence[float], answerable: Sequence[bool], threshold: float
) -> dict[str, float | int | None]:
    """Abstention (``p < threshold``) against the truth: precision and recall of abstaining
    (unanswerable is the positive class) and the share of answerable questions abstained."""
    abstained = [p < threshold for p in probabilities]
    return abstention_figures(abstained, answerable)


def abstention_figures(
    abstained: Sequence[bool], answerable: Sequence[bool]
) -> dict[str, float | int | None]:
    tp = sum(1 for a, ok in zip(abstained, answerable, strict=True) if a and not ok)
    fp = sum(1 for a, ok in zip(abstained, answerable, strict=True) if a and ok)
    n_unanswerable = sum(1 for ok in answerable if not ok)
    n_answerable = len(answerable) - n_unanswerable
    return {
        "answerable": n_answerable,
        "unanswerable": n_unanswerable,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / n_unanswerable if n_unanswerable else None,
        "wrongly_abstained": fp / n_answerable if n_answerable else None,
        "wrongly_abstained_n": fp,
    }
