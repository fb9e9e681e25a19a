"""The default answerer: no LLM, an answer assembled from the documents' own sentences.

Sentences are scored against the question (cosine with the question vector, plus word overlap),
the best are grouped by document under a lead-in naming it, quotes keep their speaker, and every
sentence ends with the ``[n]`` of the passage it came from. Weak evidence means abstaining.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.core.models import Answer, AnswerSentence, Citation, Passage, RetrievalResult
from assistant.core.text_match import content_words, overlap

LEXICAL_WEIGHT = 0.25
NUMBER_BONUS = 0.1
NAMED_BONUS = 0.5
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|often|big|large)|what (year|date|percentage|proportion|amount|"
    r"number|total|budget|cost)|when)\b",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(r"\d")
# How far below the best sentence others may score and still be quoted: wider within the
# best sentence's document (more of the same finding), narrower for other documents (a weak
# match elsewhere would cost citation precision). Chosen on the known-findings eval.
SAME_DOCUMENT_MARGIN = 0.2
OTHER_DOCUMENT_MARGIN = 0.12
MAX_PER_PASSAGE = 2
DUPLICATE_COSINE = 0.92
_VERBS = {
    "review": "found",
    "survey": "found",
    "feasibility study": "concluded",
    "scrutiny report": "reports",
    "discussion paper": "argues",
}


@dataclass
class ScoredSentence:
    passage_index: int
    sentence_index: int
    score: float
    cosine: float
    span: tuple[int, int]


def evidence_sentences(question: str, result: RetrievalResult) -> list[ScoredSentence]:
    """Every sentence of the retrieved passages, scored, best first."""
    words = content_words(question)
    wants_number = bool(_QUANTITY_QUESTION.search(question))
    scored: list[ScoredSentence] = []
    for p_index, passage in enumerate(result.passages):
        chunk = passage.chunk
        spans = chunk.sentence_spans or [(0, len(chunk.text))]
        matrix = result.sentence_vectors.get(chunk.chunk_id)
        cosines = matrix @ result.query_vector if matrix is not None else np.zeros(len(spans))
        for s_index, span in enumerate(spans):
            text = chunk.text[span[0] : span[1]]
            if chunk.speaker and text.strip().casefold() == chunk.speaker.casefold():
                continue  # the attribution line is metadata, not evidence
            cosine = float(cosines[s_index]) if s_index < len(cosines) else 0.0
            score = cosine + LEXICAL_WEIGHT * overlap(words, text)
            if wants_number and _HAS_NUMBER.search(text):
                score += NUMBER_BONUS  # "how many…?" is answered by a sentence with a figure
            if result.is_named(passage):
                score += NAMED_BONUS  # the question asked for this recommendation by number
            scored.append(ScoredSentence(p_index, s_index, score, cosine, span))
    scored.sort(key=lambda s: -s.score)
    return scored


def _is_fragment(passage: Passage, sentence: ScoredSentence) -> bool:
    """Under four words outside a table (a list marker such as "3.", a stray slide word):
    nothing to quote as an answer."""
    text = passage.chunk.text[sentence.span[0] : sentence.span[1]]
    return len(text.split()) < 4 and passage.chunk.kind != "table"


class ExtractiveAnswerer:
    """Compose a cited answer from retrieved passages, or abstain when evidence is weak."""

    name = "extractive"

    def __init__(self, abstain_threshold: float, max_sentences: int) -> None:
        if max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")
        self.abstain_threshold = abstain_threshold
        self.max_sentences = max_sentences

    def answer(self, question: str, result: RetrievalResult) -> Answer:
        scored = evidence_sentences(question, result)
        best = scored[0].score if scored else 0.0
        if best < self.abstain_threshold:
            return self.abstain(question, result, scored)
        named = {i for i, p in enumerate(result.passages) if result.is_named(p)}
        # "what is recommendation 3?": the answer is that recommendation, nothing else
        chosen = (
            self._select_named(scored, named, result)
            if named
            else self._select(scored, result, best)
        )
        if not chosen:  # only fragments scored well: nothing quotable, so say so
            return self.abstain(question, result, scored)
        return self._compose(question, result, chosen)

    def abstain(
        self,
        question: str,
        result: RetrievalResult,
        scored: list[ScoredSentence] | None = None,
        missing_terms: list[str] | None = None,
    ) -> Answer:
        """Say plainly that the documents don't answer, and list the closest passages."""
        scored = scored if scored is not None else evidence_sentences(question, result)
        best_span: dict[int, tuple[int, int]] = {}
        for sentence in scored:
            best_span.setdefault(sentence.passage_index, sentence.span)
        citations = [
            make_citation(n, passage, best_span.get(index))
            for n, (index, passage) in enumerate(enumerate(result.passages), start=1)
        ]
        if missing_terms:
            names = ", ".join(f"“{term}”" for term in missing_terms)
            text = (
                f"The documents don't say: they never mention {names}, so they cannot answer "
                "this. The closest passages are listed below."
            )
        elif citations:
            text = (
                "The documents don't say. None of the indexed passages answers this "
                "question; the closest passages are listed below so you can check."
            )
        else:
            text = "The documents don't say: nothing in the index matches this question."
        return Answer(question=question, answer=text, abstained=True, citations=citations)

    def _select(
        self, scored: list[ScoredSentence], result: RetrievalResult, best: float
    ) -> list[ScoredSentence]:
        floor = max(self.abstain_threshold, best - SAME_DOCUMENT_MARGIN)
        other_floor = max(self.abstain_threshold, best - OTHER_DOCUMENT_MARGIN)
        best_doc = result.passages[scored[0].passage_index].chunk.doc_id
        chosen: list[ScoredSentence] = []
        per_passage: dict[int, int] = {}
        for sentence in scored:
            if sentence.score < floor or len(chosen) >= self.max_sentences:
                break
            passage = result.passages[sentence.passage_index]
            if passage.chunk.doc_id != best_doc and sentence.score < other_floor:
                continue
            if _is_fragment(passage, sentence):
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
            if not _is_fragment(result.passages[sentence.passage_index], sentence):
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

    def _compose(
        self, question: str, result: RetrievalResult, chosen: list[ScoredSentence]
    ) -> Answer:
        by_doc: dict[str, list[ScoredSentence]] = {}
        for sentence in chosen:
            doc_id = result.passages[sentence.passage_index].chunk.doc_id
            by_doc.setdefault(doc_id, []).append(sentence)
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        paragraphs: list[str] = []
        answer_sentences: list[AnswerSentence] = []
        for sentences in by_doc.values():
            sentences.sort(key=lambda s: (result.passages[s.passage_index].chunk.start, s.span[0]))
            document = result.passages[sentences[0].passage_index].document
            parts = [lead_in(document)]
            for sentence in sentences:
                passage = result.passages[sentence.passage_index]
                if sentence.passage_index not in numbers:
                    numbers[sentence.passage_index] = len(numbers) + 1
                    citations.append(make_citation(len(numbers), passage, sentence.span))
                n = numbers[sentence.passage_index]
                rendered = render_sentence(passage, sentence.span)
                parts.append(f"{rendered} [{n}]")
                answer_sentences.append(
                    AnswerSentence(
                        text=rendered, citations=[n], support_score=round(sentence.cosine, 4)
                    )
                )
            paragraphs.append(" ".join(parts))
        return Answer(
            question=question,
            answer="\n\n".join(paragraphs),
            abstained=False,
            citations=citations,
            sentences=answer_sentences,
        )


