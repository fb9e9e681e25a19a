"""The default answerer: no LLM, an answer assembled from the documents' own sentences.

Sentences are scored against the question (cosine with the question vector, plus word overlap),
the best are grouped by document under a lead-in naming it, quotes keep their speaker, and every
sentence ends with the ``[n]`` of the passage it came from. Weak evidence means abstaining.
"""

from __future__ import annotations

from assistant.answering.composition import lead_in, make_citation, render_sentence
from assistant.answering.evidence import ScoredSentence, evidence_sentences, is_fragment
from assistant.core.models import Answer, AnswerSentence, Citation, RetrievalResult

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
