"""Reports of a known-findings run: a rich table on the terminal, JSON and Markdown files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from eval.bench.common import command_line, git_commit, machine_line
from eval.known_findings import METRIC_LABELS

PER_KIND_COLUMNS = [
    ("questions", "n"),
    ("passage_hit@1", "hit@1"),
    ("passage_hit@5", "hit@5"),
    ("mrr", "MRR"),
    ("doc_hit@5", "doc@5"),
    ("citation_precision", "cite prec"),
    ("answer_support", "support"),
    ("answer_states_finding", "states"),
    ("sentence_citation_precision", "sent prec"),
    ("wrong_place_rate", "wrong place"),
    ("abstained", "abstained"),
    ("latency_p50_ms", "p50 ms"),
]


def fmt(metric: str, value) -> str:
    if value is None:
        return "–"
    if metric.endswith("_ms"):
        return f"{value:.0f}"
    if metric in ("questions", "answerable", "unanswerable", "wrong_place_answers"):
        return str(int(value))
    return f"{value:.3f}"


def set_title(report: dict) -> str:
    """The subset, after the question set's name when it is not the seed set."""
    name = report.get("question_set")
    subset = report.get("subset")
    return f"{name} set, {subset}" if name and name != "seed" else str(subset)


def settings_text(settings: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (settings or {}).items())


def build_report(
    summary: dict,
    kinds: dict[str, dict],
    results: list,
    failing: list[dict],
    breaches: list,
    meta: dict,
) -> dict:
    return {
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git_commit(),
        **meta,
        "summary": summary,
        "per_kind": kinds,
        "thresholds": {"breaches": [str(b) for b in breaches], "passed": not breaches},
        "failing_questions": failing,
        "wrong_place": wrong_place_rows(results),
        "questions": [r.as_dict() for r in results],
    }


def wrong_place_rows(results: list) -> list[dict]:
    """The non-abstained answers that cite a document about another place."""
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "question": r.question,
            "places": r.places,
            "place_source": r.place_source,
            "wrong_docs": r.wrong_place_docs,
        }
        for r in results
        if r.wrong_place
    ]


def overall_table(summary: dict, title: str = "Known-findings evaluation") -> Table:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row(
        "questions",
        f"{summary['questions']} ({summary['answerable']} answerable, "
        f"{summary['unanswerable']} unanswerable)",
    )
    for key, label in METRIC_LABELS.items():
        table.add_row(label, fmt(key, summary.get(key)))
    return table


def kind_table(kinds: dict[str, dict]) -> Table:
    table = Table(title="Per kind")
    table.add_column("kind", no_wrap=True)
    for _, label in PER_KIND_COLUMNS:
        table.add_column(label, justify="right")
    for kind in sorted(kinds):
        values = kinds[kind]
        table.add_row(kind, *[fmt(key, values.get(key)) for key, _ in PER_KIND_COLUMNS])
    return table


def print_report(report: dict, console: Console | None = None) -> None:
    console = console or Console()
    console.print(overall_table(report["summary"], f"Known findings: {set_title(report)}"))
    console.print(kind_table(report["per_kind"]))
    failing = report["failing_questions"]
    if failing:
        console.print(f"[bold]{len(failing)} questions with problems[/bold]")
        for row in failing:
            console.print(f"  {row['id']} [{row['kind']}] {'; '.join(row['problems'])}")


