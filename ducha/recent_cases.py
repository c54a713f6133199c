"""Recent cases (近期变更的督查事项): what the writer committed that the case board may not show yet.

The repeated-supervision warnings (重复督查, `api/repeated_supervision.py`) must see every
case approved before the command they answer. The board shows the cases up to the position
it has applied; the writer keeps here a summary of each case it saved, by position, so the
check reads the board as it is and adds what came after, instead of waiting for the board
to catch up with the command. Only what the board does not show yet is kept, and at most
`KEEP` summaries; when one the check would need is gone, `since` says so and the check
waits for the board instead.

The writer is the node's only writer of its store, so every change of a case passes here.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from projections.case_board_queries import CaseSight

KEEP = 10_000  # summaries kept: far more than a board lags by


@dataclass(frozen=True)
class CaseSummary:
    """A case as the board's candidate rows show it: enough for `Case.duplicates` and a warning, and who may
    see it (`sight`), so that a warning names only the cases its reader may see, as the board would."""

    id: str
    title: str
    state: str
    topic: str
    targets: tuple[str, ...]
    window_start: str
    window_end: str
    proposed_on: str
    sight: CaseSight

    @classmethod
    def of(cls, case: Any) -> CaseSummary:
        return cls(
            id=str(case.id), title=case.title, state=case.state.value, topic=case.topic.value,
            targets=tuple(case.targets), window_start=case.window[0].isoformat(),
            window_end=case.window[1].isoformat(), proposed_on=case.proposed_on.isoformat(),
            sight=CaseSight.of(case),
        )

    def row(self) -> dict[str, Any]:
        """In the shape of `repeat_candidates`' rows."""
        return {
            "id": self.id, "title": self.title, "topic": self.topic, "targets": list(self.targets),
            "window_start": self.window_start, "window_end": self.window_end, "proposed_on": self.proposed_on,
        }


class RecentCases:
    """Summaries of the cases saved after `complete_after`, by the position of each save's last event."""

    def __init__(self, complete_after: int, keep: int = KEEP) -> None:
        self._lock = threading.Lock()
        self._saved: deque[tuple[int, CaseSummary]] = deque()
        self._keep = keep
        self._complete_after = complete_after  # every case saved after this position is here

    def record(self, aggregates: Iterable[Any], positions: Mapping[tuple[UUID, int], int]) -> None:
        """Called by the writer after each commit, on its thread: the cases among the saved aggregates.
        A case it cannot summarise leaves a gap: checks then wait for the board until it is past it."""
        try:
            saved = [
                (position, CaseSummary.of(aggregate))
                for aggregate in aggregates
                if type(aggregate).__name__ == "Case"
                and (position := positions.get((aggregate.id, aggregate.version))) is not None
            ]
        except Exception:
            with self._lock:
                self._complete_after = max(self._complete_after, *positions.values())
            raise
        if not saved:
            return
        with self._lock:
            self._saved.extend(sorted(saved, key=lambda entry: entry[0]))
            while len(self._saved) > self._keep:
                dropped, _ = self._saved.popleft()
                self._complete_after = max(self._complete_after, dropped)

    def since(self, applied: int, up_to: int) -> dict[str, CaseSummary] | None:
        """Each case's last summary saved after `applied` (a position the board has applied) and at or
        before `up_to`; None when some may be missing. What the board has applied is forgotten: the
        board only moves on, so only the summaries it does not show yet are kept."""
        with self._lock:
            while self._saved and self._saved[0][0] <= applied:
                dropped, _ = self._saved.popleft()
                self._complete_after = max(self._complete_after, dropped)
            if applied < self._complete_after:
                return None
            latest: dict[str, CaseSummary] = {}
            for position, summary in self._saved:
                if position > up_to:
                    break
                latest[summary.id] = summary
            return latest
