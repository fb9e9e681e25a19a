"""Run the command line as a user would: ``python -m assistant ...`` in a real process."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, data_dir=None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir or "/nonexistent")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
