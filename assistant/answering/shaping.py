"""Answers shaped to the question: the list a list question asks for, the figure first for a
numeric question, a document's recommendations in its own order, one paragraph per place
compared. Rules of question form and passage structure only, nothing about any corpus."""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.answering.evidence import ScoredSentence, is_fragment
from assistant.answering.question_type import AnswerType, has_type
from assistant.core.models import Answer, AnswerSentence, Citation, Passage, RetrievalResult

MAX_LIST_ITEMS = 10
INTRO_ITEMS = 4
_ITEM = re.compile(r"^\s*(?:[-•*]|\(?\d{1,2}[.)]|\(?[a-h][.)])\s+")
_MARKER = re.compile(r"\[(\d+)\]")
_BARE_LABEL = re.compile(r"^\s*(?:[-•*]\s*)?(?:\(?\d{1,2}[.)]|\(?[a-h][.)])?\s*$")


def is_item(text: str) -> bool:
    return bool(_ITEM.match(text))


SHORT_ITEM_WORDS = 8  # an item this short is a label: its next sentence says what it is


def sequence_items(noun: str, passages: list[Passage]) -> list[tuple[Passage, tuple, str | None]]:
    """Items that open "<Noun> <number>" ("Phase 2: …"), as a sentence or as a section
    heading, first of each number, in document order: (passage, sentence span, heading or
    None). A heading item is cited to the first passage under it."""
    return list(numbered_items(noun, passages).values())[:MAX_LIST_ITEMS]


def opens_item(noun: str, text: str) -> bool:
    """``text`` opens a "<Noun> <number>" item ("Phase 2: …", "3.1 Option A: …")."""
    return bool(_sequence_pattern(noun).match(text))


def numbered_items(
    noun: str, passages: list[Passage]
) -> dict[str, tuple[Passage, tuple, str | None]]:
    """``sequence_items`` by their number or letter as written, casefolded ("2", "a", "ii",
    "two"), every one of them."""
    pattern = _sequence_pattern(noun)
    found: dict[str, tuple[Passage, tuple, str | None]] = {}
    for passage in passages:
        chunk = passage.chunk
        spans = chunk.sentence_spans or [(0, len(chunk.text))]
        for heading in chunk.section_path:
            match = pattern.match(heading)
            if match and match.group(1).casefold() not in found:
                found[match.group(1).casefold()] = (passage, tuple(spans[0]), heading.strip("* "))
        for index, span in enumerate(spans):
            match = pattern.match(chunk.text[span[0] : span[1]])
            if match and match.group(1).casefold() not in found:
                found[match.group(1).casefold()] = (
                    passage,
                    _with_gloss(chunk, index, pattern),
                    None,
                )
    return found


def _with_gloss(chunk, index: int, pattern: re.Pattern[str]) -> tuple[int, int]:
    """An item's span; a short label ("Option A: Do nothing.") takes the sentence that says
    what it is ("Rural residents continue to rely on …"), unless that opens the next item."""
    span = tuple(chunk.sentence_spans[index]) if chunk.sentence_spans else (0, len(chunk.text))
    following = chunk.sentence(index + 1)
    short = len(chunk.sentence(index).split()) <= SHORT_ITEM_WORDS
    if short and following and not pattern.match(following) and not is_item(following):
        return (span[0], chunk.sentence_spans[index + 1][1])
    return span


def _sequence_pattern(noun: str) -> re.Pattern[str]:
    """ "Phase 2: …", "**Phase 2**", "3.1 Option A: …" (a paragraph number first), "Stage iii"."""
    return re.compile(
        rf"^\W*(?:\d{{1,2}}(?:\.\d{{1,2}})*\.?\s+)?{re.escape(noun)}\s+(\d{{1,2}}|[ivx]{{1,4}}|one|two|three|four|five|(?-i:[A-H]))\b",
        re.IGNORECASE,
    )


