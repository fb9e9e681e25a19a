"""A numbered item the question names: "What did the Kirklees report propose for phase 1?".

Strategies number their phases, priorities, objectives and options, and an officer asks for
one by its number or letter. Like "recommendation 3" (which the retriever looks up by number),
the item is found by its label, not by resemblance: its opening ("Phase 1: Vision and
commission Oct 20 - Jan 21") shares little with the question's words. The answer is that
opening and what follows it in the same passage: its list items, or a sentence or two, up to
the next item of the same kind.
"""

from __future__ import annotations

import re

from assistant.answering.shaping import is_item, numbered_items, opens_item
from assistant.core.models import Passage

# Kinds of numbered item a question may name ("recommendation" has its own lookup).
_NAMED_ITEM = re.compile(
    r"\b(phase|stage|priority|objective|theme|step|strand|pillar|workstream|outcome|ambition|"
    r"aim|goal|option)\s+(\d{1,2}|one|two|three|four|five|six|(?-i:[A-H]))\b",
    re.IGNORECASE,
)
_WORD_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}
FOLLOWING_SENTENCES = 2  # plain sentences after the opening
FOLLOWING_ITEMS = 6  # or list items after it


def named_item(question: str) -> tuple[str, str] | None:
    """(kind, number) of the item the question names, e.g. ("phase", "1"); None if none."""
    match = _NAMED_ITEM.search(question)
    if not match:
        return None
    number = match.group(2).casefold()
    return match.group(1).casefold(), _WORD_NUMBERS.get(number, number)


def item_sentences(
    kind: str, number: str, passages: list[Passage]
) -> tuple[Passage, list[int], str | None] | None:
    """Item ``number`` of ``kind`` in one document's ``passages`` (in order): its passage, the
    indices of the sentences to quote (its opening, then its list items or up to
    FOLLOWING_SENTENCES sentences, stopping at the next item of the same kind), and its
    heading when the item is a section heading (then the sentences are the first under it).
    None when the document has no such item."""
    for label, (passage, span, heading) in numbered_items(kind, passages).items():
        if _WORD_NUMBERS.get(label, label) != number:
            continue
        chunk = passage.chunk
        spans = [tuple(s) for s in chunk.sentence_spans] or [(0, len(chunk.text))]
        if heading:  # the passage under the heading: its opening sentences are the item's
            taken, last = [], -1
        else:
            start = next((i for i, s in enumerate(spans) if s[0] == span[0]), 0)
            last = next((i for i, s in enumerate(spans) if s[1] == span[1]), start)
            taken = list(range(start, last + 1))  # with a short label's gloss (numbered_items)
        items = is_item(chunk.sentence(last + 1))
        limit = FOLLOWING_ITEMS if items else FOLLOWING_SENTENCES
        for index in range(last + 1, min(len(spans), last + 1 + limit)):
            text = chunk.sentence(index)
            if opens_item(kind, text):
                break  # the next item begins
            if items and not is_item(text):
                break
            taken.append(index)
        return passage, taken, heading
    return None
