"""Readers for the public benchmark formats (BEIR folders and SQuAD-format JSON).

Data is always read from the path given; nothing is copied into the repository.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BenchDoc:
    doc_id: str
    title: str
    text: str


@dataclass
class RetrievalSet:
    """A corpus, queries and graded relevance judgements (query id -> doc id -> grade)."""

    name: str
    docs: list[BenchDoc]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)


def load_beir(folder: Path, split: str = "test") -> RetrievalSet:
    """A BEIR folder: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/{split}.tsv`` or
    ``qrels_{split}.tsv``. Only queries with judgements in ``split`` are kept."""
    folder = Path(folder).expanduser()
    docs = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                docs.append(
                    BenchDoc(str(row["_id"]), row.get("title") or "", row.get("text") or "")
                )
    queries = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                queries[str(row["_id"])] = row["text"]
    qrels_path = next(
        (
            p
            for p in (folder / f"qrels_{split}.tsv", folder / "qrels" / f"{split}.tsv")
            if p.exists()
        ),
        None,
    )
    if qrels_path is None:
        raise FileNotFoundError(f"No qrels for split {split!r} in {folder}")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        for row in reader:
            if not row or row[0] == "query-id":
                continue
            qrels.setdefault(str(row[0]), {})[str(row[1])] = int(row[2])
    queries = {q: t for q, t in queries.items() if q in qrels}
    return RetrievalSet(f"{folder.name}-{split}", docs, queries, qrels)


def load_squad(path: Path, name: str | None = None) -> RetrievalSet:
    """SQuAD-format JSON as paragraph retrieval: each paragraph is a document titled by its
    article; a question's relevant documents are the paragraphs it was asked about.

    The same question text asked of several paragraphs (PolicyQA asks "For what purpose do
    you use my data?" of 51 paragraphs of 20 policies) is one query with all of them relevant:
    counting each copy with only its own paragraph would score a correct answer as a miss.
    Subsample with ``sample_queries``; the corpus stays whole."""
    path = Path(path).expanduser()
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    docs: list[BenchDoc] = []
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    seen_contexts: dict[str, str] = {}
    by_text: dict[str, str] = {}
    asked = 0
    for a_index, article in enumerate(data):
        title = str(article.get("title") or f"article {a_index}").replace("_", " ")
        for p_index, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            doc_id = seen_contexts.get(context)
            if doc_id is None:  # identical paragraphs would be one indexed document
                doc_id = f"p{a_index:03d}-{p_index:03d}"
                seen_contexts[context] = doc_id
                docs.append(BenchDoc(doc_id, title, context))
            for qa in paragraph.get("qas", []):
                text = qa["question"].strip()
                qid = by_text.setdefault(text, str(qa["id"]))
                queries[qid] = text
                qrels.setdefault(qid, {})[doc_id] = 1
                asked += 1
    notes = []
    if len(queries) < asked:
        notes.append(
            f"{asked} questions, {len(queries)} distinct; a question asked of several "
            "paragraphs counts once with all of them relevant"
        )
    return RetrievalSet(name or path.parent.name, docs, queries, qrels, notes)


def sample_queries(dataset: RetrievalSet, max_queries: int | None, seed: int = 13) -> RetrievalSet:
    """The same set with at most ``max_queries`` queries (fixed-seed sample)."""
    if max_queries is None or len(dataset.queries) <= max_queries:
        return dataset
    keep = sorted(random.Random(seed).sample(sorted(dataset.queries), max_queries))
    note = f"{max_queries} of {len(dataset.queries)} queries, sampled with random seed {seed}"
    return RetrievalSet(
        dataset.name,
        dataset.docs,
        {q: dataset.queries[q] for q in keep},
        {q: dataset.qrels[q] for q in keep},
        [*dataset.notes, note],
    )
