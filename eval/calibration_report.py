"""Reports of an abstention calibration: the sweep as a terminal table, the recommendation
in words, and the docs table."""

from __future__ import annotations

from rich.table import Table

from eval.bench.common import command_line, machine_line


def calibration_table(curve: list[dict], best: dict, current: float, questions: int) -> Table:
    table = Table(title=f"Abstain threshold sweep ({questions} questions)")
    for column in (
        "threshold",
        "abst. precision",
        "abst. recall",
        "abst. F1",
        "support",
        "answerable abstained",
    ):
        table.add_column(column, justify="right")
    for point in curve:
        marks = []
        if abs(point["threshold"] - best["threshold"]) < 1e-9:
            marks.append("recommended")
        if abs(point["threshold"] - current) < 1e-9:
            marks.append("current")
        style = "bold green" if "recommended" in marks else None
        table.add_row(
            f"{point['threshold']:.2f}",
            f"{point['abstention_precision']:.3f}",
            f"{point['abstention_recall']:.3f}",
            f"{point['abstention_f1']:.3f}",
            f"{point['answer_support']:.3f}",
            f"{point['false_abstention_rate']:.3f}",
            ", ".join(marks),
            style=style,
        )
    return table


def calibration_summary(best: dict, current: float) -> str:
    low, high = best["plateau"]
    text = (
        f"Recommended abstain threshold: {best['threshold']:.2f} (abstention F1 "
        f"{best['abstention_f1']:.3f}, precision {best['abstention_precision']:.3f}, recall "
        f"{best['abstention_recall']:.3f}; answer support {best['answer_support']:.3f}, best on "
        f"the curve {best['best_support_on_curve']:.3f}); every threshold from {low:.2f} to "
        f"{high:.2f} scores the same. "
    )
    if low - 1e-9 <= current <= high + 1e-9:
        text += f"The current setting {current} is on that plateau: no change needed. "
    else:
        text += f"Current setting: {current}; set ASSISTANT_ABSTAIN_THRESHOLD. "
    other = best["best_f1_any_support"]
    if other["abstention_f1"] > best["abstention_f1"] + 1e-9:
        text += (
            f"Without the support budget the best F1 is {other['abstention_f1']:.3f} at "
            f"{other['threshold']:.2f}, costing answer support "
            f"{best['best_support_on_curve'] - other['answer_support']:.3f}."
        )
    return text


def calibration_markdown(payload: dict) -> str:
    best = payload["recommended"]
    lines = [
        f"Measured {payload['created']} on {machine_line()}.",
        "",
        "Reproduce with:",
        "",
        "```bash",
        command_line(),
        "```",
        "",
        f"The extractive answerer's abstain threshold swept over {payload['questions']} "
        "questions (each retrieved once through the real service; every threshold answers "
        "from the same retrieval). Recommended: the best abstention F1 whose answer support "
        f"stays within {best['max_support_loss']:.2f} of the best on the curve.",
        "",
        "| threshold | abstention precision | abstention recall | abstention F1 | "
        "answer support | answerable abstained |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for point in payload["curve"]:
        if round(point["threshold"] * 100) % 2 and point["threshold"] not in (
            best["threshold"],
            payload["current_threshold"],
        ):
            continue  # every other row keeps the table short; the JSON has them all
        mark = []
        if abs(point["threshold"] - best["threshold"]) < 1e-9:
            mark.append("recommended")
        if abs(point["threshold"] - payload["current_threshold"]) < 1e-9:
            mark.append("current")
        label = f"{point['threshold']:.2f}" + (f" ({', '.join(mark)})" if mark else "")
        lines.append(
            f"| {label} | {point['abstention_precision']:.3f} | "
            f"{point['abstention_recall']:.3f} | {point['abstention_f1']:.3f} | "
            f"{point['answer_support']:.3f} | {point['false_abstention_rate']:.3f} |"
        )
    evidence = payload["best_evidence"]
    answerable = evidence["answerable"]
    unanswerable = sorted(evidence["unanswerable"].values())
    lines += [
        "",
        calibration_summary(best, payload["current_threshold"]),
        "",
        "Best evidence score per question: answerable median "
        f"{answerable[len(answerable) // 2]:.3f} (min {answerable[0]:.3f}); unanswerable median "
        f"{unanswerable[len(unanswerable) // 2]:.3f} (range {unanswerable[0]:.3f}–"
        f"{unanswerable[-1]:.3f}).",
        "",
    ]
    return "\n".join(lines)
