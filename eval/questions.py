"""The known-findings question set (``eval/questions.yaml``) and its quick subset."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

QUESTIONS_FILE = Path(__file__).with_name("questions.yaml")
UNANSWERABLE = "unanswerable"

# The quick subset: the first N questions of each kind in file order (not picked by outcome),
# plus the first question of any follow-up pair it includes. About 27 questions.
QUICK_PER_KIND = {
    "partners": 3,
    "numeric": 3,
    "recommendation": 3,
    "table": 3,
    "multi_doc": 2,
    "paraphrase": 2,
    "fact": 4,
    "followup": 2,
    "list": 2,
    "unanswerable": 4,
}


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    expected_docs: tuple[str, ...] = ()
    key_phrases: tuple[str, ...] = ()
    follows: str | None = None
    notes: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def answerable(self) -> bool:
        return self.kind != UNANSWERABLE

    @property
    def has_phrases(self) -> bool:
        return bool(self.key_phrases)

    @property
    def place(self) -> str | list | None:
        """The ``place:`` field (a name, or a list for multi-document questions), if any."""
        return self.extra.get("place")


class QuestionFileError(ValueError):
    pass


def load_questions(path: Path | None = None) -> list[Question]:
    path = Path(path or QUESTIONS_FILE)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionFileError(f"{path}: cannot read the question file ({exc})") from exc
    rows = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise QuestionFileError(f"{path}: expected a 'questions:' list")
    questions: list[Question] = []
    seen: set[str] = set()
    known = {"id", "question", "kind", "expected_docs", "key_phrases", "follows", "notes"}
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row.get("id") or not row.get("question"):
            raise QuestionFileError(f"{path}: question #{index} needs an id and a question")
        qid = str(row["id"])
        if qid in seen:
            raise QuestionFileError(f"{path}: duplicate question id {qid}")
        follows = row.get("follows")
        if follows is not None and str(follows) not in seen:
            raise QuestionFileError(f"{path}: {qid} follows {follows}, which must come earlier")
        seen.add(qid)
        kind = str(row.get("kind") or "fact")
        phrases = tuple(str(p) for p in row.get("key_phrases") or ())
        if kind != UNANSWERABLE and not phrases:
            raise QuestionFileError(f"{path}: answerable question {qid} has no key_phrases")
        questions.append(
            Question(
                id=qid,
                question=str(row["question"]),
                kind=kind,
                expected_docs=tuple(str(d) for d in row.get("expected_docs") or ()),
                key_phrases=phrases,
                follows=str(follows) if follows is not None else None,
                notes=row.get("notes"),
                extra={k: v for k, v in row.items() if k not in known},
            )
        )
    return questions


def quick_subset(questions: list[Question]) -> list[Question]:
    """First ``QUICK_PER_KIND[kind]`` questions of each kind, parents of follow-ups added."""
    taken: dict[str, int] = {}
    chosen: set[str] = set()
    for q in questions:
        limit = QUICK_PER_KIND.get(q.kind, 1)
        if taken.get(q.kind, 0) < limit:
            taken[q.kind] = taken.get(q.kind, 0) + 1
            chosen.add(q.id)
    return with_parents(questions, chosen)


def with_parents(questions: list[Question], ids: set[str]) -> list[Question]:
    """The questions whose ids are in ``ids`` plus the first question of each follow-up pair,
    in file order."""
    by_id = {q.id: q for q in questions}
    wanted = set(ids)
    for qid in list(ids):
        parent = by_id[qid].follows
        while parent is not None and parent not in wanted:
            wanted.add(parent)
            parent = by_id[parent].follows
    return [q for q in questions if q.id in wanted]


def select(questions: list[Question], subset: str | None) -> list[Question]:
    if subset in (None, "", "full", "all"):
        return questions
    if subset == "quick":
        return quick_subset(questions)
    kinds = {q.kind for q in questions}
    if subset in kinds:
        return with_parents(questions, {q.id for q in questions if q.kind == subset})
    ids = {s.strip() for s in subset.split(",")}
    if ids <= {q.id for q in questions}:
        return with_parents(questions, ids)
    raise QuestionFileError(
        f"Unknown subset {subset!r}: use 'quick', 'full', a kind ({', '.join(sorted(kinds))}) "
        "or comma-separated question ids."
    )