def markdown(report: dict) -> str:
    summary = report["summary"]
    lines = [
        f"# Known-findings evaluation: {set_title(report)}",
        "",
        f"- created: {report['created']}",
        f"- commit: {report.get('commit')}",
        f"- corpus: {report.get('corpus')}",
        f"- questions: {report.get('questions_file')} ({summary['questions']} questions, "
        f"{summary['answerable']} answerable, {summary['unanswerable']} unanswerable)",
        f"- settings: {settings_text(report.get('settings'))}",
        f"- thresholds: {'passed' if report['thresholds']['passed'] else 'FAILED'}"
        + (" (report only, no gate)" if report.get("thresholds_report_only") else ""),
        "",
        "| metric | value |",
        "|---|---:|",
    ]
    for key, label in METRIC_LABELS.items():
        lines.append(f"| {label} | {fmt(key, summary.get(key))} |")
    lines += [
        "",
        "## Per kind",
        "",
        "| kind | " + " | ".join(label for _, label in PER_KIND_COLUMNS) + " |",
        "|---|" + "---:|" * len(PER_KIND_COLUMNS),
    ]
    for kind in sorted(report["per_kind"]):
        values = report["per_kind"][kind]
        cells = [fmt(key, values.get(key)) for key, _ in PER_KIND_COLUMNS]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    if report["thresholds"]["breaches"]:
        lines += ["", "## Threshold breaches", ""]
        lines += [f"- {b}" for b in report["thresholds"]["breaches"]]
    if report.get("wrong_place"):
        lines += ["", "## Wrong-place answers", ""]
        for row in report["wrong_place"]:
            lines.append(
                f"- **{row['id']}** ({row['kind']}) {row['question']} — asked about "
                f"{' / '.join(row['places'])} (from {row['place_source']}); cites "
                f"{', '.join(row['wrong_docs'])}"
            )
    if report["failing_questions"]:
        lines += ["", "## Questions with problems", ""]
        for row in report["failing_questions"]:
            lines.append(
                f"- **{row['id']}** ({row['kind']}) {row['question']} — "
                f"{'; '.join(row['problems'])}"
            )
    lines += [
        "",
        "Definitions: retrieval metrics use the passages the answer was built from (top_k); a "
        "passage is relevant when it contains a key phrase (case, quotes, whitespace and `**` "
        "ignored). Citation precision: share of cited passages with a key phrase or from an "
        "expected document (answered questions only). Answer support: not abstained and a key "
        "phrase in a cited passage. Answer states the finding: not abstained and a key phrase in "
        "the answer text itself (`[n]` markers, bullets, added quote marks and "
        "'Recommendation N:' labels ignored). Sentence citation precision: share of an "
        "answer's cited sentences that occur in a passage they cite (a speaker or label before "
        "': ' and wrapping quote marks ignored), averaged over answered questions. Wrong-place "
        "rate: share of answered questions with a place (the question file's `place:`, else "
        "the expected documents' place/organisation) that cite a document whose indexed place "
        "and organisation match none of them. "
        "Abstention: abstained = positive, unanswerable = relevant. "
        "Follow-up success: answer support of the second question of each pair. Latency: wall "
        "time of `service.ask`, after one warm-up question.",
        "",
    ]
    return "\n".join(lines)


def write_reports(report: dict, reports_dir: Path, prefix: str = "eval") -> tuple[Path, Path]:
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = report.get("question_set")
    prefix = f"{prefix}-{name}" if name and name != "seed" else prefix
    base = reports_dir / f"{prefix}-{report.get('subset', 'full')}-{stamp}"
    json_path = base.with_suffix(".json")
    md_path = base.with_suffix(".md")
    json_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path, md_path


def docs_markdown(report: dict, md_path: Path | None = None) -> str:
    """The known-findings tables for docs/BENCHMARKS.md (no per-question detail)."""
    summary = report["summary"]
    lines = [
        f"Measured {report['created']} (commit {report.get('commit')}) on {machine_line()}.",
        "",
        "Reproduce with:",
        "",
        "```bash",
        command_line(),
        "```",
        "",
        f"{summary['questions']} questions of `{report.get('questions_file')}` "
        f"({summary['answerable']} answerable, {summary['unanswerable']} unanswerable) through "
        f"the real service ({settings_text(report.get('settings'))})."
        + (f" Per-question report: `{md_path}` (not in git)." if md_path else ""),
        "",
        "| metric | value |",
        "|---|---:|",
    ]
    for key, label in METRIC_LABELS.items():
        lines.append(f"| {label} | {fmt(key, summary.get(key))} |")
    lines += [
        "",
        "| kind | " + " | ".join(label for _, label in PER_KIND_COLUMNS) + " |",
        "|---|" + "---:|" * len(PER_KIND_COLUMNS),
    ]
    for kind in sorted(report["per_kind"]):
        values = report["per_kind"][kind]
        cells = [fmt(key, values.get(key)) for key, _ in PER_KIND_COLUMNS]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Retrieval metrics are over the passages each answer was built from (top_k); a passage "
        "is relevant when it contains a key phrase. Thresholds: "
        f"{'passed' if report['thresholds']['passed'] else 'FAILED'} "
        f"({report.get('thresholds_section')}).",
        "",
    ]
    return "\n".join(lines)
