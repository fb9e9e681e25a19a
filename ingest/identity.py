"""Who a document is, read from the document: title, organisation, place, date and kind.

Used when the manifest has no entry (or leaves a field out). Every rule is general:
- **title**: the first heading of a Markdown or web page; a cover sheet's "Title of report";
  otherwise the first line that is not furniture (``ingest/boilerplate.py``: labels, links,
  file sizes, navigation, contact lines, lines repeated across the folder), not a
  ``Label: value`` field, not a date, not the authority's own name, and not prose;
- **organisation and place**: the UK authority the file name, URL, title and text name most
  strongly (``ingest/gazetteer.py``); a place alone gives the place, not the organisation;
- **date**: the meeting, decision, update or publication date the text states
  (``ingest/identity_dates.py``);
- **kind**: the first kind the title names, else the opening lines, else the file name, in the
  order minutes, decision record, scrutiny report, feasibility study, survey, briefing,
  discussion paper, review, strategy; a web page that is not minutes or a decision is a web page.
``sources`` says where each field was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.boilerplate import FolderLines, is_dangling, is_furniture, label_words_only
from ingest.gazetteer import Gazetteer
from ingest.html_loader import PageInfo
from ingest.identity_dates import dates_in, document_date

_TOP_CHARS = 6000
_TOP_LINES = 40
_KIND_LINES = 12
_HEADING_LINES = 8
_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.?\s")
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in [
        ("minutes", r"\bminutes\b"),
        (
            "decision record",
            r"\b(decision details|record of (?:the )?(?:executive |cabinet |officer )?decisions?|"
            r"decision record|date of decision|decision maker|decision notice)\b",
        ),
        ("scrutiny report", r"\bscrutiny\b"),
        ("feasibility study", r"\bfeasibility\b"),
        ("survey", r"\b(survey|consultation|summary of responses|questionnaire)\b"),
        ("briefing", r"\bbriefing\b"),
        ("discussion paper", r"\b(discussion paper|this paper|white paper|green paper)\b"),
        ("review", r"\breview\b"),
        ("strategy", r"\bstrateg(?:y|ies)\b"),
    ]
]
_WEB_KINDS = {"minutes", "decision record"}
_MARKUP = re.compile(r"^#{1,6}\s+|\*\*|__|^\*|\*$")
_BULLET = re.compile(r"^(?:[-•*▪◦✓]|\(?[a-z0-9]{1,3}[.)])\s")
_FIELD = re.compile(r"^(?P<label>[A-Za-z][\w '’()/&-]{0,40}?)\s*[:?]\s+(?P<value>\S.*)$")
_FIELD_WORDS = re.compile(
    r"\b(maker|status|ward|wards|portfolio|author|authors|reference|ref|lead|member|members|"
    r"chair|by|name|type|category|classification|cabinet|key|eligible|exempt|director)\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:prepared|written|produced|published|commissioned|presented|compiled)\s+(?:by|for)\b|"
    r"^(?:final\s+)?report\s+(?:of|by|to)\s+the\b|^(?:held|present)\b",
    re.IGNORECASE,
)
_COVER_TITLE = re.compile(
    r"\b(?:title of (?:the )?report|report title|subject)\s*:\s*(?P<title>.+?)"
    r"(?=(?-i:\s+[A-Z]\w*(?: [a-z]\w*){0,3}:\s)|$)",
    re.IGNORECASE,
)
_COVER_MEETING = re.compile(
    r"\bname of (?:the )?meeting\s*:\s*(?P<meeting>.+?)"
    r"(?=(?-i:\s+[A-Z]\w*(?: [a-z]\w*){0,3}:\s)|$)",
    re.IGNORECASE,
)
_SITE_SUFFIX = re.compile(r"\s+[-|–—:]\s+[^-|–—:]+$")


@dataclass
class Identity:
    title: str
    organisation: str | None = None
    place: str | None = None
    date: str | None = None
    kind: str | None = None
    short_name: str | None = None
    source_url: str | None = None
    sources: dict[str, str] = field(default_factory=dict)


def clean_line(line: str) -> str:
    return " ".join(_MARKUP.sub("", line.strip()).replace("**", "").split()).strip(" *_")


def top_lines(text: str) -> list[str]:
    lines = (clean_line(line) for line in text[:_TOP_CHARS].splitlines())
    return [line for line in lines if line][:_TOP_LINES]


def is_field_line(line: str) -> bool:
    """``Label: value`` lines of a meeting system or cover sheet ("Decision Maker: Cabinet")."""
    match = _FIELD.match(line)
    if not match:
        return False
    label, value = match.group("label"), match.group("value")
    return (
        label_words_only(label)
        or bool(_FIELD_WORDS.search(label))
        or bool(dates_in(value[:20]))
        or value[:1].isdigit()
        or len(label.split()) > 5
    )


def is_title_line(line: str, gazetteer: Gazetteer, folder: FolderLines | None = None) -> bool:
    words = line.split()
    if not 4 <= len(line) <= 200 or not words or line[0].islower():
        return False
    if line.endswith((":", ";", ",")) or _BULLET.match(line) or _BYLINE.match(line):
        return False
    if is_furniture(line) or is_dangling(line) or is_field_line(line):
        return False
    if folder is not None and folder.is_repeated(line):
        return False
    if gazetteer.is_authority_name(line) or _is_date_line(line):
        return False
    capitalised = sum(1 for w in words if w[:1].isupper()) / len(words)
    prose = line.endswith((".", "?", "!")) and capitalised < 0.5 and len(words) > 8
    return not (prose or len(words) > 30)


def _is_date_line(line: str) -> bool:
    found = dates_in(line)
    if not found:
        return False
    rest = line
    for start, end, _ in reversed(found):
        rest = rest[:start] + rest[end:]
    return len(rest.split()) <= 3


def infer_title(
    text: str,
    file_name: str,
    gazetteer: Gazetteer,
    folder: FolderLines | None = None,
    page: PageInfo | None = None,
) -> tuple[str, str]:
    """The title and where it was found (heading, cover sheet, page title, text, file name)."""
    lines = top_lines(text)
    for line in lines:
        cover = _COVER_TITLE.search(line)
        if cover:
            title = cover.group("title").strip(" .")
            meeting = _COVER_MEETING.search(line)
            if meeting:
                title = f"{title}: report to {meeting.group('meeting').strip(' .')}"
            return title, "cover sheet"
    opening = [raw.strip() for raw in text[:_TOP_CHARS].splitlines() if raw.strip()]
    for raw in opening[:_HEADING_LINES]:  # a top-level heading above the body is the title
        heading = clean_line(raw)
        if re.match(r"^#\s+\S", raw) and not _NUMBERED.match(heading):
            if is_title_line(heading, gazetteer, folder):
                return heading.rstrip("."), "heading"
            break
    if page is not None and page.title:
        title = _SITE_SUFFIX.sub("", page.title).strip()
        if is_title_line(title, gazetteer, folder):
            return title, "page title"
    for line in lines:
        if is_title_line(line, gazetteer, folder):
            return line.rstrip(".") if not line.endswith("..") else line, "text"
    stem = Path(file_name).stem
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or "Untitled", "file name"


def infer_kind(title: str, lines: list[str], file_name: str, is_web_page: bool) -> str | None:
    kind = None
    for where in (title, " ".join(lines[:_KIND_LINES]), re.sub(r"[-_.]+", " ", file_name)):
        kind = next((name for name, pattern in _KINDS if pattern.search(where)), None)
        if kind:
            break
    if is_web_page and kind not in _WEB_KINDS:
        return "web page"
    return kind


def infer_identity(
    text: str,
    file_name: str,
    source_path: str | None = None,
    page: PageInfo | None = None,
    folder: FolderLines | None = None,
    gazetteer: Gazetteer | None = None,
) -> Identity:
    """Everything the document says about who it is (see the module docstring)."""
    gazetteer = gazetteer or Gazetteer.load()
    if folder is None and source_path and Path(source_path).is_file():
        folder = FolderLines.for_folder(Path(source_path).parent)
    lines = top_lines(text)
    title, title_source = infer_title(text, file_name, gazetteer, folder, page)
    url = page.url if page is not None else None
    identity = Identity(title=title, source_url=url, sources={"title": title_source})
    match = gazetteer.best(text, title, file_name, url)
    if match is not None:
        identity.place = match.authority.place
        identity.sources["place"] = match.source
        if match.named:
            identity.organisation = match.authority.name
            identity.sources["organisation"] = match.source
    identity.date = document_date(lines)
    if identity.date:
        identity.sources["date"] = "text"
    elif page is not None and page.date:
        identity.date, identity.sources["date"] = page.date, "page metadata"
    identity.kind = infer_kind(title, lines, file_name, page is not None)
    if identity.kind:
        identity.sources["kind"] = "text"
    place = identity.place
    if place and identity.kind and place.casefold() not in title.casefold():
        identity.short_name = f"{place} {identity.kind}"
        identity.sources["short_name"] = "place and kind"
    if url:
        identity.sources["source_url"] = "page"
    return identity
