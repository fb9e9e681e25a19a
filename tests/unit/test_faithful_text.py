"""Faithful text from real formats: generated PDFs, a web page with its site around it, .docx.

The PDFs are made here with fpdf2 (a dev dependency): short pages with a running header, a
footer with page numbers, a word hyphenated across a line break and a table.
"""

from __future__ import annotations

import io

from fpdf import FPDF

from assistant.core.models import DocumentMeta, SourceDocument
from assistant.core.settings import Settings
from ingest.loaders import load_bytes
from ingest.manifest import build_meta
from ingest.structured_chunker import StructuredChunker

HEADER = "Anytown Borough Council - Adult Skills Plan"
PAGE_ONE = [
    "The council will open two new learning centres in 2025 and each centre will offer free",
    "digital courses to adults who need them. The develop-",
    "ment of the centres is led by the skills team.",
]
PAGE_TWO = ["The programme is funded by the Adult Skills Fund and by local employers."]
PAGE_THREE = [
    "By March 2027 the council expects 900 learners to complete a course at the Riverside centre."
]
TABLE = [("Year", "Learners", "Cost"), ("2025", "400", "£1.2m"), ("2026", "500", "£1.4m")]


def make_report_pdf(pages: list[list[str]], table_on: int | None = None) -> bytes:
    pdf = FPDF(format=(148, 210))
    pdf.set_auto_page_break(False)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(10, 5)
        pdf.cell(0, 5, HEADER)
        pdf.set_font("Helvetica", size=10)
        y = 20.0
        for line in lines:
            pdf.set_xy(10, y)
            pdf.cell(0, 6, line)
            y += 6
        if table_on == number:
            pdf.set_xy(10, y + 4)
            with pdf.table(col_widths=(30, 30, 30), width=90) as table:
                for cells in TABLE:
                    row = table.row()
                    for cell in cells:
                        row.cell(cell)
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(10, 195)
        pdf.cell(0, 5, f"Page {number} of {len(pages)}")
    return bytes(pdf.output())


def pdf_document(data: bytes) -> SourceDocument:
    loaded = load_bytes(data, ".pdf", "plan.pdf")
    meta = DocumentMeta(doc_id="plan", title="Adult Skills Plan")
    return SourceDocument(
        meta=meta, text=loaded.text, content_hash="0" * 64, page_starts=loaded.page_starts
    )


def test_running_headers_footers_and_page_numbers_are_removed_and_hyphens_joined():
    document = pdf_document(make_report_pdf([PAGE_ONE, PAGE_TWO, PAGE_THREE]))
    assert HEADER not in document.text and "Page 2 of 3" not in document.text
    assert "The development of the centres" in document.text and "develop-" not in document.text
    assert len(document.page_starts) == 3
    assert document.page_at(document.text.index("By March 2027")) == 3


def test_a_passage_over_short_pages_records_its_range_and_each_sentences_page():
    chunks = StructuredChunker(1200).split(
        pdf_document(make_report_pdf([PAGE_ONE, PAGE_TWO, PAGE_THREE]))
    )
    assert len(chunks) == 1  # three short pages, one passage
    chunk = chunks[0]
    assert (chunk.page, chunk.page_end) == (1, 3)
    assert chunk.sentence_pages == [1, 1, 2, 3]
    last = chunk.sentence_spans[-1]
    assert chunk.text[last[0] : last[1]].startswith("By March 2027")
    assert chunk.page_of(last) == 3 and chunk.page_of(chunk.sentence_spans[0]) == 1


def test_a_pdf_table_keeps_its_header_row():
    document = pdf_document(make_report_pdf([PAGE_ONE, ["Costs by year"]], table_on=2))
    assert "Year\tLearners\tCost\n2025\t400\t£1.2m\n2026\t500\t£1.4m" in document.text
    tables = [c for c in StructuredChunker(1200).split(document) if c.kind == "table"]
    assert tables and "Year: 2025; Learners: 400; Cost: £1.2m" in tables[0].text
    assert tables[0].sentence_pages == [2, 2]


