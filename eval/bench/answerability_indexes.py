"""The indexes the answerability benchmark asks: SQuAD dev and PolicyQA dev each alone, the seed
corpus alone, and one index mixing all of them with SciFact abstracts.

Every index is built by the real ingest pipeline and cached under ``data/bench`` (the SQuAD and
PolicyQA ones are the very indexes ``bench retrieval`` caches). One encoder is shared by every
build, so a text embedded for one index (a SQuAD paragraph) is not embedded again for the mixed
one; questions always go to the model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from assistant.core.settings import Settings
from eval.bench.common import StageProgress, err
from eval.bench.datasets import BenchDoc, RetrievalSet, load_beir
from eval.bench.index_cache import BuiltIndex, bench_root, build_index, ingest_code_fingerprint
from eval.bench.precomputed import PrecomputedEncoder
from ingest.manifest import slugify

SEED = "seed"


@dataclass
class Opened:
    """One index the benchmark asks: its service and how a set's doc ids are named in it."""

    name: str
    folder: Path
    service: object  # AssistantService
    prefixes: dict[str, str]  # set name -> prefix of its doc ids in this index
    built: BuiltIndex | None = None

    def doc_id(self, source: str, doc_id: str) -> str:
        return slugify(self.prefixes.get(source, "") + doc_id) if source != SEED else doc_id

    def all_doc_ids(self) -> set[str]:
        return set(self.service.store.document_metas())

    def identity(self) -> str:
        """What the cached retrieval results of this index depend on."""
        meta = self.built.meta if self.built else {}
        generation = self.service.store.registry.generation()
        return f"{self.folder.name}|{meta.get('built_at')}|{meta.get('ingest_code')}|{generation}"


def bench_settings(settings: Settings) -> Settings:
    """The app's settings, with a neutral answerability model: these services only retrieve,
    and the shipped weights may be mid-refit (its feature list changed, say)."""
    from assistant.answering.answerability import FEATURES, AnswerabilityModel

    path = bench_root(settings) / "answerability-neutral.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    AnswerabilityModel([0.0] * len(FEATURES), 0.0, 0.0, "neutral (retrieval only)").save(path)
    return settings.model_copy(update={"answerability_model": path})


def shared_encoder(settings: Settings):
    from assistant.index.embeddings import SentenceTransformerEmbeddings, make_embeddings

    model = make_embeddings(
        settings.embedding_model,
        settings.embedding_device,
        settings.embedding_batch_size,
        settings.embedding_query_backend,
        settings.data_dir / "models",
    )
    if not isinstance(model, SentenceTransformerEmbeddings):  # the test profile's fake
        return model
    return PrecomputedEncoder(model, {})


def open_set(dataset: RetrievalSet, settings: Settings, encoder, rebuild: bool) -> Opened:
    built = build_index(dataset.name, dataset.docs, settings, encoder, rebuild)
    return Opened(dataset.name, built.folder, built.service, {}, built)


def _ingest_seed_corpus(service, settings: Settings, label: str) -> None:
    """The seed corpus into ``service``'s index (incremental: unchanged documents are kept)."""
    progress = StageProgress(f"Indexing {settings.corpus_dir.name}/ ({label})")
    try:
        report = service.ingest_folder(settings.corpus_dir, progress)
    finally:
        progress.close()
    if report.changed:
        err.print(f"{label}: {len(report.added) + len(report.updated)} seed documents embedded")


def open_seed(settings: Settings, encoder, rebuild: bool) -> Opened:
    """A private index of the seed corpus (the known-findings eval's documents)."""
    import shutil

    from assistant.application.service import AssistantService

    folder = bench_root(settings) / f"answerability-seed-{ingest_code_fingerprint()}"
    for stale in bench_root(settings).glob("answerability-seed-*"):
        if stale != folder or rebuild:  # built by other ingest code (as `eval` does)
            shutil.rmtree(stale, ignore_errors=True)
    service = AssistantService(settings.model_copy(update={"data_dir": folder}), encoder)
    _ingest_seed_corpus(service, settings, "seed index")
    return Opened(SEED, folder, service, {})


def scifact_sample(folder: Path, count: int, seed: int) -> list[BenchDoc]:
    docs = load_beir(folder, "test").docs
    if count >= len(docs):
        return docs
    keep = set(random.Random(seed).sample(range(len(docs)), count))
    return [doc for index, doc in enumerate(docs) if index in keep]


def open_mixed(
    sets: list[RetrievalSet],
    unrelated: list[BenchDoc],
    settings: Settings,
    encoder,
    rebuild: bool,
) -> Opened:
    """One index holding every set (doc ids prefixed by set), ``unrelated`` documents
    (SciFact abstracts) and the seed corpus."""
    prefixes = {dataset.name: f"{dataset.name}-" for dataset in sets}
    docs = [
        BenchDoc(prefixes[dataset.name] + doc.doc_id, doc.title, doc.text)
        for dataset in sets
        for doc in dataset.docs
    ]
    docs += [BenchDoc(f"scifact-{doc.doc_id}", doc.title, doc.text) for doc in unrelated]
    built = build_index("answerability-mixed", docs, settings, encoder, rebuild)
    _ingest_seed_corpus(built.service, settings, "mixed index")
    return Opened("mixed", built.folder, built.service, prefixes, built)
