"""Figures and how they are printed: a plain-text table, a Markdown section, and JSON."""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field

UNIT_SCALE = {"s": 1.0, "ms": 1e3, "kB": 1e-3, "MB": 1e-6, "count": 1.0}  # from seconds or bytes


@dataclass
class Figure:
    """One measure: the app's samples, the naive baseline's samples in the same run, and the goal (if any)."""

    section: str
    measure: str
    unit: str  # s, ms (samples in seconds) | kB (samples in bytes) | count
    app: list[float]
    baseline: list[float] | None = None
    statistic: str = "median"  # what the goal and the ratio compare: median | p50 | p95 | max
    goal: float | None = None  # in `unit`
    ratio_goal: float | None = None  # the goal on app ÷ baseline instead (issue 15: against a bare page, same run)
    details: dict = field(default_factory=dict)

    def value(self, samples: list[float] | None) -> float | None:
        """The figure's statistic of some samples, in its unit."""
        if not samples:
            return None
        scale = UNIT_SCALE[self.unit]
        if self.statistic in ("median", "p50"):
            return statistics.median(samples) * scale
        if self.statistic == "p95":
            return percentile(samples, 95) * scale
        if self.statistic == "max":
            return max(samples) * scale
        raise ValueError(f"unknown statistic {self.statistic!r}")

    @property
    def app_value(self) -> float | None:
        """The app's figure."""
        return self.value(self.app)

    @property
    def baseline_value(self) -> float | None:
        """The baseline's figure."""
        return self.value(self.baseline)

    @property
    def ratio(self) -> float | None:
        """App ÷ baseline (below 1: the app is smaller or faster)."""
        if self.app_value is None or not self.baseline_value:
            return None
        return self.app_value / self.baseline_value

    @property
    def verdict(self) -> str:
        """PASS or MISS against the goal (or the ratio goal); blank without one."""
        if self.ratio_goal is not None:
            return "MISS" if self.ratio is None else "PASS" if self.ratio <= self.ratio_goal else "MISS"
        if self.goal is None:
            return ""
        if self.app_value is None:
            return "MISS"
        return "PASS" if self.app_value <= self.goal else "MISS"


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile, linear between closest ranks (numpy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _number(x: float, unit: str) -> str:
    if unit == "count":
        return f"{x:.0f}"
    if unit == "kB":
        return f"{x:,.1f}"
    if unit == "MB":
        return f"{x:,.2f}"
    if unit == "ms":
        return f"{x:.3f}" if x < 1 else f"{x:,.1f}" if x < 100 else f"{x:,.0f}"
    return f"{x:.2f}"


def describe(figure: Figure, samples: list[float] | None) -> str:
    """'1.23 s (1.10–1.40, n=5)': the statistic, then min–max of the samples when there are several."""
    if samples is None:
        return "—"
    if not samples:
        return "no samples"
    value = figure.value(samples)
    text = f"{_number(value, figure.unit)} {figure.unit}" if figure.unit != "count" else _number(value, "count")
    label = "" if figure.statistic in ("median", "max") else f"{figure.statistic} "
    if len(samples) > 1 and len(set(samples)) > 1:
        scale = UNIT_SCALE[figure.unit]
        text += f" ({_number(min(samples) * scale, figure.unit)}–{_number(max(samples) * scale, figure.unit)}, n={len(samples)})"
    return label + text


def _goal(figure: Figure) -> str:
    if figure.ratio_goal is not None:
        return f"app ÷ baseline ≤ {figure.ratio_goal:g}"
    if figure.goal is None:
        return ""
    statistic = {"median": "median ", "p50": "p50 ", "p95": "p95 ", "max": ""}[figure.statistic]
    return f"{statistic}≤ {figure.goal:g}" + ("" if figure.unit == "count" else f" {figure.unit}")


def rows(figures: list[Figure]) -> list[list[str]]:
    """Table rows: measure, app, baseline, app ÷ baseline, goal, result."""
    out = []
    for f in figures:
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}×" if f.ratio >= 0.1 else f"{f.ratio:.2g}×"
        out.append([f.measure, describe(f, f.app), describe(f, f.baseline), ratio, _goal(f), f.verdict])
    return out


HEADER = ["Measure", "App", "Naive baseline", "App ÷ baseline", "Goal", "Result"]


def text_table(figures: list[Figure]) -> str:
    """A fixed-width table, one section heading above each group of figures."""
    body = rows(figures)
    widths = [max([len(HEADER[i])] + [len(r[i]) for r in body]) for i in range(len(HEADER))]  # body may be empty
    line = "  ".join(h.ljust(w) for h, w in zip(HEADER, widths))
    lines = [line, "-" * len(line)]
    section = None
    for figure, row in zip(figures, body):
        if figure.section != section:
            section = figure.section
            lines.append(f"[{section}]")
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def markdown_table(figures: list[Figure]) -> str:
    """The same table as GitHub Markdown, each section as a bold row."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    section = None
    for figure, row in zip(figures, rows(figures)):
        if figure.section != section:
            section = figure.section
            lines.append(f"| **{section}** |" + " |" * (len(HEADER) - 1))
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def as_json(figures: list[Figure]) -> list[dict]:
    """Every figure with its raw samples and computed values."""
    return [dict(asdict(f), app_value=f.app_value, baseline_value=f.baseline_value, ratio=f.ratio, verdict=f.verdict)
            for f in figures]
