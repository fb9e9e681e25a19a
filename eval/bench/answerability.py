"""The public answerability benchmark, and the fit of the answerer's answerability model.

    strategy-assistant bench answerability --data ../shared/bench --write-docs

Questions from SQuAD v1.1 dev and PolicyQA dev are asked of their own index twice, through the
service's own retriever: as they are (answerable) and with their gold paragraphs kept out by a
filter (unanswerable), plus the seed project's own questions over the seed corpus (tuning
only). Each case gets the product's answerability features; a logistic regression is fitted
on the tuning half (split by article), the operating threshold chosen there (the highest whose
answerable-abstained rate on the tuning data is at most ``--max-abstained``), and the weights
written to ``assistant/answering/data/answerability.json``. The held-out half is then scored
alone and with every other corpus mixed into one index (SQuAD + PolicyQA + the seed corpus +
SciFact abstracts), next to the old rule on the same questions.

Indexes and retrieval results are cached under ``data/bench``; a rerun recomputes the features
from the cache (seconds), so a change to ``FEATURES`` costs one rerun.
"""

from __future__ import annotations

import time
from pathlib import Path

from assistant.answering.answerability import FEATURES, MODEL_FILE
from assistant.core.settings import Settings
from eval.bench.answerability_cases import Case, public_cases, seed_cases
from eval.bench.answerability_fit import (
    SOURCES,
    by_source,
    feature_weights,
    fit,
    mixing_effect,
    tradeoff,
)
from eval.bench.answerability_indexes import (
    bench_settings,
    open_mixed,
    open_seed,
    open_set,
    scifact_sample,
    shared_encoder,
)
from eval.bench.answerability_metrics import HELD_OUT, TUNE
from eval.bench.answerability_report import markdown, print_report
from eval.bench.answerability_retrieval import retrieve_all
from eval.bench.answerability_rows import Row, rows_for
from eval.bench.common import (
    command_line,
    err,
    git_commit,
    machine,
    now_stamp,
    save_json,
    write_section,
)
from eval.bench.datasets import load_squad

SECTION = "Answerability (public benchmark)"


