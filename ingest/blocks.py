"""Split normalised text into typed blocks: headings, paragraphs, list items, tables, quotes.

These documents are text pulled out of slides and reports, so structure is inferred from line
shape: markdown ``#`` headings where a converter left them, short standalone lines otherwise,
``- `` / ``a)`` / ``1)`` list items with indented continuation lines, tab-separated table rows,
and a quoted paragraph followed by a short attribution line ("School partner").

The wording these rules read is the corpus profile's (``LineWording``): the roles an
attribution line names and the markup a converter leaves in the text. The rest is line shape
and English, the same for any council's documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.core.profile import CorpusProfile, load_profile
from assistant.core.quote_lines import SPEAKER_AFTER, SPEAKER_BEFORE

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_NUMBERED_HEADING = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+([A-Z].*)$")
_BULLET = re.compile(r"^\s*(?:[-*•✓▪◦]|\(?[a-z]\)|\(?\d{1,2}[.)]|[ivx]{1,4}\))\s+")
_QUOTE_OPEN = ('"', "'", "“", "‘")
_QUOTE_CLOSE = ('"', "'", "”", "’", '."', ".'", ".”", ".’")
# A dateline: who or where, a comma, then a date ("Ruth Lupton and Lorna Unwin, November 2018",
# "Cabinet, 12 March 2024", "Policy Unit, Spring 2019", "… earthquake, 2011"). Authors' and
# meetings' lines end this way in any report, and a heading never carries a date after a comma.
_DATELINE = re.compile(r",\s*(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:[A-Z][a-z]+\s+)?(?:19|20)\d\d\b")
_RECOMMENDATION_HEADING = re.compile(r"^recommendations?\b\.?\s*(\d+)?", re.IGNORECASE)


@dataclass(frozen=True)
class LineWording:
    """The profile's wording the block rules read, compiled once per profile.

    ``speaker`` finds a role word ("partner", "headteacher") in a quote's attribution line;
    ``markup`` finds the converter markup to strip (``**``, ``<u>``) from headings and passages.
    """

    speaker: re.Pattern[str]
    markup: re.Pattern[str] | None

    @classmethod
    def from_profile(cls, profile: CorpusProfile) -> LineWording:
        return _compiled(profile.speaker_roles, profile.markup)

    def strip(self, text: str) -> str:
        """``text`` without markup, trimmed."""
        return (self.markup.sub("", text) if self.markup else text).strip()


@lru_cache(maxsize=16)
def _compiled(roles: tuple[str, ...], markup: tuple[str, ...]) -> LineWording:
    if not roles:
        raise ValueError("the corpus profile lists no speaker roles")
    words = "|".join(re.escape(r).replace(r"\ ", r"\s+") for r in sorted(set(roles), key=len)[::-1])
    tokens = "|".join(re.escape(m) for m in sorted(set(markup), key=len)[::-1])
    return LineWording(
        re.compile(rf"\b(?:{words})s?\b", re.IGNORECASE), re.compile(tokens) if tokens else None
    )


def default_wording() -> LineWording:
    """The wording of the default profile alone (no deployment's additions)."""
    return LineWording.from_profile(load_profile())


@dataclass
class Block:
    """A run of source text with a role. ``start``/``end`` index the document text."""

    kind: str  # heading | paragraph | item | table | quote | fragments
    start: int
    end: int
    lines: list[str] = field(default_factory=list)
    level: int = 1
    speaker: str | None = None
    indented: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def strip_markup(text: str, wording: LineWording | None = None) -> str:
    """``text`` without the markup of ``wording`` (the default profile's when None), trimmed."""
    return (wording or default_wording()).strip(text)


def recommendation_number(heading: str) -> str | None:
    """'Recommendation 3' -> '3'; 'Recommendations' -> '' ; anything else -> None."""
    match = _RECOMMENDATION_HEADING.match(heading.strip())
    if not match:
        return None
    return match.group(1) or ""


def parse_blocks(text: str, wording: LineWording | None = None) -> list[Block]:
    """Parse ``text`` into blocks in document order, reading ``wording`` (default profile's)."""
    wording = wording or default_wording()
    blocks: list[Block] = []
    for group in _paragraph_groups(text):
        blocks.extend(_classify_group(group, wording))
    blocks = _attach_attributions(_attach_indented_continuations(blocks), wording)
    return _demote_fragment_runs(blocks)


def _attach_indented_continuations(blocks: list[Block]) -> list[Block]:
    """An indented paragraph after a list item continues that item across the blank line."""
    result: list[Block] = []
    for block in blocks:
        previous = result[-1] if result else None
        if block.indented and block.kind == "paragraph" and previous and previous.kind == "item":
            previous.lines.extend(block.lines)
            previous.end = block.end
        else:
            result.append(block)
    return result


def _paragraph_groups(text: str) -> list[list[tuple[int, str]]]:
    """Group consecutive non-blank lines, keeping each line's start offset."""
    groups: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    position = 0
    for line in text.split("\n"):
        if line.strip():
            current.append((position, line))
        elif current:
            groups.append(current)
            current = []
        position += len(line) + 1
    if current:
        groups.append(current)
    return groups


def _classify_group(group: list[tuple[int, str]], wording: LineWording) -> list[Block]:
    blocks: list[Block] = []
    for offset, line in group:
        end = offset + len(line)
        stripped = line.strip()
        previous = blocks[-1] if blocks else None
        if "\t" in line and not _BULLET.match(line):
            if previous is not None and previous.kind == "table":
                previous.lines.append(line)
                previous.end = end
            else:
                blocks.append(Block("table", offset, end, [line]))
        elif _BULLET.match(line) and not (
            previous is not None and previous.kind == "table" and line.startswith((" ", "\t"))
        ):
            blocks.append(Block("item", offset, end, [stripped]))
        elif previous is not None and (
            line[:1].isspace() or previous.kind in ("paragraph", "item") and not _is_heading(line)
        ):
            previous.lines.append(stripped)
            previous.end = end
        else:
            heading = _heading_level(line, wording) if len(group) == 1 else None
            if heading is not None:
                title = _heading_text(stripped, wording)
                blocks.append(Block("heading", offset, end, [title], heading))
            else:
                indented = line[:1].isspace()
                blocks.append(Block("paragraph", offset, end, [stripped], indented=indented))
    return blocks


def _heading_text(line: str, wording: LineWording) -> str:
    match = _MARKDOWN_HEADING.match(line)
    return wording.strip(match.group(2) if match else line).rstrip(":").strip()


def _is_heading(line: str) -> bool:
    return bool(_MARKDOWN_HEADING.match(line.strip()))


def _heading_level(line: str, wording: LineWording) -> int | None:
    """Level of a heading line, or None when the line reads as text."""
    stripped = line.strip()
    markdown = _MARKDOWN_HEADING.match(stripped)
    if markdown:
        numbered = _NUMBERED_HEADING.match(wording.strip(markdown.group(2)))
        return numbered.group(1).count(".") + 1 if numbered else len(markdown.group(1))
    plain = wording.strip(stripped)
    words = plain.split()
    if not words or len(plain) > 90 or len(words) > 12:
        return None
    if plain[-1] in ".,;" and recommendation_number(plain) is None:
        return None
    if plain.startswith(_QUOTE_OPEN) or not (plain[0].isupper() or plain[0].isdigit()):
        return None
    if _DATELINE.search(plain):
        return None
    numbered = _NUMBERED_HEADING.match(plain)
    if numbered:
        return numbered.group(1).count(".") + 1
    if plain.endswith(":"):
        return None
    return 2 if recommendation_number(plain) else 1


def _looks_like_quote(block: Block) -> bool:
    text = block.text.strip()
    return (
        block.kind == "paragraph"
        and len(text) > 25
        and text.startswith(_QUOTE_OPEN)
        and text.endswith(_QUOTE_CLOSE)
    )


def _looks_like_attribution(block: Block, wording: LineWording) -> bool:
    text = wording.strip(block.text)
    return (
        block.kind in ("heading", "paragraph")
        and len(text) <= 60
        and len(text.split()) <= 6
        and bool(wording.speaker.search(text))
    )


# A quote whose speaker is on the same line: '"…" — Youth worker', 'A youth worker said: "…"'.
_TRAILING_ATTRIBUTION = re.compile(rf"^(?P<quote>[“\"].{{25,}}[”\"]){SPEAKER_AFTER}$")
_LEADING_ATTRIBUTION = re.compile(rf"^{SPEAKER_BEFORE}(?P<quote>[“\"].{{25,}}[”\"])$")
_ARTICLE = re.compile(r"^(?:a|an|the|one)\s+", re.IGNORECASE)


def _speaker_name(text: str, wording: LineWording) -> str:
    """ "A further education college principal" -> "Further education college principal"."""
    speaker = _ARTICLE.sub("", wording.strip(text).rstrip(".:").strip())
    return speaker[:1].upper() + speaker[1:].lower()


def _inline_quote(block: Block, wording: LineWording) -> Block | None:
    """A one-line paragraph that is a quote with its speaker on the same line, as a quote
    block with that ``speaker`` (its text stays the whole line, as the document has it)."""
    if block.kind != "paragraph" or len(block.lines) != 1:
        return None
    line = block.lines[0]
    for pattern in (_TRAILING_ATTRIBUTION, _LEADING_ATTRIBUTION):
        match = pattern.match(line.strip())
        if not match or len(match.group("who").split()) > 8:
            continue
        if not wording.speaker.search(match.group("who")):
            continue
        speaker = _speaker_name(match.group("who"), wording)
        return Block("quote", block.start, block.end, block.lines, speaker=speaker)
    return None


def _attach_attributions(blocks: list[Block], wording: LineWording) -> list[Block]:
    """Merge a quoted paragraph with the attribution line that follows it; a quote whose
    speaker is on the same line becomes a quote block with that speaker."""
    merged: list[Block] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        inline = _inline_quote(block, wording)
        if inline is not None:
            merged.append(inline)
            index += 1
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if (
            _looks_like_quote(block)
            and following is not None
            and _looks_like_attribution(following, wording)
        ):
            speaker = _speaker_name(following.text, wording)
            merged.append(Block("quote", block.start, following.end, block.lines, speaker=speaker))
            index += 2
            continue
        if _looks_like_quote(block):
            block.kind = "quote"
        merged.append(block)
        index += 1
    return merged


def _is_substantive(block: Block) -> bool:
    return block.kind in ("item", "table", "quote") or len(block.text) >= 80


def _demote_fragment_runs(blocks: list[Block]) -> list[Block]:
    """Runs of three or more short standalone lines are slide residue, not a heading stack.

    Text taken from slides, infographics and diagrams comes out as short lines with no sentence
    around them (word clouds, box labels, chart axes): one "fragments" block, not headings. Two
    of its lines keep their role by position alone, so this holds for any document: the last
    is a heading when real content follows it (it titles that content), and the first is one
    when real content comes before it (after a passage a short line opens something new, so it
    titles the fragments under it).
    """
    result: list[Block] = []
    index = 0
    while index < len(blocks):
        run_end = index
        while run_end < len(blocks) and _is_short_line(blocks[run_end]):
            run_end += 1
        run = blocks[index:run_end]
        if len(run) >= 3:
            keep_last = (
                run[-1].kind == "heading"
                and run_end < len(blocks)
                and _is_substantive(blocks[run_end])
            )
            fragments = run[:-1] if keep_last else run
            if fragments[0].kind == "heading" and result and _is_substantive(result[-1]):
                result.append(fragments.pop(0))  # the title of what the fragments show
            lines = [line for block in fragments for line in block.lines]
            result.append(Block("fragments", fragments[0].start, fragments[-1].end, lines))
            if keep_last:
                result.append(run[-1])
            index = run_end
        elif run:
            result.extend(run)
            index = run_end
        else:
            result.append(blocks[index])
            index += 1
    return result


def _is_short_line(block: Block) -> bool:
    if block.kind == "heading" and block.text.startswith("#"):
        return False
    return (
        block.kind in ("heading", "paragraph")
        and len(block.text) < 80
        and (block.kind == "heading" or len(block.lines) == 1)
        and recommendation_number(block.text) is None
    )
