"""Files built to hurt, and text in an encoding the loader used to call binary (issue 12, items
4 and 8): a zip-bomb .docx is refused from its directory alone, in well under a second and
without its expanded content ever reaching memory; UTF-16 text without a BOM is read as text.
"""

from __future__ import annotations

import resource
import time

import pytest

from assistant.core.errors import UnreadableDocumentError
from assistant.core.settings import Settings
from ingest.loaders import load_bytes, sniff_suffix
from tests.api_support import client_for
from tests.documents import make_docx
from tests.zip_bombs import zip_bomb_docx

GIB = 1 << 30
PLAN = "Skills strategy 2024\n\nThe council will fund adult learning in every library (£5m).\n"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def upload(client, name: str, data: bytes):
    return client.post("/api/v1/documents", files={"file": (name, data, "application/x-test")})


# -- zip bombs ------------------------------------------------------------------------------
def test_a_gigabyte_docx_bomb_is_refused_fast_and_small():
    bomb = zip_bomb_docx(GIB)  # about 1 MB that expands to 1 GiB
    assert len(bomb) < 2 * 1024 * 1024
    peak = peak_rss_mib()
    started = time.perf_counter()
    with pytest.raises(UnreadableDocumentError) as refused:
        load_bytes(bomb, ".docx", "bomb.docx")
    seconds = time.perf_counter() - started
    assert seconds < 0.5, f"refusing took {seconds:.2f} s"
    assert peak_rss_mib() - peak < 40, "the refusal grew the peak resident memory"
    message = str(refused.value)
    assert "ASSISTANT_MAX_UNZIPPED_BYTES" in message and "104,857,600" in message
    assert refused.value.status == 413 and refused.value.code == "archive_too_large"
    assert isinstance(refused.value, UnreadableDocumentError)  # a folder ingest skips it


def test_a_bomb_under_the_size_limit_is_refused_by_its_ratio():
    bomb = zip_bomb_docx(50 * 1024 * 1024)  # 50 MiB from about 50 kB: over 100 times
    with pytest.raises(UnreadableDocumentError, match="ASSISTANT_MAX_ZIP_RATIO"):
        load_bytes(bomb, ".docx", "dense.docx")


def test_an_archive_of_countless_parts_is_refused_before_it_is_listed():
    import io
    import zipfile

    from assistant.core.errors import ArchiveTooLargeError
    from ingest.archives import ArchiveLimits, check_archive

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(10_001):
            archive.writestr(f"word/media/{number}.xml", b"")
    with pytest.raises(ArchiveTooLargeError, match="10,000 parts"):
        check_archive(buffer.getvalue(), "parts.docx", ArchiveLimits.defaults())


def test_ordinary_documents_pass_and_the_limits_are_settings():
    from assistant.core.errors import ArchiveTooLargeError
    from ingest.archives import ArchiveLimits

    assert "Adult learners" in load_bytes(make_docx(), ".docx", "plan.docx").text
    tight = ArchiveLimits.from_settings(Settings(max_unzipped_bytes=2048))
    with pytest.raises(ArchiveTooLargeError, match="2,048 bytes"):
        load_bytes(make_docx(), ".docx", "plan.docx", tight)


def test_an_uploaded_bomb_is_a_413_naming_the_limit(fake_service):
    client = client_for(fake_service)
    started = time.perf_counter()
    response = upload(client, "report.docx", zip_bomb_docx(GIB))
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "archive_too_large"
    assert "ASSISTANT_MAX_UNZIPPED_BYTES" in error["message"]
    assert fake_service.store.registry.counts() == (0, 0)


def test_the_limit_comes_from_settings_through_the_service(fake_settings):
    from assistant.application.service import AssistantService

    service = AssistantService(fake_settings.model_copy(update={"max_unzipped_bytes": 4096}))
    try:
        response = upload(client_for(service), "plan.docx", make_docx())
        assert response.status_code == 413 and "4,096 bytes" in response.json()["error"]["message"]
    finally:
        service.close()


def test_a_folder_ingest_skips_a_bomb_and_says_why(fake_service, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bomb.docx").write_bytes(zip_bomb_docx(GIB))
    (folder / "plan.txt").write_text(PLAN, encoding="utf-8")
    report = fake_service.ingest_folder(folder)
    assert report.added == ["plan"]
    [(name, reason)] = report.skipped
    assert name == "bomb.docx" and "ASSISTANT_MAX_UNZIPPED_BYTES" in reason


# -- UTF-16 without a BOM -------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_text(encoding):
    data = PLAN.encode(encoding)
    assert sniff_suffix(data) == ".txt"
    assert load_bytes(data, ".txt", "plan.txt").text.startswith("Skills strategy 2024")
    assert "£5m" in load_bytes(data, ".txt", "plan.txt").text


def test_utf16_html_without_a_bom_is_html():
    page = "<!DOCTYPE html><html><body><h1>Plan</h1><p>Adult learning for all.</p></body></html>"
    data = page.encode("utf-16-le")
    assert sniff_suffix(data) == ".html"
    assert "# Plan" in load_bytes(data, ".html", "plan.html").text


def test_chinese_utf16_without_nul_bytes_is_text():
    text = "学习战略：成人教育与技能。图书馆为所有人提供课程。" * 4
    assert load_bytes(text.encode("utf-16-le"), ".txt", "zh.txt").text.startswith("学习战略")


def test_binary_with_nul_bytes_is_still_binary():
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8
    assert sniff_suffix(elf) is None
    with pytest.raises(UnreadableDocumentError, match="UTF-8 or UTF-16"):
        load_bytes(elf, ".txt", "a.txt")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300)
    assert sniff_suffix(png) is None


def test_other_encodings_say_which_are_read_and_how_to_convert():
    with pytest.raises(UnreadableDocumentError, match="UTF-8 or UTF-16.*iconv"):
        load_bytes("Caf\u00e9 na\u00efve".encode("cp1252"), ".txt", "old.txt")


def test_a_utf16_upload_without_a_bom_is_indexed(fake_service):
    response = upload(client_for(fake_service), "plan.txt", PLAN.encode("utf-16-le"))
    assert response.status_code == 201, response.text
    stored = fake_service.store.registry.document("plan")
    assert stored is not None and "adult learning" in stored.text
