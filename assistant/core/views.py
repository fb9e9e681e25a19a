"""What the library, passage viewer and health check show: typed, so every edge renders the
same fields (the API serialises them, the UI reads them, the CLI prints them)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.core.models import Chunk, DocumentMeta


class DocumentSummary(BaseModel):
    meta: DocumentMeta
    content_hash: str
    chunk_count: int
    ingested_at: str


class SectionOutline(BaseModel):
    section: str
    first_chunk_id: str
    chunk_count: int
    start: int


class DocumentDetail(DocumentSummary):
    outline: list[SectionOutline]
    char_count: int


class PassageView(BaseModel):
    chunk: Chunk
    document: DocumentMeta
    previous_id: str | None
    next_id: str | None
    context_before: str
    context_after: str


class CacheStats(BaseModel):
    size: int
    entries: int
    hits: int
    misses: int


class Health(BaseModel):
    """``GET /health``: ready, and what the service is running with."""

    status: str = "ok"
    documents: int
    chunks: int
    vectors: int
    embedding_model: str
    query_encoder: str
    llm: str
    answer_cache: CacheStats
    generation: int = Field(0, description="The index generation (moves on at every commit).")
    process: int = Field(0, description="The server process that answered (serve --workers N).")
