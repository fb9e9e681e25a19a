"""Loading every supported format, and refusing bad input with a useful message."""

from __future__ import annotations

import pytest

from assistant.core.errors import UnreadableDocumentError
from assistant.core.normalise import normalise_text
from ingest.loaders import load_bytes, sniff_suffix
from ingest.manifest import build_meta, derive_title
from tests.documents import HTML, make_docx, make_pdf


def test_pdf_keeps_page_numbers():
    data = make_pdf(["First page about skills.", "Second page about culture."])
    loaded = load_bytes(data, ".pdf", "two.pdf")
    assert len(loaded.page_starts) == 2
    second = loaded.text.index("Second page")
    assert loaded.page_starts[0] == 0 and loaded.page_starts[1] <= second


def test_docx_headings_lists_and_tables():
    text = load_bytes(make_docx(), ".docx", "plan.docx").text
    assert "# Skills Strategy" in text
    assert "- Apprenticeships grew in 2021." in text
    assert "Programme\tBudget\nFamily learning\t£40,000" in text


def test_html_drops_scripts_and_keeps_structure():
    text = load_bytes(HTML.encode(), ".html", "plan.html").text
    assert "var x" not in text
    assert "# Culture Plan" in text and "- Free entry for schools" in text
    assert "Venue\tVisitors\nLibrary\t12,000" in text


def test_utf8_bom_and_utf16_text_are_read():
    assert load_bytes("\ufeffHello there".encode(), ".txt", "a.txt").text == "Hello there\n"
    assert load_bytes("Hello utf16".encode("utf-16"), ".txt", "b.txt").text == "Hello utf16\n"


@pytest.mark.parametrize(
    ("data", "suffix", "message"),
    [
        (b"", ".txt", "empty"),
        (b"   \n\n", ".md", "empty"),
        (b"abc\x00def" * 10, ".txt", "binary"),
        ("na\xefve".encode("latin-1"), ".txt", "UTF-8"),
        (b"%PDF-1.4 garbage", ".pdf", "PDF"),
        (b"PK\x03\x04garbage", ".docx", "docx"),
        (b"hello", ".exe", "unsupported"),
    ],
)
def test_bad_input_names_the_file_and_the_problem(data, suffix, message):
    with pytest.raises(UnreadableDocumentError) as info:
        load_bytes(data, suffix, f"bad{suffix}")
    assert f"bad{suffix}" in str(info.value) and message in str(info.value)


def test_content_sniffing_does_not_trust_the_extension():
    assert sniff_suffix(make_pdf(["x"])) == ".pdf"
    assert sniff_suffix(make_docx()) == ".docx"
    assert sniff_suffix(HTML.encode()) == ".html"
    assert sniff_suffix(b"plain words") == ".txt"
    assert sniff_suffix(b"\x7fELF\x00\x00binary") is None


def test_normalisation_fixes_lookalikes_newlines_and_blank_runs():
    text = normalise_text("Туре\r\nA\u00a0b\n\n\n\nc\x07")
    assert text == "Type\nA b\n\nc\n"


def test_metadata_without_manifest_is_derived_from_the_file():
    meta = build_meta(None, "My Report (final).txt", "\n\n# Adult Skills Plan\nbody", "x")
    assert meta.doc_id == "my-report-final" and meta.title == "Adult Skills Plan"
    assert derive_title("", "some_file") == "Some file"
