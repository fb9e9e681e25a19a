"""Regression thresholds for the known-findings evaluation (``eval/thresholds.yaml``).

The file has one section per question subset (``full``, ``quick``), each with ``min:`` (a
metric must be at least this) and optionally ``max:`` (at most this, e.g. latency).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.yaml")


@dataclass(frozen=True)
class Breach:
    metric: str
    value: float | None
    bound: float
    kind: str  # "min" | "max" | "missing"

    def __str__(self) -> str:
        if self.kind == "missing":
            return f"{self.metric}: not measured (threshold {self.bound})"
        relation = "below the minimum" if self.kind == "min" else "above the maximum"
        return f"{self.metric} = {self.value:.3f} is {relation} {self.bound}"


def load_thresholds(path: Path | None = None) -> dict[str, dict[str, dict[str, float]]]:
    path = Path(path or THRESHOLDS_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of subsets to min/max sections")
    return data


def check(
    summary: dict,
    section: dict[str, dict[str, float]],
    include_max: bool = True,
    required: bool = False,
    ignore: tuple[str, ...] = (),
) -> list[Breach]:
    """Every threshold the summary breaks. A metric the run did not measure (None) is only a
    breach when ``required``; metrics in ``ignore`` (e.g. latencies in tests) are skipped."""
    breaches: list[Breach] = []
    bounds = [("min", section.get("min") or {})]
    if include_max:
        bounds.append(("max", section.get("max") or {}))
    for kind, metrics in bounds:
        for metric, bound in metrics.items():
            if metric in ignore:
                continue
            value = summary.get(metric)
            if value is None:
                if required:
                    breaches.append(Breach(metric, None, float(bound), "missing"))
                continue
            if (kind == "min" and value < bound) or (kind == "max" and value > bound):
                breaches.append(Breach(metric, float(value), float(bound), kind))
    return breaches


LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms")


def exit_code(breaches: list[Breach]) -> int:
    return 1 if breaches else 0
