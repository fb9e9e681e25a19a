"""Evidence: every sentence of the retrieved passages, scored against the question.

Score = cosine with the question vector + a word-overlap bonus (on word stems, so "presented"
meets "present"), with small bonuses for a figure when the question asks for a quantity, for a
quote whose speaker the question names and for a passage the question named exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answering.question_type import AnswerType, has_type, wants_person
from assistant.answering.word_memo import document_words, stem_words, text_words
from assistant.core.models import Chunk, Passage, RetrievalResult
from assistant.core.text_match import content_words

LEXICAL_WEIGHT = 0.25
NUMBER_BONUS = 0.1
NAMED_BONUS = 0.5
# "How did a cultural partner describe …?": a quote attributed to a speaker whose every word the
# question names is that speaker's own answer, though its words need not echo the question's.
SPEAKER_BONUS = 0.2
# A sentence about the document itself ("This report provides an update on …", "This paper
# was commissioned by …"), a heading standing alone or a question the document asks states no
# finding, so it yields to one that does.
SELF_DESCRIPTION_PENALTY = 0.25
_SELF_DESCRIPTION = re.compile(
    r"^\W*(this|the present|the following)\s+(report|paper|document|section|chapter|briefing|"
    r"study|survey|review|note|summary|appendix|page)\s+((provides|sets out|set out|describes|"
    r"outlines|summarises|summarizes|presents|gives|is|explains|considers|introduces|updates|"
    r"seeks|aims)\b|(was|were|has been|is being)\s+(commissioned|written|prepared|produced|"
    r"published|undertaken|funded)\b)",
    re.IGNORECASE,
)
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "&",
        "–",
    ]
)


def heading_like(text: str, title: str = "") -> bool:
    """A title or heading standing as a sentence ("Cultural and Creative Learning"): no
    closing punctuation and every longer word capitalised, or the document's own title."""
    stripped = text.strip().strip("*#").strip()
    if title and stripped.casefold().startswith(title.strip().casefold()):
        return True  # the document's title, perhaps with its subtitle
    if not stripped or stripped[-1] in ".!?:;\"”'’)":
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", stripped) if w.lower() not in _SMALL_WORDS]
    return bool(words) and len(words) <= 12 and all(w[0].isupper() for w in words)


