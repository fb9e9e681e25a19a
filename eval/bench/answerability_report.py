"""The answerability benchmark's report: terminal tables and its docs/BENCHMARKS.md section."""

from __future__ import annotations

from eval.bench.common import measured_header, out_console

LABELS = {
    "squad": "SQuAD v1.1 dev",
    "policyqa": "PolicyQA dev",
    "seed": "seed eval questions",
    "overall": "overall (SQuAD + PolicyQA)",
}
COLUMNS = ("AUROC", "abstention precision", "abstention recall", "answerable abstained")


def fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _cells(entry: dict) -> list[str]:
    old, new = entry["old"], entry["new"]
    keys = ("auroc", "precision", "recall", "wrongly_abstained")
    return [f"{fmt(old[k])} → **{fmt(new[k])}**" for k in keys]


def _count(entry: dict) -> str:
    return f"{entry['new']['answerable']} / {entry['new']['unanswerable']}"


def held_out_rows(report: dict) -> list[list[str]]:
    rows = []
    for index in ("alone", "mixed"):
        for source, entry in report["held_out"][index].items():
            where = "own index" if index == "alone" else "mixed index"
            rows.append([LABELS[source], where, _count(entry), *_cells(entry)])
    return rows


def tuning_rows(report: dict) -> list[list[str]]:
    return [
        [LABELS[source], _count(entry), *_cells(entry)]
        for source, entry in report["tuning"].items()
    ]


def feature_rows(report: dict) -> list[list[str]]:
    return [
        [
            f"`{f['feature']}`",
            f"{f['weight']:+.3f}",
            f"{f['scaled']:+.3f}",
            fmt(f["mean"]),
            fmt(f["auroc_alone"]),
            fmt(f["auroc_without"]),
        ]
        for f in report["features"]
    ]


