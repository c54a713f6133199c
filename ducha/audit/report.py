"""What a verification answers: the first fault (where and what kind) and the checkpoints that fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    """The kinds of tampering a verification can tell apart."""

    ALTERED = "altered"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"
    BAD_PROOF = "bad-proof"
    BAD_SIGNATURE = "bad-signature"
    INCONSISTENT = "inconsistent"


@dataclass(frozen=True)
class Fault:
    """The first position where the history differs from what was sealed."""

    position: int
    kind: FaultKind
    detail: str = ""


@dataclass
class VerifyReport:
    """The outcome of one verification (of the store, the stream or an export)."""

    source: str
    events: int = 0
    first_fault: Fault | None = None
    bad_checkpoints: list[int] = field(default_factory=list)
    unsealed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first_fault is None and not self.bad_checkpoints

    def fault(self, position: int, kind: FaultKind, detail: str = "") -> None:
        """Keeps the first fault only: later ones usually follow from it."""
        if self.first_fault is None:
            self.first_fault = Fault(position, kind, detail)

    def bad_checkpoint(self, position: int, why: str) -> None:
        self.bad_checkpoints.append(position)
        self.notes.append(f"checkpoint at position {position} does not verify: {why}")

    def text(self) -> str:
        lines = [f"{self.source}: {'OK' if self.ok else 'FAILED'} ({self.events} events)"]
        if self.first_fault is not None:
            f = self.first_fault
            lines.append(f"first bad position: {f.position} ({f.kind.value}{': ' + f.detail if f.detail else ''})")
        if self.bad_checkpoints:
            lines.append("checkpoints that no longer verify: " + ", ".join(map(str, self.bad_checkpoints)))
        if self.unsealed:
            lines.append(f"{self.unsealed} events after the last checkpoint are not sealed yet")
        lines.extend(self.notes)
        return "\n".join(lines)