def test_a_question_answered_by_page_three_cites_page_three(tmp_path):
    from assistant.application.service import AssistantService

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "adult-skills-plan.pdf").write_bytes(
        make_report_pdf([PAGE_ONE, PAGE_TWO, PAGE_THREE])
    )
    settings = Settings(data_dir=tmp_path / "data", embedding_model="fake:64", corpus_dir=folder)
    service = AssistantService(settings)
    try:
        service.ingest_folder(folder)
        answer = service.ask(PAGE_THREE[0])
    finally:
        service.close()
    assert not answer.abstained
    cited = [c for c in answer.citations if c.sentence_start is not None]
    assert cited and cited[0].text[cited[0].sentence_start :].startswith("By March 2027")
    assert cited[0].page == 3


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Youth Culture Fund - Anytown Borough Council</title>
<link rel="canonical" href="https://www.anytown.gov.uk/culture/youth-fund">
</head><body>
<div class="cookie-banner"><p>We use cookies to make this website work.</p>
<button>Accept all cookies</button></div>
<header><a href="/">Anytown Borough Council</a><form><input name="q"></form></header>
<nav><ul><li><a href="/bins">Bins and recycling</a></li><li><a href="/tax">Council tax</a></li>
<li><a href="/parking">Parking permits</a></li><li><a href="/jobs">Jobs</a></li></ul></nav>
<nav class="breadcrumb"><ol><li><a href="/">Home</a></li><li>Culture</li></ol></nav>
<main><article>
<h1>Youth Culture Fund</h1>
<p>Last updated: 2 June 2025</p>
<p>The Youth Culture Fund gives grants of up to £5,000 to projects led by young people aged
14 to 21 in the borough. A panel of young people decides which projects are funded.</p>
<h2>Who can apply</h2>
<ul><li>youth groups and clubs based in the borough</li>
<li>schools and colleges working with a youth panel</li></ul>
<h2>Grants awarded</h2>
<table><thead><tr><th>Year</th><th>Projects</th><th>Total</th></tr></thead>
<tbody><tr><td>2023/24</td><td>18</td><td>£61,000</td></tr>
<tr><td>2024/25</td><td>24</td><td>£88,500</td></tr></tbody></table>
<p>Applications for 2025/26 close on 30 September 2025, and decisions are made in November.</p>
</article></main>
<footer><ul><li><a href="/accessibility">Accessibility</a></li><li><a href="/privacy">Privacy</a>
</li></ul><p>© 2025 Anytown Borough Council</p></footer>
</body></html>"""


def test_a_web_page_keeps_its_article_and_drops_the_site_around_it():
    text = load_bytes(PAGE.encode(), ".html", "youth-fund.html").text
    for clutter in ("cookies", "Council tax", "Parking permits", "Accessibility", "©"):
        assert clutter not in text
    assert text.startswith("# Youth Culture Fund")
    assert "## Who can apply" in text
    assert "- youth groups and clubs based in the borough\n- schools and colleges" in text
    assert "Year\tProjects\tTotal\n2023/24\t18\t£61,000\n2024/25\t24\t£88,500" in text


def test_a_web_pages_url_and_date_are_kept_in_its_metadata():
    text = load_bytes(PAGE.encode(), ".html", "youth-fund.html").text
    meta = build_meta(None, "youth-fund.html", text, "upload:youth-fund.html", data=PAGE.encode())
    assert meta.extra["source_url"] == "https://www.anytown.gov.uk/culture/youth-fund"
    assert meta.title == "Youth Culture Fund" and meta.date == "2025-06-02"
    assert meta.kind == "web page"


def test_docx_tables_keep_their_header_row():
    from docx import Document

    document = Document()
    document.add_heading("Adult learning budget", level=1)
    table = document.add_table(rows=3, cols=3)
    for r, cells in enumerate([("Service", "2024", "2025"), ("ESOL", "£10k", "£12k")]):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    text = load_bytes(buffer.getvalue(), ".docx", "budget.docx").text
    assert "Service\t2024\t2025\nESOL\t£10k\t£12k" in text
    source = SourceDocument(
        meta=DocumentMeta(doc_id="b", title="Adult learning budget"),
        text=text,
        content_hash="0" * 64,
    )
    tables = [c for c in StructuredChunker(1200).split(source) if c.kind == "table"]
    assert tables and "Service: ESOL; 2024: £10k; 2025: £12k" in tables[0].text
