"""Finding a folder's documents and learning which changed without reading unchanged ones."""

from __future__ import annotations

import os
from pathlib import Path

import ingest.ingest_pipeline as ingest_pipeline
from ingest.file_stats import FILE_NAME, FileStats
from ingest.folder_listing import documents_in
from ingest.loaders import SUPPORTED_SUFFIXES


def _rglob_listing(folder: Path) -> list[tuple[str, str]]:
    """How the pipeline listed a folder before ``documents_in``."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            relative = path.relative_to(folder)
            if not any(part.startswith(".") for part in relative.parts):
                found.append((path, relative.as_posix()))
    return [(str(path), relative) for path, relative in sorted(found)]


def test_the_listing_is_what_rglob_found_in_the_same_order(tmp_path):
    names = [
        "b.txt", "a-b.txt", "a/b.txt", "a/B.TXT", "A.md", "a.b/c.pdf", "z/y/x.docx",
        ".hidden.txt", ".git/config.txt", "a/.secret/d.txt", "notes.csv", "page.HTML",
        "a b/c d.txt", "é/ü.txt",
    ]  # fmt: skip
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("text")
    os.symlink(tmp_path / "z", tmp_path / "linked")  # a folder link: not followed
    listing = documents_in(tmp_path, SUPPORTED_SUFFIXES)
    assert listing == _rglob_listing(tmp_path)
    assert [relative for _, relative in listing] == [
        "A.md", "a/B.TXT", "a/b.txt", "a b/c d.txt", "a-b.txt", "a.b/c.pdf", "b.txt",
        "page.HTML", "z/y/x.docx", "é/ü.txt",
    ]  # fmt: skip


def test_an_unchanged_file_is_not_read_again_and_a_rewritten_one_is(
    fake_service, corpus_copy, monkeypatch
):
    fake_service.ingest_folder(corpus_copy)
    assert (fake_service.settings.index_dir / FILE_NAME).is_file()
    reads: list[str] = []
    read = ingest_pipeline.read_file
    monkeypatch.setattr(
        ingest_pipeline, "read_file", lambda path, limit: reads.append(path) or read(path, limit)
    )
    again = fake_service.ingest_folder(corpus_copy)
    assert len(again.unchanged) == 5 and reads == []
    # same size, modification time put back: the change time still tells
    path = corpus_copy / "birmingham-learning-city-survey.txt"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    changed = text.replace("e", "E", 1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    report = fake_service.ingest_folder(corpus_copy)
    assert report.updated == ["birmingham-learning-city-survey"] and reads == [str(path)]


def test_a_damaged_record_means_every_file_is_read(fake_service, corpus_copy, monkeypatch):
    fake_service.ingest_folder(corpus_copy)
    (fake_service.settings.index_dir / FILE_NAME).write_text("{not json", encoding="utf-8")
    reads: list[str] = []
    read = ingest_pipeline.read_file
    monkeypatch.setattr(
        ingest_pipeline, "read_file", lambda path, limit: reads.append(path) or read(path, limit)
    )
    report = fake_service.ingest_folder(corpus_copy)
    assert len(report.unchanged) == 5 and len(reads) == 5
    record = FileStats(fake_service.settings.index_dir / FILE_NAME)  # written afresh
    assert record.raw_hash(
        str(corpus_copy.resolve() / "birmingham-learning-city-survey.txt"),
        os.stat(corpus_copy / "birmingham-learning-city-survey.txt"),
    )