def select_sequence(
    scored: list[ScoredSentence], result: RetrievalResult, noun: str
) -> list[ScoredSentence] | None:
    """ "Phase 1: …", "Phase 2: …" across the passages of the best sentence's document: the
    sequence a "what are the phases" question asks for, in its own order."""
    if not scored:
        return None
    pattern = _sequence_pattern(noun)
    best_doc = result.passages[scored[0].passage_index].chunk.doc_id
    found: dict[str, ScoredSentence] = {}
    for sentence in scored:
        chunk = result.passages[sentence.passage_index].chunk
        if chunk.doc_id != best_doc:
            continue
        match = pattern.match(chunk.text[sentence.span[0] : sentence.span[1]])
        if match and match.group(1).casefold() not in found:
            found[match.group(1).casefold()] = sentence
    if len(found) < 2:
        return None
    return sorted(
        found.values(),
        key=lambda s: (result.passages[s.passage_index].chunk.start, s.span[0]),
    )[:MAX_LIST_ITEMS]


def select_list(
    scored: list[ScoredSentence], result: RetrievalResult, floor: float, noun: str | None = None
) -> list[ScoredSentence] | None:
    """The items of the best-matching passage that holds a list (two or more items), in the
    document's order — one that names the ``noun`` asked for, when the question gives one;
    None when no passage above ``floor`` holds one."""
    if noun and (sequence := select_sequence(scored, result, noun)):
        return sequence
    by_span = {(s.passage_index, s.sentence_index): s for s in scored}
    tried: set[int] = set()
    for sentence in scored:
        if sentence.score < floor:
            break
        index = sentence.passage_index
        if index in tried:
            continue
        tried.add(index)
        passage = result.passages[index]
        if noun and noun[:5] not in f"{passage.chunk.section} {passage.chunk.text}".casefold():
            continue  # a list of something else ("principles" when "phases" were asked)
        spans = passage.chunk.sentence_spans or []
        items = [
            by_span[(index, i)]
            for i, (start, end) in enumerate(spans)
            if (index, i) in by_span and is_item(passage.chunk.text[start:end])
        ]
        items = [s for s in items if not is_fragment(passage, s)]
        if len(items) >= 2:
            return items[:MAX_LIST_ITEMS]
    return None


def expand_intros(
    chosen: list[ScoredSentence], scored: list[ScoredSentence], result: RetrievalResult
) -> list[ScoredSentence]:
    """A chosen sentence that introduces what follows brings it, up to INTRO_ITEMS items, so
    the answer states the finding rather than announcing it: one ending ":" ("Partners raised
    three concerns:"), a question the document goes on to answer ("Why a new legal
    structure?"), one followed by list items whatever its last mark ("… reflected on the
    strengths;"), and one followed by a single bridging sentence ending ":" and then items
    ("… the more fundamental problems." "We identified five:" "a) …")."""
    by_span = {(s.passage_index, s.sentence_index): s for s in scored}
    taken = {(s.passage_index, s.sentence_index) for s in chosen}
    expanded: list[ScoredSentence] = []
    for sentence in chosen:
        expanded.append(sentence)
        chunk = result.passages[sentence.passage_index].chunk
        labelled = False  # the previous follower was a bare "1.": its text is this one
        for number, index in enumerate(_introduced(chunk, sentence.sentence_index)):
            key = (sentence.passage_index, index)
            text = chunk.sentence(index)
            if _BARE_LABEL.match(text):
                labelled = True
                continue  # a list label split from its item: skip it, keep the item
            follower = by_span.get(key)
            if follower is None or key in taken:
                break
            if number > 0 and not labelled and not is_item(text):
                break
            labelled = False
            expanded.append(replace(follower, follows=sentence))
            taken.add(key)
    return expanded


def reads_as_item(chunk, index: int) -> bool:
    """The ``index``-th sentence is a list item: it opens with a marker, or follows a bare
    marker ("1.") that the sentence splitter cut from it."""
    return is_item(chunk.sentence(index)) or (
        index > 0 and bool(_BARE_LABEL.match(chunk.sentence(index - 1)))
    )


