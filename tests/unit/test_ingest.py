"""Incremental ingest on the fake-embedding profile: no duplicates, bad files, interruptions."""

from __future__ import annotations

import pytest

from ingest.ingest_pipeline import IngestError


def chunk_ids_of(service, doc_id: str) -> set[str]:
    return {c.chunk_id for c in service.store.registry.chunks_of(doc_id)}


def assert_consistent(service) -> None:
    """Registry, Chroma and BM25 hold exactly the same passages."""
    registry_ids = service.store.registry.chunk_ids()
    assert service.store.vectors.all_ids() == registry_ids
    assert set(service.store.keyword_index().ids) == registry_ids


def test_second_run_embeds_nothing(fake_service, corpus_copy):
    first = fake_service.ingest_folder(corpus_copy)
    assert len(first.added) == 5 and first.chunks_embedded > 100
    second = fake_service.ingest_folder(corpus_copy)
    assert second.chunks_embedded == 0 and len(second.unchanged) == 5
    assert not second.changed
    assert_consistent(fake_service)


def test_changed_file_replaces_only_its_own_chunks(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    before_kirklees = chunk_ids_of(fake_service, "kirklees-learning-strategy-scrutiny")
    before_birmingham = chunk_ids_of(fake_service, "birmingham-learning-city-survey")
    path = corpus_copy / "birmingham-learning-city-survey.txt"
    path.write_text(
        path.read_text(encoding="utf-8") + "\nA new closing line about libraries.\n",
        encoding="utf-8",
    )
    report = fake_service.ingest_folder(corpus_copy)
    assert report.updated == ["birmingham-learning-city-survey"]
    assert chunk_ids_of(fake_service, "kirklees-learning-strategy-scrutiny") == before_kirklees
    after_birmingham = chunk_ids_of(fake_service, "birmingham-learning-city-survey")
    assert after_birmingham and not (after_birmingham & before_birmingham)
    assert_consistent(fake_service)


def test_deleted_file_chunks_are_gone(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    (corpus_copy / "kirklees-learning-strategy-scrutiny.txt").unlink()
    report = fake_service.ingest_folder(corpus_copy)
    assert report.removed == ["kirklees-learning-strategy-scrutiny"]
    assert not chunk_ids_of(fake_service, "kirklees-learning-strategy-scrutiny")
    hits = fake_service.search("Kirklees Learning Strategy", k=10)
    assert all(p.chunk.doc_id != "kirklees-learning-strategy-scrutiny" for p in hits)
    assert_consistent(fake_service)


def test_bad_files_are_reported_and_skipped_without_losing_anything(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    before = fake_service.store.registry.chunk_ids()
    (corpus_copy / "empty.txt").write_bytes(b"")
    (corpus_copy / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    (corpus_copy / "latin1.txt").write_bytes("Caf\xe9 strat\xe9gie".encode("latin-1"))
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    (corpus_copy / "broken.docx").write_bytes(b"PK\x03\x04 not a real zip")
    (corpus_copy / "good.md").write_text(
        "# Adult learning\n\nA fresh note on adult learning.\n", encoding="utf-8"
    )
    report = fake_service.ingest_folder(corpus_copy)
    skipped = dict(report.skipped)
    assert set(skipped) == {"empty.txt", "binary.txt", "latin1.txt", "broken.pdf", "broken.docx"}
    assert "UTF-8" in skipped["latin1.txt"] and "iconv" in skipped["latin1.txt"]
    assert "empty" in skipped["empty.txt"]
    assert report.added == ["good"]
    assert before <= fake_service.store.registry.chunk_ids()
    assert_consistent(fake_service)


def test_duplicate_content_is_indexed_once(fake_service, corpus_copy):
    original = corpus_copy / "birmingham-learning-city-survey.txt"
    (corpus_copy / "copy-of-birmingham.txt").write_bytes(original.read_bytes())
    report = fake_service.ingest_folder(corpus_copy)
    assert len(report.added) == 5
    assert any("same content" in reason for _, reason in report.skipped)


def test_missing_or_empty_folder_is_a_clear_error(fake_service, tmp_path):
    with pytest.raises(IngestError, match="not a folder"):
        fake_service.ingest_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="No documents"):
        fake_service.ingest_folder(tmp_path / "empty")


def test_interrupted_commit_keeps_previous_version_answering(
    fake_service, corpus_copy, monkeypatch
):
    fake_service.ingest_folder(corpus_copy)
    doc_id = "birmingham-learning-city-survey"
    before = chunk_ids_of(fake_service, doc_id)
    path = corpus_copy / "birmingham-learning-city-survey.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
    registry = fake_service.store.registry

    def crash(*args, **kwargs):  # vectors are upserted, the registry commit never happens
        raise KeyboardInterrupt

    monkeypatch.setattr(registry, "replace_document", crash)
    with pytest.raises(KeyboardInterrupt):
        fake_service.ingest_folder(corpus_copy)
    monkeypatch.undo()
    assert chunk_ids_of(fake_service, doc_id) == before  # the old version is still the truth
    assert fake_service.store.vectors.all_ids() > registry.chunk_ids()  # orphans exist...
    hits = fake_service.search("Birmingham learning infrastructure", k=20)
    assert all(p.chunk.chunk_id in registry.chunk_ids() for p in hits)  # ...but are never served
    report = fake_service.ingest_folder(corpus_copy)
    assert report.updated == [doc_id]
    assert_consistent(fake_service)


def test_upload_of_same_content_is_a_no_op(fake_service):
    data = b"# Note\n\nAdult learners value evening classes in libraries.\n"
    first, doc_id = fake_service.upload(data, "note.md", ".md")
    again, same_id = fake_service.upload(data, "renamed.md", ".md")
    assert first.added == [doc_id] and same_id == doc_id
    assert again.chunks_embedded == 0
    assert fake_service.store.registry.counts()[0] == 1


def test_a_one_line_document_still_yields_a_passage(fake_service):
    report, doc_id = fake_service.upload(b"Evening classes", "tiny.txt", ".txt")
    assert report.added == [doc_id]
    chunks = fake_service.store.registry.chunks_of(doc_id)
    assert [c.text for c in chunks] == ["Evening classes"]


def test_reuploading_a_corpus_file_keeps_its_manifest_metadata(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    data = (corpus_copy / "kirklees-learning-strategy-scrutiny.txt").read_bytes()
    report, doc_id = fake_service.upload(data, "kirklees-learning-strategy-scrutiny.txt", ".txt")
    assert doc_id == "kirklees-learning-strategy-scrutiny" and report.chunks_embedded == 0
    meta = fake_service.store.registry.document(doc_id).meta
    assert meta.place == "Kirklees" and meta.kind == "scrutiny report"


def test_an_edited_manifest_is_read_again_however_little_changed(tmp_path):
    """The parsed manifest is remembered by its content, so an edit that keeps the size and
    the timestamp (a one-letter fix within the same second) is still seen."""
    import os

    from ingest.manifest import load_manifest

    path = tmp_path / "manifest.yaml"
    path.write_text("documents:\n  a.txt: {title: Leeds plan}\n", encoding="utf-8")
    stamp = path.stat().st_mtime_ns
    assert load_manifest(tmp_path)["a.txt"]["title"] == "Leeds plan"
    assert load_manifest(tmp_path) == {"a.txt": {"title": "Leeds plan"}}
    path.write_text("documents:\n  a.txt: {title: Leeds plot}\n", encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))
    assert load_manifest(tmp_path)["a.txt"]["title"] == "Leeds plot"
    load_manifest(tmp_path).clear()  # a caller's changes never reach the remembered entries
    assert load_manifest(tmp_path) == {"a.txt": {"title": "Leeds plot"}}
    path.unlink()
    assert load_manifest(tmp_path) == {}
