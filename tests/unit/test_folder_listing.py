"""A folder ingest asks for its folder's repeated lines once per document: the folder is listed
once for all of them (not once per document: quadratic in the folder's size), and again as soon
as a file is added or removed."""

from __future__ import annotations

import os

from ingest import boilerplate
from ingest.boilerplate import FolderLines


def test_the_folder_is_listed_once_per_burst_and_again_after_a_change(tmp_path, monkeypatch):
    for topic in ("Libraries", "Museums", "Adult learning"):
        (tmp_path / f"{topic}.txt").write_text(f"Anytown Online Services\n\n{topic} plan\n")
    scans = []
    real_scandir = os.scandir

    def counting_scandir(path):
        scans.append(path)
        return real_scandir(path)

    monkeypatch.setattr(boilerplate.os, "scandir", counting_scandir)
    boilerplate._listings.clear()
    for _ in range(200):
        folder = FolderLines.for_folder(tmp_path)
    assert len(scans) == 1 and folder.documents == 3

    (tmp_path / "Youth work.txt").write_text("Anytown Online Services\n\nYouth work plan\n")
    folder = FolderLines.for_folder(tmp_path)
    assert (
        len(scans) == 2 and folder.documents == 4 and folder.is_repeated("Anytown Online Services")
    )

    (tmp_path / "Museums.txt").unlink()
    assert FolderLines.for_folder(tmp_path).documents == 3 and len(scans) == 3
