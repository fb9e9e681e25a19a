"""Typed objects that cross module boundaries: documents, chunks, passages, citations, answers.

Offsets are character offsets into the document's normalised text (what the source viewer shows),
so a citation can always be traced back to the exact place it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from assistant.core.chunk_ids import doc_id_of


class DocumentMeta(BaseModel):
    """What we know about one source document."""

    doc_id: str
    title: str
    short_name: str | None = None
    organisation: str | None = None
    place: str | None = None
    date: str | None = None
    kind: str | None = None
    summary: str | None = None
    source_path: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.short_name or self.title


class SourceDocument(BaseModel):
    """A loaded, normalised document ready for chunking."""

    meta: DocumentMeta
    text: str
    content_hash: str
    page_starts: list[int] = Field(
        default_factory=list, description="Offset where each page begins (PDFs); empty if none."
    )

    def page_at(self, offset: int) -> int | None:
        if not self.page_starts:
            return None
        page = 1
        for number, start in enumerate(self.page_starts, start=1):
            if start <= offset:
                page = number
            else:
                break
        return page


class Chunk(BaseModel):
    """A retrievable passage of a document, with where it came from."""

    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    section_path: list[str] = Field(default_factory=list)
    start: int
    end: int
    page: int | None = None
    page_end: int | None = Field(None, description="Last page the passage runs onto (PDFs).")
    sentence_pages: list[int] = Field(
        default_factory=list, description="The page each sentence starts on (PDFs)."
    )
    kind: str = "text"  # text | list | table | quote | recommendation | heading
    speaker: str | None = None
    recommendation: str | None = None
    sentence_spans: list[tuple[int, int]] = Field(default_factory=list)
    sentence_attributions: list[str | None] = Field(
        default_factory=list, description="Who each sentence reports the view of, if anyone."
    )

    def sentence(self, index: int) -> str:
        """The ``index``-th sentence's text ("" past either end; the whole text when the chunk
        has no sentence spans)."""
        spans = self.sentence_spans or [(0, len(self.text))]
        if not 0 <= index < len(spans):
            return ""
        return self.text[spans[index][0] : spans[index][1]]

    def attribution_at(self, span: tuple[int, int] | None) -> str | None:
        """The speaker of a quote, or the group a reported finding is attributed to."""
        if self.speaker:
            return self.speaker
        if span is None or not self.sentence_attributions:
            return None
        for index, candidate in enumerate(self.sentence_spans):
            if tuple(candidate) == tuple(span) and index < len(self.sentence_attributions):
                return self.sentence_attributions[index]
        return None

    def page_of(self, span: tuple[int, int] | None) -> int | None:
        """The page of the sentence at ``span`` (PDFs); otherwise the passage's first page."""
        if span is not None and self.sentence_pages:
            for index, (start, end) in enumerate(self.sentence_spans):
                if start <= span[0] < max(end, start + 1) and index < len(self.sentence_pages):
                    return self.sentence_pages[index]
        return self.page

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    def sentences(self) -> list[str]:
        return [self.text[s:e] for s, e in self.sentence_spans]


class Passage(BaseModel):
    """A chunk as returned by retrieval, with its document and scores."""

    chunk: Chunk
    document: DocumentMeta
    score: float = 0.0
    scores: dict[str, float] = Field(default_factory=dict)


class Citation(BaseModel):
    """A numbered reference from an answer to the passage that supports it."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    page: int | None
    start: int
    end: int
    text: str
    score: float
    sentence_start: int | None = Field(
        None, description="Span of the supporting sentence inside `text` (for highlighting)."
    )
    sentence_end: int | None = None
    speaker: str | None = None
    kind: str = "text"


class AnswerSentence(BaseModel):
    """One sentence of an answer and the citations it carries."""

    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool = True
    support_score: float | None = None


class Answer(BaseModel):
    """The answer object: the same shape from the CLI (--json), the API and the UI."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    rewritten_question: str | None = None
    sentences: list[AnswerSentence] = Field(default_factory=list)
    backend: str = "extractive"
    notice: str | None = None
    cached: bool = Field(
        False,
        description="Served from the answer cache: the same question, history, filters and "
        "top_k were answered before over the same index.",
    )
    timings: dict[str, float] = Field(default_factory=dict)
    answerability: float | None = Field(
        None,
        description="P(the evidence answers the question) from the calibrated answerability "
        "model; the answer abstains below its threshold.",
    )


class Turn(BaseModel):
    """One message of a conversation."""

    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(max_length=20000)


@dataclass
class RetrievalResult:
    """What retrieval hands the answerers: passages in final order, the question vector, each
    passage's sentence vectors, which passages the question named exactly (pinned first and
    quoted: "what is recommendation 3?"), and how long each step took."""

    passages: list[Passage]
    query_vector: np.ndarray
    sentence_vectors: dict[str, np.ndarray]
    timings: dict[str, float]
    named_ids: frozenset[str] = field(default_factory=frozenset)
    # the registry generation it was retrieved at (None: not known), so the answerer reads
    # the same generation's index parts without asking the registry again
    generation: int | None = None

    def is_named(self, passage: Passage) -> bool:
        return passage.chunk.chunk_id in self.named_ids

    def doc_ids(self) -> set[str]:
        return {doc_id_of(p.chunk.chunk_id) for p in self.passages}