def run(
    data: Path,
    squad_questions: int,
    policyqa_questions: int,
    scifact_docs: int,
    seed: int,
    max_rate: float,
    rebuild: bool,
    refresh: bool,
    write_model: bool,
    write_docs: bool,
    settings: Settings,
) -> dict:
    started = time.perf_counter()
    info = machine()
    data = Path(data).expanduser()
    base = bench_settings(settings)
    floor = base.abstain_threshold
    paths = {"squad": data / "squad" / "dev-v1.1.json", "policyqa": data / "policyqa" / "dev.json"}
    sizes = {"squad": squad_questions, "policyqa": policyqa_questions}
    sets = {name: load_squad(path, name=name) for name, path in paths.items()}
    cases: dict[str, list[Case]] = {}
    notes: list[str] = []
    for name, dataset in sets.items():
        made = public_cases(dataset, paths[name], sizes[name], seed)
        cases[name] = made.cases
        notes += made.notes
    with err.status("Loading the embedding model…"):
        encoder = shared_encoder(base)
    rows: list[Row] = []
    for name, dataset in sets.items():
        index = open_set(dataset, base, encoder, rebuild)
        cache = retrieve_all(index, cases[name], f"{name} alone", refresh)
        notes += _stale(cache, index.name) + [_built(index)]
        rows += rows_for(index, cache, cases[name], "alone", floor)
    seed_index = open_seed(base, encoder, rebuild)
    seeds = seed_cases(seed_index.service)
    notes += seeds.notes
    cache = retrieve_all(seed_index, seeds.cases, "seed questions", refresh)
    notes += _stale(cache, "seed")
    rows += rows_for(seed_index, cache, seeds.cases, "alone", floor)
    unrelated = scifact_sample(data / "scifact", scifact_docs, seed)
    mixed = open_mixed(list(sets.values()), unrelated, base, encoder, rebuild)
    held_cases = [c for name in sets for c in cases[name] if c.split == HELD_OUT]
    cache = retrieve_all(mixed, held_cases, "held-out, mixed index", refresh)
    notes += _stale(cache, "mixed") + [_built(mixed)]
    mixed_rows = rows_for(mixed, cache, held_cases, "mixed", floor)
    documents, passages = mixed.service.store.registry.counts()
    notes.append(
        f"mixed index: {documents} documents, {passages} passages (SQuAD dev + PolicyQA dev + "
        f"{len(unrelated)} SciFact abstracts sampled with seed {seed} + the seed corpus)"
    )

    notes.append(
        "filtered retrieval ran with np.isin answered by set membership (identical passages "
        "and scores, checked on the first filtered cases of each index; numpy's object-array "
        "isin makes a filter of thousands of doc ids cost 0.5-4 s a question)"
    )
    tune = [r for r in rows if r.case.split == TUNE]
    held = [r for r in rows if r.case.split == HELD_OUT]
    model = fit(tune, max_rate)
    trained_on = (
        f"eval/bench/answerability.py on {len(tune)} tuning cases: SQuAD v1.1 dev and PolicyQA "
        "dev questions (tuning half by article) asked with and without their gold paragraphs, "
        f"plus the {len(seeds.cases)} eval/questions.yaml questions over the seed corpus; "
        f"threshold: the highest with answerable abstained <= {max_rate} on the tuning data"
    )
    model.trained_on = trained_on
    report = {
        "machine": info,
        "command": command_line(),
        "date": now_stamp(),
        "commit": git_commit(),
        "notes": notes,
        "max_rate": max_rate,
        "floor": floor,
        "model": {
            "weights": dict(zip(FEATURES, model.weights, strict=True)),
            "bias": model.bias,
            "threshold": model.threshold,
            "required_types": list(model.required_types),
            "typed_floor": model.typed_floor,
        },
        "tuning": by_source(tune, model, floor),
        "held_out": {
            "alone": by_source(held, model, floor),
            "mixed": by_source(mixed_rows, model, floor),
        },
        "features": feature_weights(tune, held, model, max_rate),
        "mixing": mixing_effect(
            [r for r in held if r.case.source in SOURCES], mixed_rows, model, seed
        ),
        "tradeoff": tradeoff(
            tune,
            {"alone": [r for r in held if r.case.source in SOURCES], "mixed": mixed_rows},
            model,
        ),
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    print_report(report)
    if write_model:
        extra = {
            "fitted": report["date"],
            "commit": report["commit"],
            "command": report["command"],
            "tuning": _summary(report["tuning"]["overall"]),
            "held_out_alone": _summary(report["held_out"]["alone"]["overall"]),
            "held_out_mixed": _summary(report["held_out"]["mixed"]["overall"]),
        }
        model.save(MODEL_FILE, extra)
        err.print(f"Model written to {MODEL_FILE}")
    path = settings.reports_dir / f"bench-answerability-{time.strftime('%Y%m%d-%H%M%S')}.json"
    save_json(path, report)
    err.print(f"Report written to {path}")
    if write_docs:
        write_section(SECTION, markdown(report))
        err.print(f"docs/BENCHMARKS.md: section '{SECTION}' updated")
    return report


def _built(index) -> str:
    """How the cached index was built (the cold cost a rerun does not pay)."""
    meta = index.built.meta
    seconds = meta.get("precompute_seconds", 0) + meta.get("ingest_seconds", 0)
    return (
        f"{index.name} index built {meta.get('built_at')} by the real pipeline: "
        f"{meta.get('documents')} documents, {meta.get('passages')} passages, "
        f"{meta.get('texts_embedded')} texts embedded, {seconds:.0f} s"
    )


def _stale(cache, name: str) -> list[str]:
    if not cache.stale_code:
        return []
    return [f"{name} retrieval results cached from retrieval code {cache.stale_code}"]


def _summary(entry: dict) -> dict:
    new = entry["new"]
    keys = ("auroc", "precision", "recall", "wrongly_abstained")
    return {k: None if new[k] is None else round(new[k], 4) for k in keys}