def _introduced(chunk, index: int) -> list[int]:
    """The sentences the ``index``-th introduces, in order (the first may be a bridge or the
    answer to a question; later ones must be list items): none when it introduces nothing."""
    text = chunk.sentence(index).rstrip()
    after = range(index + 1, index + 1 + INTRO_ITEMS)
    if text.endswith((":", "?")) or is_item(chunk.sentence(index + 1)):
        return list(after)
    bridge = chunk.sentence(index + 1).rstrip()
    if bridge.endswith(":") and is_item(chunk.sentence(index + 2)):
        return [index + 1, *range(index + 2, index + 2 + INTRO_ITEMS)]
    return []


def figure_first(
    chosen: list[ScoredSentence],
    scored: list[ScoredSentence],
    result: RetrievalResult,
    wanted: AnswerType,
    question: str,
    floor: float,
) -> list[ScoredSentence]:
    """For "how many / how much / when / who wrote …": the best sentence holding the figure
    (or name) leads — one already chosen, else the best-scoring one above ``floor`` in the
    documents already quoted, so the answer states it rather than the sentences around it."""
    if wanted is AnswerType.ANY or not chosen:
        return chosen
    for position, sentence in enumerate(chosen):
        chunk = result.passages[sentence.passage_index].chunk
        if has_type(chunk.text[sentence.span[0] : sentence.span[1]], wanted, question):
            return [sentence, *chosen[:position], *chosen[position + 1 :]]
    documents = {result.passages[s.passage_index].chunk.doc_id for s in chosen}
    for sentence in scored:
        if sentence.score < floor:
            break
        passage = result.passages[sentence.passage_index]
        if passage.chunk.doc_id not in documents or is_fragment(passage, sentence):
            continue
        if has_type(passage.chunk.text[sentence.span[0] : sentence.span[1]], wanted, question):
            return [sentence, *chosen]
    return chosen


def renumber(answer: Answer, offset: int) -> tuple[str, list[Citation], list[AnswerSentence]]:
    """``answer``'s text, citations and sentences with every ``[n]`` shifted by ``offset``."""
    text = _MARKER.sub(lambda m: f"[{int(m.group(1)) + offset}]", answer.answer)
    citations = [c.model_copy(update={"n": c.n + offset}) for c in answer.citations]
    sentences = [
        s.model_copy(update={"citations": [n + offset for n in s.citations]})
        for s in answer.sentences
    ]
    return text, citations, sentences


def merge_answers(question: str, parts: list[tuple[str, Answer]]) -> Answer:
    """One answer from one answer per compared place: a paragraph each, citations renumbered.
    A place whose documents don't answer says so in its own paragraph."""
    paragraphs: list[str] = []
    citations: list[Citation] = []
    sentences: list[AnswerSentence] = []
    for label, part in parts:
        if part.abstained:
            paragraphs.append(f"{label}: the documents about it don't say.")
            continue
        text, cited, said = renumber(part, len(citations))
        paragraphs.append(text)
        citations += cited
        sentences += said
    answered = [p for _, p in parts if not p.abstained]
    return Answer(
        question=question,
        answer="\n\n".join(paragraphs),
        abstained=not answered,
        citations=citations if answered else [c for _, p in parts for c in p.citations][:5],
        sentences=sentences,
        answerability=min((p.answerability or 0.0) for p in answered) if answered else None,
    )


def recommendation_items(passages: list[Passage]) -> list[tuple[Passage, tuple, str | None]]:
    """Numbered recommendations in document order, each with its opening sentence's span."""
    items: list[tuple[Passage, tuple, str | None]] = []
    for passage in passages:
        chunk = passage.chunk
        if chunk.kind != "recommendation" or not chunk.recommendation:
            continue
        if len(chunk.recommendation) > 3:  # an introduction, not a numbered recommendation
            continue
        spans = chunk.sentence_spans or [(0, len(chunk.text))]
        opening = next(  # the first sentence that says something (not "1." or a label)
            (s for s in spans if len(_ITEM.sub("", chunk.text[s[0] : s[1]]).split()) >= 4),
            spans[0],
        )
        items.append((passage, tuple(opening), None))
    return items
