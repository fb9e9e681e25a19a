"""What several server processes over one data folder need in common: one Chroma server.

The rest of the index is already safe to share between processes on one machine: the registry
is SQLite (committed transactions, a generation that moves on at every commit), BM25 builds are
published atomically and picked up by generation, sentence vectors are reloaded from the
registry, and every write takes the cross-process write lock. Only the embedded Chroma store
is private to the process that opened it, so ``serve --workers N`` runs it as a server.
"""

from __future__ import annotations

from assistant.core.settings import Settings
from assistant.index.chroma_server import ChromaServer


def shared_chroma(settings: Settings) -> ChromaServer | None:
    """A started Chroma server over this data folder's Chroma files, or None when the
    settings already name a Chroma server (which every process can share as it is)."""
    if settings.chroma_url:
        return None
    server = ChromaServer(
        settings.index_dir / "chroma", settings.data_dir / "logs" / "chroma-server.log"
    )
    server.start()
    return server
