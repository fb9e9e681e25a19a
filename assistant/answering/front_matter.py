"""Who wrote a document, and when: its front matter, not its findings.

"Who wrote the Greater Manchester paper, and when?" is answered by a byline ("Ruth Lupton and
Lorna Unwin, November 2018") on the first page. Retrieval does not find it: a byline is a few
words that share none of the question's, and every passage of the document is embedded with
the document's names. So a question that asks for a named document's authors (or its date of
writing) is answered from that document's opening passages: the sentences there that name
people, or a date for "when was … published", in the document's order, and the people under
a heading that credits them wherever it is ("7. Contact officer" near a council report's end).
"""

from __future__ import annotations

import re

from assistant.answering.evidence import MARKDOWN_HEADING
from assistant.answering.question_type import AnswerType, has_type
from assistant.core.models import Passage

# How many opening passages count as front matter: a title, a byline, a commissioning line.
FRONT_PASSAGES = 3
_AUTHORSHIP = re.compile(
    r"\b(who\s+(wrote|authored|prepared|produced|compiled|is\s+the\s+author|are\s+the\s+authors)"
    r"|authors?\s+of|written\s+by|prepared\s+by|contact\s+officer|who\s+(should|do|can)\s+\w+\s+"
    r"contact|who\s+is\s+the\s+contact)\b",
    re.IGNORECASE,
)
_WHEN_WRITTEN = re.compile(
    r"\bwhen\s+(was|were)\b.*\b(written|published|produced|prepared|issued)\b", re.IGNORECASE
)


def asks_authorship(question: str) -> bool:
    """The question asks who wrote a document, or when it was written or published."""
    return bool(_AUTHORSHIP.search(question) or _WHEN_WRITTEN.search(question))


# a line that credits its authors: "Author: …", "Prepared by …", "Contact officer: …"
_CREDIT = re.compile(
    r"^\W*(report\s+)?(authors?|written\s+by|prepared\s+by|compiled\s+by|by|contact|"
    r"contact\s+officer|lead\s+officer)\b\s*[:\-–]?\s*\S",
    re.IGNORECASE,
)
# the only lower-case words a byline has ("Ruth Lupton and Lorna Unwin, November 2018")
_BYLINE_WORDS = frozenset({"and", "by", "of", "the", "for", "on", "behalf", "with", "at", "&"})
MAX_BYLINE_WORDS = 15
# a section that credits people, anywhere in the document (council reports end with one)
_CREDIT_HEADING = re.compile(
    r"\b(contact\s+officers?|report\s+authors?|authors?|prepared\s+by|written\s+by)\s*$",
    re.IGNORECASE,
)


def is_byline(text: str) -> bool:
    """A short line of names (and perhaps a date), or one that credits its authors."""
    if _CREDIT.match(text):
        return True
    words = re.findall(r"[\w'’.-]+", text)
    if not 2 <= len(words) <= MAX_BYLINE_WORDS:
        return False
    lower = [w for w in words if w[0].islower()]
    capitalised = [w for w in words if w[0].isupper()]
    return len(capitalised) >= 2 and all(w in _BYLINE_WORDS for w in lower)


def byline_items(question: str, passages: list[Passage]) -> list[tuple[Passage, tuple, None]]:
    """The byline of a document's front matter, for an authorship question: each opening
    sentence that reads as one and names a person, or for "when was it written" a date; and
    for "who wrote" the people named under a credits heading anywhere ("Contact officer").
    Empty when there is none: then the question is answered as any other.
    ``passages``: one document's passages in order."""
    wants_name = bool(_AUTHORSHIP.search(question))
    items: list[tuple[Passage, tuple, None]] = []
    for position, passage in enumerate(passages):
        chunk = passage.chunk
        front = position < FRONT_PASSAGES
        in_credits = wants_name and any(_CREDIT_HEADING.search(h) for h in chunk.section_path[-1:])
        title = passage.document.title.strip().casefold()
        heading_next = False  # "## 7." split from its words: the next sentence is the heading
        for span in chunk.sentence_spans or [(0, len(chunk.text))]:
            text = chunk.text[span[0] : span[1]].strip()
            marker = MARKDOWN_HEADING.match(text)
            if marker or heading_next:  # "## 7. Contact officer" left in the text
                heading = text[marker.end() :] if marker else text
                heading_next = bool(marker) and not re.search(r"[^\W\d]", heading)
                in_credits = wants_name and bool(_CREDIT_HEADING.search(heading))
                continue
            if title and text.casefold().startswith(title):
                continue  # a title's capitalised words are no byline
            # a credit names whoever it names; a byline must name a person (or give the date)
            credited = wants_name and (in_credits or bool(_CREDIT.match(text)))
            kind = AnswerType.PERSON if wants_name else AnswerType.DATE
            if credited or (front and is_byline(text) and has_type(text, kind, question)):
                items.append((passage, span, None))
    return items
