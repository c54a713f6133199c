"""The figures of a run and the plain table they print as."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """What a figure should reach: a sentence for the table and the check behind it."""

    text: str
    check: Callable[["Figure"], bool] | None  # None: a figure to read, with no target stated for it


def ratio_at_least(share: float) -> Target:
    return Target(f"ratio >= {share:.0%}", lambda f: f.ratio is not None and f.ratio >= share)


def no_target() -> Target:
    return Target("(none stated)", None)


def p99_below(ms: float) -> Target:
    return Target(f"p99 < {ms:g} ms", lambda f: f.p99_ms is not None and f.p99_ms < ms)


@dataclass
class Figure:
    """One measured figure; `missing` says why it could not be measured."""

    name: str
    unit: str
    target: Target
    value: float | None = None
    ceiling: float | None = None
    ceiling_name: str = ""
    p50_ms: float | None = None
    p99_ms: float | None = None
    missing: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.ceiling:
            return None
        return self.value / self.ceiling

    def verdict(self) -> str:
        if self.missing is not None or self.target.check is None:
            return "-"
        return "yes" if self.target.check(self) else "NO"

    def shown_value(self) -> str:
        if self.missing is not None:
            return f"not available: {self.missing}"
        if self.p99_ms is not None:
            return f"p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"
        return f"{self.value:,.0f} {self.unit}" if self.value is not None else "-"


def table(figures: list[Figure]) -> str:
    """The figures as a plain text table, with notes (what ran, at what size) beneath."""
    header = ("figure", "value", "ceiling", "ratio", "target", "met")
    rows = [header]
    for f in figures:
        ceiling = f"{f.ceiling:,.0f} {f.unit} ({f.ceiling_name})" if f.ceiling else (f.ceiling_name or "-")
        ratio = f"{f.ratio:.0%}" if f.ratio is not None else "-"
        rows.append((f.name, f.shown_value(), ceiling, ratio, f.target.text, f.verdict()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  * {f.name}: {note}" for f in figures for note in f.notes]
    return "\n".join(lines + ([""] + notes if notes else []))
