"""``strategy-assistant ingest`` says what it inferred about each document it indexed."""

from __future__ import annotations

import os
import subprocess
import sys

MINUTES = """Agenda item
Issue - meetings
Contact: Democratic Services, 01632 960 123

Minutes of the Skills and Learning Board

Calderdale Council

Held at Halifax Town Hall on Tuesday 4 February 2025 at 2 pm

1 Apprenticeships
The Board noted that 120 council apprentices started in 2024.
"""


def test_ingest_prints_the_inferred_identity_of_each_document(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "item-3.txt").write_text(MINUTES)
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_EMBEDDING_MODEL": "fake:16",
    }
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("item-3:"))
    assert "'Minutes of the Skills and Learning Board' (inferred)" in line
    assert "organisation='Calderdale Council' (inferred)" in line
    assert "date='2025-02-04' (inferred)" in line and "kind='minutes' (inferred)" in line