def lead_in(document) -> str:
    name = document.short_name or f"“{document.title}”"
    article = "The " if document.short_name else ""
    verb = _VERBS.get((document.kind or "").lower(), "says")
    return f"{article}{name} {verb}:"


def render_sentence(passage: Passage, span: tuple[int, int]) -> str:
    """A passage sentence as it reads in an answer: bullets dropped, speakers and labels kept."""
    chunk = passage.chunk
    text = chunk.text[span[0] : span[1]].strip()
    if text.startswith(("- ", "• ", "* ")):
        text = text[2:].strip()
    if chunk.kind == "quote" and chunk.speaker:
        if text.casefold() == chunk.speaker.casefold():
            return f"({chunk.speaker})"
        quoted = text.strip("\"'“”‘’ ")
        article = "An" if chunk.speaker[:1].lower() in "aeiou" else "A"
        return f"{article} {chunk.speaker[:1].lower() + chunk.speaker[1:]} said: “{quoted}”"
    if chunk.kind == "recommendation" and chunk.recommendation and len(chunk.recommendation) <= 3:
        return f"Recommendation {chunk.recommendation.rstrip('.)')}: {text}"
    return text


def make_citation(n: int, passage: Passage, span: tuple[int, int] | None) -> Citation:
    chunk = passage.chunk
    return Citation(
        n=n,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        title=passage.document.title,
        section=chunk.section,
        page=chunk.page,
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=round(float(passage.score), 4),
        sentence_start=span[0] if span else None,
        sentence_end=span[1] if span else None,
        speaker=chunk.attribution_at(span),
        kind=chunk.kind,
    )
