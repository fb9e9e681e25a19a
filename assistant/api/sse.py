"""Server-sent events framing (text/event-stream)."""

from __future__ import annotations

import json
from typing import Any

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_MEDIA_TYPE = "text/event-stream"


def sse_event(event: str | None, data: Any) -> str:
    """One event. ``data`` is JSON-encoded on one line unless it already is a str."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    lines = "".join(f"data: {line}\n" for line in payload.split("\n"))
    return f"{head}{lines}\n"