def tradeoff_rows(report: dict) -> list[list[str]]:
    rows = []
    for point in report["tradeoff"]:
        alone, mixed = point["alone"], point["mixed"]
        rows.append(
            [
                f"≤ {point['rate']:.2f}",
                f"{point['threshold']:.4f}",
                *[
                    f"{fmt(alone[k])} / {fmt(mixed[k])}"
                    for k in ("precision", "recall", "wrongly_abstained")
                ],
            ]
        )
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    aligns = ["---"] + ["---:" if i else "---" for i in range(1, len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def markdown(report: dict) -> str:
    model = report["model"]
    held = report["held_out"]
    floor = report["floor"]
    note = f"; {report['seconds']:.0f} s with the indexes and retrieval results cached"
    lines = [
        *measured_header(report, note),
        "Each public question is asked twice through the service's own retriever (bundled "
        "all-MiniLM-L6-v2, app settings): of the index as it is (*answerable*) and with its gold "
        "paragraphs kept out by a `SearchFilters(doc_ids=…)` of every other document "
        "(*unanswerable*; one index serves both). Abstaining is the positive class: precision "
        "= abstentions that were right, recall = unanswerable cases abstained on, answerable "
        "abstained = answerable cases wrongly abstained on. AUROC is of the abstain score "
        "(1 − P(answerable)). Cells read **old rule → fitted model**; the old rule is today's "
        f"abstention (a question name/number no passage mentions, or best evidence < {floor}, "
        "or nothing quotable), with the unmentioned-terms check made as if the gold paragraphs "
        "were not indexed. The model was fitted on the tuning half only; these rows are the "
        "held-out half (no article or policy in both halves).",
        "",
        *_table(["set", "index", "answerable / unanswerable", *COLUMNS], held_out_rows(report)),
        "",
        f"Adding unrelated documents: held-out AUROC on the mixed index minus on the own index "
        f"is {_effect(report['mixing']['new'])} for the fitted model and "
        f"{_effect(report['mixing']['old'])} for the old rule (95% paired bootstrap over "
        "questions).",
        "",
        f"Operating point: abstain when P(answerable) < **{model['threshold']}**, the highest "
        f"threshold whose answerable-abstained rate on the tuning data is ≤ {report['max_rate']}."
        f" The answerer also refuses evidence scoring under `abstain_threshold` ({floor}); with "
        "that floor added the held-out overall figures are: own index "
        f"{_floor(held['alone']['overall'])}; mixed index {_floor(held['mixed']['overall'])}.",
        "",
        _required_types(model),
        "",
        "Label noise, for reading the figures: share of answerable cases whose gold paragraph "
        f"is among the 5 passages — own index {fmt(held['alone']['overall']['gold_retrieved'])},"
        f" mixed {fmt(held['mixed']['overall']['gold_retrieved'])}; share of unanswerable cases "
        "with a gold answer string inside a retrieved passage anyway (another paragraph of the "
        f"article or policy says it) — own index "
        f"{fmt(held['alone']['overall']['answer_in_unanswerable'])}, mixed "
        f"{fmt(held['mixed']['overall']['answer_in_unanswerable'])}. On those cleaner labels "
        "the fitted model abstains on answerable cases with the gold paragraph retrieved at "
        f"{fmt(held['alone']['overall']['wrongly_abstained_gold_retrieved'])} (own index) / "
        f"{fmt(held['mixed']['overall']['wrongly_abstained_gold_retrieved'])} (mixed) and "
        "recalls unanswerable cases with no answer text retrieved at "
        f"{fmt(held['alone']['overall']['recall_answer_absent'])} / "
        f"{fmt(held['mixed']['overall']['recall_answer_absent'])}.",
        "",
        "PolicyQA's questions name no website, and one question text is annotated on "
        "paragraphs of many policies: with its annotated paragraphs filtered out, unannotated "
        "paragraphs of other policies answer it about as well, and with them in, the 5 passages "
        "hold an annotated one in only "
        f"{fmt(held['alone']['policyqa']['gold_retrieved'])} of its answerable cases. Its two "
        "variants are therefore near-identical evidence (AUROC ≈ 0.5 for both rules): the "
        "PolicyQA rows measure the construction, not the model; SQuAD carries the signal.",
        "",
        "Other operating points of the same model (threshold from the tuning rate; held-out "
        "overall, own index / mixed index):",
        "",
        *_table(
            [
                "tuning rate",
                "threshold",
                "abstention precision",
                "abstention recall",
                "answerable abstained",
            ],
            tradeoff_rows(report),
        ),
        "",
        "#### Tuning data (what the model was fitted on; not a test)",
        "",
        *_table(["set", "answerable / unanswerable", *COLUMNS], tuning_rows(report)),
        "",
        "#### The fitted model (`assistant/answering/data/answerability.json`)",
        "",
        f"Bias {model['bias']:+.3f}. *Scaled* is the weight times the feature's standard "
        "deviation on the tuning data (how far it moves the log-odds); *alone* is the held-out "
        "AUROC of the feature by itself; *without* is the held-out AUROC of the model refitted "
        "without it.",
        "",
        *_table(
            ["feature", "weight", "scaled", "tuning mean", "AUROC alone", "AUROC without"],
            feature_rows(report),
        ),
        "",
        "Data: " + "; ".join(report["notes"]) + ".",
    ]
    return "\n".join(lines)


def _effect(entry: dict) -> str:
    return f"{entry['difference']:+.3f} [{entry['low']:+.3f}, {entry['high']:+.3f}]"


def _floor(entry: dict) -> str:
    both = entry["new+floor"]
    return (
        f"precision {fmt(both['precision'])}, recall {fmt(both['recall'])}, answerable "
        f"abstained {fmt(both['wrongly_abstained'])}"
    )


def print_report(report: dict) -> None:
    from rich.table import Table

    console = out_console()
    for title, header, rows in (
        ("Held-out (old rule → fitted model)", ["set", "index", "n"], held_out_rows(report)),
        ("Tuning data", ["set", "n"], tuning_rows(report)),
    ):
        table = Table(title=title)
        for column in [*header, *COLUMNS]:
            table.add_column(column)
        for row in rows:
            table.add_row(*[cell.replace("**", "") for cell in row])
        console.print(table)
    table = Table(title=f"Fitted model (threshold {report['model']['threshold']})")
    for column in ("feature", "weight", "scaled", "tuning mean", "AUROC alone", "without"):
        table.add_column(column)
    for row in feature_rows(report):
        table.add_row(*[cell.strip("`") for cell in row])
    console.print(table)


def _required_types(model: dict) -> str:
    types = ", ".join(model.get("required_types") or []) or "none"
    return (
        f"Required answer types ({types}): a question asking for one scores 0 when no top "
        "evidence sentence holds that type, when every one that does is away from all the "
        "question's names, or when none that does shares at least "
        f"**{model.get('typed_floor', 0.0)}** of the question's (rarity-weighted) subject words "
        "— the highest such floor, in steps of 0.05, under which no answerable tuning case "
        "falls."
    )
