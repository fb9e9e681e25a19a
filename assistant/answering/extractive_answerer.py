"""The default answerer: no LLM, an answer assembled from the documents' own sentences.

Sentences are scored against the question (cosine with the question vector, plus word overlap),
the best are grouped by document under a lead-in naming it, quotes keep their speaker, and every
sentence ends with the ``[n]`` of the passage it came from. Weak evidence means abstaining.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.answering.abstention import Verdict, abstain_text
from assistant.answering.answerability import AnswerabilityModel, features, judged_evidence
from assistant.answering.composition import lead_in, make_citation, render_sentence
from assistant.answering.evidence import ScoredSentence, evidence_sentences, is_fragment
from assistant.answering.question_type import (
    AnswerType,
    Shape,
    answer_type,
    list_noun,
    shape,
    wants_person,
)
from assistant.answering.shaping import (
    expand_intros,
    figure_first,
    reads_as_item,
    recommendation_items,
    select_list,
)
from assistant.core.models import Answer, AnswerSentence, Citation, Passage, RetrievalResult
from assistant.core.profile import CorpusProfile

# How far below the best sentence others may score and still be quoted: wider within the
# best sentence's document (more of the same finding), narrower for other documents (a weak
# match elsewhere would cost citation precision). Chosen on the known-findings eval.
SAME_DOCUMENT_MARGIN = 0.2
OTHER_DOCUMENT_MARGIN = 0.12
MAX_PER_PASSAGE = 2
DUPLICATE_COSINE = 0.92


class ExtractiveAnswerer:
    """Compose a cited answer from retrieved passages, or abstain when evidence is weak."""

    name = "extractive"

    def __init__(
        self,
        abstain_threshold: float,
        max_sentences: int,
        answerability: AnswerabilityModel,
        profile: CorpusProfile,
        judge_k: int = 5,
    ) -> None:
        if max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")
        if judge_k < 1:
            raise ValueError("judge_k must be at least 1")
        self.judge_k = judge_k  # passages whose sentences answerability is judged on
        self.abstain_threshold = abstain_threshold  # no sentence scoring below it is quoted
        self.max_sentences = max_sentences
        self.answerability = answerability
        self.profile = profile

    def judge(
        self, question: str, result: RetrievalResult, rarity: dict[str, float] | None = None
    ) -> Verdict:
        """Whether the evidence answers ``question`` (the standalone form of a follow-up);
        ``rarity``: the question words' inverse document frequencies in the index."""
        scored = evidence_sentences(question, result)
        feats = features(question, result, judged_evidence(scored, self.judge_k), rarity)
        probability = self.answerability.probability(feats)
        wanted = answer_type(question).value
        return Verdict(
            probability >= self.answerability.threshold,
            probability,
            feats,
            wanted,
            (question, result, scored),
        )

    def answer(
        self,
        question: str,
        result: RetrievalResult,
        verdict: Verdict | None = None,
        corpus_missing: list[str] | None = None,
        max_sentences: int | None = None,
    ) -> Answer:
        verdict = verdict or self.judge(question, result)
        scored = _evidence(question, result, verdict)
        best = scored[0].score if scored else 0.0
        if not verdict.answerable or best < self.abstain_threshold:
            return self.abstain(question, result, scored, verdict, corpus_missing)
        named = {i for i, p in enumerate(result.passages) if result.is_named(p)}
        as_list = False
        if named:  # "what is recommendation 3?": the answer is that recommendation, nothing else
            chosen = self._select_named(scored, named, result)
        elif shape(question) is Shape.LIST and (
            items := select_list(scored, result, self.abstain_threshold, list_noun(question))
        ):
            chosen, as_list = items, True  # "what are the phases …?": the list itself
        else:
            chosen = self._select(scored, result, best, max_sentences or self.max_sentences)
            chosen = expand_intros(chosen, scored, result)
            wanted = AnswerType.PERSON if wants_person(question) else answer_type(question)
            chosen = figure_first(chosen, scored, result, wanted, question, self.abstain_threshold)
        if not chosen:  # only fragments scored well: nothing quotable, so say so
            return self.abstain(question, result, scored, verdict)
        answer = self._compose(question, result, chosen, as_list)
        answer.answerability = round(verdict.probability, 4)
        return answer

    def abstain(
        self,
        question: str,
        result: RetrievalResult,
        scored: list[ScoredSentence] | None = None,
        verdict: Verdict | None = None,
        corpus_missing: list[str] | None = None,
    ) -> Answer:
        """Say plainly that the documents don't answer, and list the closest passages."""
        scored = scored if scored is not None else _evidence(question, result, verdict)
        best_span: dict[int, tuple[int, int]] = {}
        for sentence in scored:
            best_span.setdefault(sentence.passage_index, sentence.span)
        citations = [
            make_citation(n, passage, best_span.get(index))
            for n, (index, passage) in enumerate(enumerate(result.passages), start=1)
        ]
        text = abstain_text(bool(citations), verdict, corpus_missing)
        return Answer(
            question=question,
            answer=text,
            abstained=True,
            citations=citations,
            answerability=round(verdict.probability, 4) if verdict else None,
        )

    def _select(
        self, scored: list[ScoredSentence], result: RetrievalResult, best: float, limit: int
    ) -> list[ScoredSentence]:
        floor = max(self.abstain_threshold, best - SAME_DOCUMENT_MARGIN)
        other_floor = max(self.abstain_threshold, best - OTHER_DOCUMENT_MARGIN)
        best_doc = result.passages[scored[0].passage_index].chunk.doc_id
        chosen: list[ScoredSentence] = []
        per_passage: dict[int, int] = {}
        for sentence in scored:
            if sentence.score < floor or len(chosen) >= limit:
                break
            passage = result.passages[sentence.passage_index]
            if passage.chunk.doc_id != best_doc and sentence.score < other_floor:
                continue
            if is_fragment(passage, sentence):
                continue
            if per_passage.get(sentence.passage_index, 0) >= MAX_PER_PASSAGE:
                continue
            if self._duplicate(sentence, chosen, result):
                continue
            chosen.append(sentence)
            per_passage[sentence.passage_index] = per_passage.get(sentence.passage_index, 0) + 1
        return chosen

    def _select_named(
        self, scored: list[ScoredSentence], named: set[int], result: RetrievalResult
    ) -> list[ScoredSentence]:
        """The opening sentences of each recommendation the question named by number (its
        headline comes first); every document that has one gets its say, since several
        number theirs 1, 2, 3 …"""
        each = max(1, min(MAX_PER_PASSAGE, self.max_sentences // len(named)))
        taken: dict[int, int] = {}
        chosen: list[ScoredSentence] = []
        for sentence in sorted(scored, key=lambda s: (s.passage_index, s.sentence_index)):
            if sentence.passage_index not in named or taken.get(sentence.passage_index, 0) >= each:
                continue
            if not is_fragment(result.passages[sentence.passage_index], sentence):
                chosen.append(sentence)
                taken[sentence.passage_index] = taken.get(sentence.passage_index, 0) + 1
        return chosen

    @staticmethod
    def _duplicate(
        candidate: ScoredSentence, chosen: list[ScoredSentence], result: RetrievalResult
    ) -> bool:
        def vector(s: ScoredSentence):
            matrix = result.sentence_vectors.get(result.passages[s.passage_index].chunk.chunk_id)
            return (
                matrix[s.sentence_index]
                if matrix is not None and s.sentence_index < len(matrix)
                else None
            )

        mine = vector(candidate)
        if mine is None:
            return False
        return any(
            (other := vector(s)) is not None and float(mine @ other) > DUPLICATE_COSINE
            for s in chosen
        )

    def answer_recommendations(self, question: str, passages: list[Passage]) -> Answer | None:
        """A document's numbered recommendations, each opening sentence cited, in its order."""
        return self.answer_in_order(question, recommendation_items(passages))

    def answer_in_order(
        self, question: str, items: list[tuple[Passage, tuple, str | None]]
    ) -> Answer | None:
        """A list the document itself orders (recommendations, phases), one bullet per item;
        an item given as a heading reads as that heading."""
        if not items:
            return None
        result = RetrievalResult([p for p, _, _ in items], np.zeros(1), {}, {})
        chosen = [ScoredSentence(i, 0, 1.0, 1.0, span) for i, (_, span, _) in enumerate(items)]
        headings = {i: heading for i, (_, _, heading) in enumerate(items) if heading}
        return self._compose(question, result, chosen, True, True, headings)

    def answer_item(
        self, question: str, passage: Passage, indices: list[int], heading: str | None = None
    ) -> Answer:
        """A numbered item the question named, as its passage has it: its heading if it is
        one, the opening sentence, then what follows it (list items as bullets), in order."""
        spans = passage.chunk.sentence_spans or [(0, len(passage.chunk.text))]
        result = RetrievalResult([passage], np.zeros(1), {}, {})
        lead = [ScoredSentence(0, 0, 1.0, 1.0, tuple(spans[0]))] if heading else []
        body = [ScoredSentence(0, i, 1.0, 1.0, tuple(spans[i])) for i in indices]
        first, *rest = lead + body
        chosen = [first, *(replace(s, follows=first) for s in rest)]
        headings = {0: heading} if heading else None
        return self._compose(question, result, chosen, False, True, headings)

    def _compose(
        self,
        question: str,
        result: RetrievalResult,
        chosen: list[ScoredSentence],
        as_list: bool = False,
        keep_order: bool = False,
        headings: dict[int, str] | None = None,
    ) -> Answer:
        """Group sentences by document under a lead-in; in document order, except that the
        first chosen sentence stays first (the figure a numeric question asked for)."""
        by_doc: dict[str, list[ScoredSentence]] = {}
        for sentence in chosen:
            doc_id = result.passages[sentence.passage_index].chunk.doc_id
            by_doc.setdefault(doc_id, []).append(sentence)
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        paragraphs: list[str] = []
        answer_sentences: list[AnswerSentence] = []
        lead = chosen[0]

        def place(s: ScoredSentence) -> tuple:
            """Document order, the lead sentence first, list items right after their intro."""
            anchor = s.follows or s
            return (
                anchor is not lead,
                result.passages[anchor.passage_index].chunk.start,
                anchor.span[0],
                s.span[0],
            )

        labelled: set[int] = set()
        for sentences in by_doc.values():
            if not keep_order:
                sentences.sort(key=place)
            document = result.passages[sentences[0].passage_index].document
            parts = [lead_in(document, self.profile)]
            for sentence in sentences:
                passage = result.passages[sentence.passage_index]
                if sentence.passage_index not in numbers:
                    numbers[sentence.passage_index] = len(numbers) + 1
                    citations.append(make_citation(len(numbers), passage, sentence.span))
                n = numbers[sentence.passage_index]
                first = sentence.passage_index not in labelled
                labelled.add(sentence.passage_index)
                heading = (headings or {}).get(sentence.passage_index) if first else None
                rendered = heading or render_sentence(passage, sentence.span, label=first)
                bullet = as_list or (
                    sentence.follows is not None
                    and reads_as_item(passage.chunk, sentence.sentence_index)
                )
                parts.append(f"\n- {rendered} [{n}]" if bullet else f"{rendered} [{n}]")
                answer_sentences.append(
                    AnswerSentence(
                        text=rendered, citations=[n], support_score=round(sentence.cosine, 4)
                    )
                )
            paragraphs.append(_join(parts))
        return Answer(
            question=question,
            answer="\n\n".join(paragraphs),
            abstained=False,
            citations=citations,
            sentences=answer_sentences,
        )


def _join(parts: list[str]) -> str:
    """A lead-in and its sentences as one paragraph: bullets on lines of their own, and a
    sentence after a bullet list starts a new paragraph (else it would read as the last item)."""
    text = parts[0]
    for previous, part in zip(parts, parts[1:], strict=False):
        if part.startswith("\n"):
            text += part
        elif previous.startswith("\n"):
            text += "\n\n" + part
        else:
            text += " " + part
    return text


def _evidence(
    question: str, result: RetrievalResult, verdict: Verdict | None
) -> list[ScoredSentence]:
    """The scored sentences ``verdict`` was judged on when it was the same question and the
    same result (scoring is deterministic and nothing changes a ``ScoredSentence`` in place:
    shaping makes new ones), else scored afresh."""
    held = verdict.evidence if verdict is not None else None
    if held is not None and held[0] == question and held[1] is result:
        return list(held[2])
    return evidence_sentences(question, result)
