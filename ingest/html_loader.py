"""Web pages: the article without the site around it, in the loaders' text convention.

trafilatura finds the main content (it drops cookie banners, menus, breadcrumbs, footers and
sidebars by their structure and link density) and keeps headings, lists and tables; its XML
output is turned into ``#`` headings, ``- `` items and tab-separated table rows (header row
first). When it finds nothing (an almost empty page, a fragment), the plain BeautifulSoup
reader takes every heading, paragraph, list item and table instead. ``page_info`` reads what
the page says about itself: its title, canonical URL, site name and date.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from xml.etree import ElementTree

logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)

_BLOCKS = ("head", "p", "list", "table", "quote", "code")


@dataclass
class PageInfo:
    """What a web page says about itself outside its body."""

    title: str | None = None
    url: str | None = None
    site_name: str | None = None
    date: str | None = None


def load_html(markup: str) -> str:
    """The page's main content as text (headings, lists, tables kept)."""
    text = _main_content(markup)
    return text if text.strip() else load_html_soup(markup)


def _main_content(markup: str) -> str:
    try:
        import trafilatura

        xml = trafilatura.extract(
            markup,
            output_format="xml",
            include_tables=True,
            include_comments=False,
            include_links=False,
            include_images=False,
            include_formatting=False,
            favor_recall=True,
            deduplicate=False,
            config=_config(),
        )
    except Exception:  # any parser failure: the plain reader still reads the page
        return ""
    if not xml:
        return ""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return ""
    main = root.find("main")
    blocks = _blocks(main if main is not None else root)
    heading = _page_heading(markup)
    if heading and not any(heading in block for block in blocks[:3]):
        blocks.insert(0, f"# {heading}")
    return "\n\n".join(blocks)


@lru_cache(maxsize=1)
def _config():
    """trafilatura's defaults, but a short page is still read as a page: below its minimum
    size it falls back to a flat extraction that loses headings, lists and tables."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    return config


def _text(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _blocks(parent: ElementTree.Element) -> list[str]:
    blocks: list[str] = []
    for element in parent:
        tag = element.tag
        if tag == "head":
            level = re.sub(r"\D", "", element.get("rend", "")) or "2"
            text = _text(element)
            if text:
                blocks.append("#" * min(int(level), 6) + " " + text)
        elif tag == "list":
            items = _items(element)
            if items:
                blocks.append("\n".join(items))
        elif tag == "table":
            rows = _table_rows(element)
            if rows:
                blocks.append("\n".join(rows))
        elif tag in ("p", "quote", "code"):
            text = _text(element)
            if text:
                blocks.append(text)
        elif tag not in ("graphic", "comments"):
            blocks.extend(_blocks(element))
    return blocks


def _items(element: ElementTree.Element) -> list[str]:
    items: list[str] = []
    for item in element.findall("item"):
        nested = item.findall("list")
        own = (item.text or "") + "".join(
            "".join(child.itertext()) + (child.tail or "") for child in item if child.tag != "list"
        )
        own = " ".join(own.split())
        if own:
            items.append(f"- {own}")
        for inner in nested:
            items.extend(_items(inner))
    return items


def _table_rows(element: ElementTree.Element) -> list[str]:
    rows = []
    for row in element.iter("row"):
        cells = [" ".join("".join(c.itertext()).split()) for c in row.findall("cell")]
        if any(cells):
            rows.append("\t".join(cell.replace("\t", " ") for cell in cells))
    return rows


def _page_heading(markup: str) -> str | None:
    match = re.search(r"<h1\b[^>]*>(.*?)</h1>", markup, re.IGNORECASE | re.DOTALL)
    if not match:
        return None
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) or None


def page_info(markup: str) -> PageInfo:
    """Title, canonical URL (``<link rel=canonical>`` or ``og:url``), site name and date."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup[:200_000], "html.parser")
    info = PageInfo()
    if soup.title and soup.title.string:
        info.title = " ".join(soup.title.string.split()) or None
    for tag, attrs, key in (
        ("link", {"rel": "canonical"}, "href"),
        ("meta", {"property": "og:url"}, "content"),
    ):
        found = soup.find(tag, attrs=attrs)
        value = str(found.get(key) or "").strip() if found is not None else ""
        if value.startswith(("http://", "https://")):
            info.url = value
            break
    site = soup.find("meta", attrs={"property": "og:site_name"})
    if site is not None and site.get("content"):
        info.site_name = str(site.get("content")).strip()
    try:
        from trafilatura import extract_metadata

        metadata = extract_metadata(markup)
        if metadata is not None:
            info.date = metadata.date or None
            info.site_name = info.site_name or metadata.sitename or None
    except Exception:  # the date is a nicety; the page still loads
        pass
    return info


def load_html_soup(markup: str) -> str:
    """The plain reader: every heading, paragraph, list item and table of the page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer", "template"]):
        tag.decompose()
    blocks: list[str] = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre"]):
        nested = element.find_parent(["table", "li"]) and element.name != "table"
        if nested and (element.name != "li" or element.find_parent("table")):
            continue  # read as part of the enclosing table or list item
        text = " ".join(element.get_text(" ").split())
        if element.name == "table":
            rows = []
            for row in element.find_all("tr"):
                cells = [" ".join(c.get_text(" ").split()) for c in row.find_all(["th", "td"])]
                rows.append("\t".join(cells))
            blocks.append("\n".join(rows))
        elif not text:
            continue
        elif element.name[0] == "h":
            blocks.append("#" * int(element.name[1]) + " " + text)
        elif element.name == "li":
            blocks.append("- " + text)
        else:
            blocks.append(text)
    if not blocks:
        blocks.append(" ".join(soup.get_text(" ").split()))
    return "\n\n".join(blocks)