_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|often|big|large)|what (year|date|percentage|proportion|amount|"
    r"number|total|budget|cost)|when)\b",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(r"\d")
# a page's markdown heading kept in a passage's text ("## Contact the team")
MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s")


@dataclass
class ScoredSentence:
    passage_index: int
    sentence_index: int
    score: float
    cosine: float
    span: tuple[int, int]
    follows: ScoredSentence | None = None  # the sentence whose list this one continues
    # the part of ``score`` its document's own names gave (the same for all its sentences):
    # it ranks documents about the place asked first, but is no evidence of an answer
    given: float = 0.0


_CLOSERS = "\"”'’) "


def asks(chunk: Chunk, index: int) -> bool:
    """The sentence is a question in the document ("Do partners feel connected to the
    strategies?"): it asks what an answer should state, so it states no finding itself (a
    question the document goes on to answer still brings its answer along:
    ``shaping.expand_intros``)."""
    return chunk.sentence(index).rstrip(_CLOSERS).endswith("?")


@dataclass(frozen=True)
class _SentenceFacts:
    """What a sentence's score needs that is the same for every question."""

    index: int  # in the chunk's sentence spans
    span: tuple[int, int]
    stems: frozenset[str]  # its content words' stems
    has_number: bool
    states_nothing: bool  # about the document itself, or a question it asks
    heading: bool  # reads as a heading (outside a table)
    text: str


# Passages come back question after question (the seed corpus's 201, or a large index's most
# asked): their sentences' facts are read once per passage text. Keyed by chunk id (which
# names the content) and the document title (headings are compared with it).
class _Keyed:
    """A chunk as a cache key: what its sentences' facts are read from (a chunk parsed again
    for the next question is a new object with the same key)."""

    __slots__ = ("chunk", "key")

    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk
        spans = chunk.sentence_spans
        self.key = (chunk.chunk_id, chunk.text, chunk.kind, chunk.speaker, len(spans))

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and other.key == self.key


@lru_cache(maxsize=4096)
def _facts(keyed: _Keyed, title: str) -> tuple[_SentenceFacts, ...]:
    chunk = keyed.chunk
    spans = chunk.sentence_spans or [(0, len(chunk.text))]
    speaker = chunk.speaker.casefold() if chunk.speaker else None
    facts = []
    for index, span in enumerate(spans):
        text = chunk.text[span[0] : span[1]]
        if speaker and text.strip().casefold() == speaker:
            continue  # the attribution line is metadata, not evidence
        facts.append(
            _SentenceFacts(
                index=index,
                span=tuple(span),
                stems=stem_words(text_words(text)),
                has_number=bool(_HAS_NUMBER.search(text)),
                states_nothing=bool(_SELF_DESCRIPTION.match(text)) or asks(chunk, index),
                heading=chunk.kind != "table" and heading_like(text, title),
                text=text,
            )
        )
    return tuple(facts)


def evidence_sentences(question: str, result: RetrievalResult) -> list[ScoredSentence]:
    """Every sentence of the retrieved passages, scored, best first."""
    words = content_words(question)
    wants_number = bool(_QUANTITY_QUESTION.search(question))
    person = wants_person(question)
    stems = stem_words(frozenset(words))
    scored: list[ScoredSentence] = []
    for p_index, passage in enumerate(result.passages):
        chunk = passage.chunk
        # the document's own names (its council, its title) are true of every sentence in
        # it: each of its sentences has them, so matching them in one does not make it the
        # answer (and a document about the place asked still outranks one that is not)
        given = words & document_words(passage.document)
        given_stems = stem_words(frozenset(given))
        speaker = stem_words(text_words(chunk.speaker)) if chunk.speaker else frozenset()
        named_speaker = bool(speaker) and speaker <= stems
        named = result.is_named(passage)
        matrix = result.sentence_vectors.get(chunk.chunk_id)
        cosines = matrix @ result.query_vector if matrix is not None else ()
        for fact in _facts(_Keyed(chunk), passage.document.title):
            s_index = fact.index
            cosine = float(cosines[s_index]) if s_index < len(cosines) else 0.0
            hits = len(stems & fact.stems)
            lexical = LEXICAL_WEIGHT * (hits / len(words)) if words else 0.0
            with_given = (hits + len(given_stems - fact.stems)) / len(words) if words else 0.0
            boost = LEXICAL_WEIGHT * with_given - lexical
            score = cosine + lexical + boost
            if wants_number and fact.has_number:
                score += NUMBER_BONUS  # "how many…?" is answered by a sentence with a figure
            if fact.states_nothing or (
                fact.heading and not (person and has_type(fact.text, AnswerType.PERSON, question))
            ):  # a byline reads like a heading, but it answers "who wrote …"
                score -= SELF_DESCRIPTION_PENALTY
            if named_speaker:
                score += SPEAKER_BONUS
            if named:
                score += NAMED_BONUS  # the question asked for this recommendation by number
            scored.append(ScoredSentence(p_index, s_index, score, cosine, fact.span, given=boost))
    scored.sort(key=lambda s: -s.score)
    return scored


def is_fragment(passage: Passage, sentence: ScoredSentence) -> bool:
    """Nothing to quote as an answer: under four words outside a table (a list marker such as
    "3.", a stray slide word), or the tail of a sentence split at a wrapped line or a passage
    boundary ("embedded in the City's strategies, and …"), which would misquote."""
    chunk = passage.chunk
    text = chunk.text[sentence.span[0] : sentence.span[1]]
    if len(text.split()) < 4 and chunk.kind != "table":
        return True
    if MARKDOWN_HEADING.match(text):
        return True  # a page's heading kept in its text ("## Contact the team"), not a finding
    stripped = text.lstrip()
    before = chunk.text[: sentence.span[0]].rstrip()
    return (
        chunk.kind == "text"
        and stripped[:1].islower()
        and not stripped.startswith(("e.g", "i.e"))
        and (not before or before[-1] not in '.!?:;"”)')
    )
