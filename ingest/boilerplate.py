"""Lines that are page furniture, not content: by general rules, not a list of known strings.

Meeting systems, council websites and PDF exports put the same kinds of line above a
document's real title and among its headings: generic labels ("Agenda item", "Decision
details"), link and file furniture ("View the record", "Report (PDF 412 KB)"), navigation runs
("Print this page | Subscribe to updates"), contact lines, cookie notices, and list intros that
end mid-sentence ("In 2025 there will be"). ``is_furniture`` says whether a line is one of these;
``FolderLines`` adds the corpus-level rule: a line repeated across many documents of a folder is
the site's or the template's, not any one document's.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of meeting-system, website and report-template labels. A line made only of these (and
# numbers) names no subject, so it is never a title or a heading.
_LABEL_WORDS = _words(
    """agenda item items issue issues meeting meetings decision decisions details detail minutes
    document documents page pages home menu search print subscribe subscription updates update
    back contact contacts us skip main content contents navigation breadcrumb cookies cookie
    settings accept reject share download downloads attachment attachments background papers
    paper report reports supplement supplementary history related view record records overview
    summary click here link links more information info sign in log login out the of to and
    for a an this that all next previous top jump accessibility help feedback language english
    cymraeg welsh public private part appendix appendices annex item attendance apologies
    declarations declaration interest interests present absent agenda calendar committee
    committees details library news latest events council councillors your services service
    find about you site map sitemap privacy terms conditions copyright rss follow go open close
    show hide list lists table tables figure figures version draft final notes note key points
    introduction purpose title subject date dates time venue location officer officers"""
)
_FILE_SIZE = re.compile(
    r"\(\s*(?:[A-Za-z]{2,5}\s*[,:]?\s*)?\d+(?:[.,]\d+)?\s*(?:[KMG]B|bytes)\s*\)|"
    r"\b(?:PDF|DOCX?|XLSX?|ODT|CSV|RTF)\b[\s,]*\d+(?:[.,]\d+)?\s*[KMG]B\b",
    re.IGNORECASE,
)
_LINK_VERB = re.compile(
    r"^(view|download|print|subscribe|click|read more|read the|back to|skip to|jump to|go to|"
    r"return to|see (?:the )?(?:full|record|minutes|agenda|all|more|details)|share|follow us|"
    r"sign up|log ?in)\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"^(contact|contacts|tel|telephone|phone|email|e-mail|fax|enquiries|address)\b|"
    r"\b0\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b|[\w.+-]+@[\w-]+\.[\w.]+|"
    r"\b(?:https?://|www\.)\S+|^\S+\.(?:gov|org|co|ac)\.uk\b",
    re.IGNORECASE,
)
_COOKIE_OR_COPYRIGHT = re.compile(r"\bcookies?\b|©|\(c\)\s*\d{4}|all rights reserved", re.I)
# A list intro or sentence cut mid-way: it ends on a word that cannot end a title or heading.
_DANGLING = re.compile(
    r"\b(there will be|will be|would be|as follows|such as|including|include|includes|the|a|an|"
    r"of|and|or|to|for|with|by|are|is|was|were|be|that|which|who|in|on|at|from|our|their|its)"
    r"\s*$",
    re.IGNORECASE,
)
_PIPE_RUN = re.compile(r"\s[|•·]\s")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^-\s*\d{1,4}\s*-$", re.IGNORECASE
)
_WORD = re.compile(r"[A-Za-z']+")


def label_words_only(line: str) -> bool:
    """True when every word of ``line`` is a template label word (or a number)."""
    words = [w.lower().strip("'") for w in _WORD.findall(line)]
    return bool(words) and all(w in _LABEL_WORDS for w in words)


def is_navigation_run(line: str) -> bool:
    """ "Print this page | Subscribe to updates | Back to meeting": short link labels in a row."""
    parts = [p.strip() for p in _PIPE_RUN.split(f" {line} ") if p.strip()]
    return len(parts) >= 2 and all(len(p.split()) <= 5 for p in parts)


def is_dangling(line: str) -> bool:
    return bool(_DANGLING.search(line.strip(" *_#:")))


def is_furniture(line: str) -> bool:
    """Whether ``line`` is template, navigation or link furniture rather than content."""
    text = " ".join(line.replace("*", " ").replace("#", " ").split())
    if not text:
        return True
    return bool(
        label_words_only(text)
        or _FILE_SIZE.search(text)
        or _LINK_VERB.match(text)
        or _CONTACT.search(text)
        or _COOKIE_OR_COPYRIGHT.search(text)
        or is_navigation_run(text)
        or _PAGE_NUMBER.match(text)
    )


def is_link_furniture(line: str) -> bool:
    """Furniture that is never a heading either: links, file sizes, navigation, contacts, list
    intros cut mid-sentence (a label such as "Minutes" can be a real section heading)."""
    text = " ".join(line.replace("*", " ").replace("#", " ").split())
    return bool(
        _FILE_SIZE.search(text)
        or _LINK_VERB.match(text)
        or _CONTACT.search(text)
        or _COOKIE_OR_COPYRIGHT.search(text)
        or is_navigation_run(text)
        or is_dangling(text)
    )


def is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(" ".join(line.split())))


def line_key(line: str) -> str:
    """A line as compared across documents and pages: case, digits and spacing folded."""
    return re.sub(r"\d+", "#", " ".join(line.replace("*", " ").split()).casefold())


# -- lines repeated across the documents of a folder ------------------------------------------
_SAMPLE_LINES = 60
_SAMPLE_BYTES = 200_000
_TEXT_SUFFIXES = (".txt", ".md", ".markdown")
_HTML_SUFFIXES = (".html", ".htm")
_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|h[1-6]|li|tr|td|th|br|title|header|footer|nav)\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.I | re.S)


def _sample_lines(path: Path) -> list[str]:
    """The first lines of a text or HTML file, read cheaply (PDF and .docx are not sampled)."""
    suffix = path.suffix.lower()
    if suffix not in _TEXT_SUFFIXES + _HTML_SUFFIXES:
        return []
    try:
        with path.open("rb") as handle:
            raw = handle.read(_SAMPLE_BYTES).decode("utf-8", errors="ignore")
    except OSError:
        return []
    if suffix in _HTML_SUFFIXES:
        raw = _TAG.sub(" ", _BLOCK_TAG.sub("\n", _SCRIPT.sub(" ", raw)))
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    return [line for line in lines if line][:_SAMPLE_LINES]


class FolderLines:
    """How many documents of a folder each (folded) opening line appears in."""

    def __init__(self, documents: list[list[str]]) -> None:
        self.documents = len(documents)
        self.counts = Counter(key for lines in documents for key in {line_key(x) for x in lines})

    def is_repeated(self, line: str) -> bool:
        """In at least three documents and a quarter of the folder: the site's, not the page's."""
        count = self.counts.get(line_key(line), 0)
        return count >= 3 and count >= 0.25 * self.documents

    @classmethod
    def for_folder(cls, folder: Path) -> FolderLines:
        try:
            entries = _listing(folder)
        except OSError:
            return cls([])
        return _folder_lines(str(folder), entries)


@lru_cache(maxsize=8)
def _folder_lines(folder: str, entries: tuple) -> FolderLines:
    return FolderLines([_sample_lines(Path(folder) / name) for name, _, _ in entries])


# A folder ingest asks for its folder's lines once per document: listing (and stat-ing) every
# file each time made a 5,000-file folder cost 25 million stat calls, minutes of a SciFact
# ingest. A listing is reused for a few seconds while the folder itself is unchanged (no file
# added, removed or renamed); after that, or on any change, the folder is listed again.
_LISTING_SECONDS = 2.0
_listings: dict[str, tuple[float, int, tuple]] = {}


def _listing(folder: Path) -> tuple:
    key, stamp, now = str(folder), os.stat(folder).st_mtime_ns, time.monotonic()
    cached = _listings.get(key)
    if cached is not None and cached[1] == stamp and now - cached[0] < _LISTING_SECONDS:
        return cached[2]
    suffixes = _TEXT_SUFFIXES + _HTML_SUFFIXES
    with os.scandir(folder) as scan:
        entries = []
        for entry in scan:
            if entry.is_file() and Path(entry.name).suffix.lower() in suffixes:
                info = entry.stat()
                entries.append((entry.name, info.st_size, info.st_mtime_ns))
    listing = tuple(sorted(entries))
    if len(_listings) >= 8:
        _listings.clear()
    _listings[key] = (now, stamp, listing)
    return listing
