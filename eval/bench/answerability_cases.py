"""The answerability benchmark's questions, each asked as an answerable and an unanswerable case.

Public questions (SQuAD v1.1 dev, PolicyQA dev) are sampled with a fixed seed and split by
article or policy into a tuning and a held-out half (no article in both). Each is asked twice
of one index: as it is (answerable) and with its gold paragraphs kept out by a filter
(unanswerable: every paragraph the same question text was asked of, since PolicyQA asks one
question of many policies). The seed project's own questions (``eval/questions.yaml``: its
unanswerables and its answerable ones) are asked of the seed corpus, for tuning only. The
held-out council set (``eval/heldout/``) is never read here.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from assistant.core.models import Turn
from eval.bench.answerability_metrics import HELD_OUT, TUNE, split_groups, split_of
from eval.bench.datasets import RetrievalSet
from eval.questions import load_questions

SEED_SOURCE = "seed"


@dataclass(frozen=True)
class Case:
    case_id: str
    source: str  # squad | policyqa | seed
    question: str  # as retrieved (a follow-up in its standalone form)
    answerable: bool
    split: str  # tune | held-out
    group: str  # the article or policy (seed: "seed")
    gold: tuple[str, ...] = ()  # the set's doc ids of the paragraphs the question was asked of
    answers: tuple[str, ...] = ()  # SQuAD-format gold answer texts (for diagnostics)

    @property
    def exclude(self) -> tuple[str, ...]:
        """The documents the filter keeps out: the gold ones, for an unanswerable case."""
        return () if self.answerable else self.gold


@dataclass
class CaseSet:
    cases: list[Case]
    notes: list[str]


def article_of(doc_id: str) -> str:
    """``p012-003`` (article 12, paragraph 3, as ``load_squad`` names paragraphs) -> ``p012``."""
    return doc_id.split("-", 1)[0]


def gold_answers(path: Path) -> dict[str, tuple[str, ...]]:
    """Question text -> every gold answer text given for it (SQuAD format)."""
    data = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))["data"]
    answers: dict[str, list[str]] = {}
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph.get("qas", []):
                texts = answers.setdefault(qa["question"].strip(), [])
                texts += [a["text"] for a in qa.get("answers", []) if a["text"] not in texts]
    return {question: tuple(texts) for question, texts in answers.items()}


def public_cases(
    dataset: RetrievalSet, path: Path, sample: int, seed: int, tries: int = 200
) -> CaseSet:
    """``sample`` questions of ``dataset`` (fixed seed), split by article, two cases each."""
    distinct = sorted(dataset.queries)
    chosen = sorted(random.Random(seed).sample(distinct, min(sample, len(distinct))))
    groups = {qid: {article_of(d) for d in dataset.qrels[qid]} for qid in chosen}
    assignment = split_groups(groups, seed, tries)
    answers = gold_answers(path)
    cases: list[Case] = []
    straddling = 0
    for qid in chosen:
        split = split_of(groups[qid], assignment)
        if split is None:
            straddling += 1
            continue
        text = dataset.queries[qid]
        gold = tuple(sorted(dataset.qrels[qid]))
        group = ",".join(sorted(groups[qid]))
        found = answers.get(text, ())
        base = f"{dataset.name}:{qid}"
        cases.append(Case(f"{base}:a", dataset.name, text, True, split, group, gold, found))
        cases.append(Case(f"{base}:u", dataset.name, text, False, split, group, gold, found))
    halves = {s: sum(1 for c in cases if c.split == s and c.answerable) for s in (TUNE, HELD_OUT)}
    articles = {s: sum(1 for g in assignment.values() if g == s) for s in (TUNE, HELD_OUT)}
    note = (
        f"{dataset.name}: {len(chosen)} of {len(distinct)} distinct questions sampled (seed "
        f"{seed}); articles {articles[TUNE]} tuning / {articles[HELD_OUT]} held-out; questions "
        f"{halves[TUNE]} tuning / {halves[HELD_OUT]} held-out"
    )
    if straddling:
        note += (
            f"; {straddling} dropped because their gold paragraphs lie in articles of both "
            "halves (one question text asked of several policies)"
        )
    return CaseSet(cases, [note])


def seed_cases(service, path: Path | None = None) -> CaseSet:
    """The known-findings questions over the seed corpus (tuning only). A follow-up is asked in
    the standalone form the service itself would retrieve with (its first question as history;
    the rule-based rewrite reads only the earlier question)."""
    questions = load_questions(path)
    by_id = {q.id: q for q in questions}
    cases = []
    for q in questions:
        text = q.question
        if q.follows:
            parent = by_id[q.follows]
            history = [
                Turn(role="user", content=parent.question),
                Turn(role="assistant", content=""),
            ]
            text = service.standalone_question(q.question, history)
        gold = tuple(q.expected_docs)
        cases.append(Case(f"seed:{q.id}", SEED_SOURCE, text, q.answerable, TUNE, SEED_SOURCE, gold))
    unanswerable = sum(1 for c in cases if not c.answerable)
    note = (
        f"seed: the {len(cases)} questions of eval/questions.yaml ({len(cases) - unanswerable} "
        f"answerable, {unanswerable} unanswerable) over the seed corpus, tuning only"
    )
    return CaseSet(cases, [note])
