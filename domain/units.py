"""The unit registry (单位): administrative divisions and the bodies registered under them.

A division is named by its 6-digit GB/T 2260 code and stands for that division's
people's government; other bodies (offices, departments, management committees) carry a
registered code and a parent. The registry is data handed in at start, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.errors import UnknownUnit


@dataclass(frozen=True)
class Unit:
    """One registered unit."""

    code: str
    name: str
    parent: str | None
    kind: str

    @property
    def is_division(self) -> bool:
        return len(self.code) == 6 and self.code.isdigit()


class UnitRegistry:
    """Units by code, with the questions the rules ask of them."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self._units: dict[str, Unit] = {u.code: u for u in units}

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, str | None]]) -> UnitRegistry:
        return cls(
            Unit(code=str(r["code"]), name=str(r["name"]), parent=r.get("parent"), kind=str(r["kind"]))
            for r in records
        )

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __iter__(self):
        return iter(self._units.values())

    def get(self, code: str) -> Unit:
        try:
            return self._units[code]
        except KeyError:
            raise UnknownUnit(f"unit {code!r} is not in the registry") from None

    def check_known(self, codes: Iterable[str]) -> None:
        """Raised when any of the codes is not registered."""
        for code in codes:
            self.get(code)

    def ancestors(self, code: str) -> list[str]:
        """The unit's chain of parents, nearest first (the unit itself excluded)."""
        chain: list[str] = []
        parent = self.get(code).parent
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = self._units[parent].parent if parent in self._units else None
        return chain

    def government_of(self, code: str) -> str:
        """The division (level of government) a unit belongs to: itself if it is one."""
        if self.get(code).is_division:
            return code
        for ancestor in self.ancestors(code):
            if self._units.get(ancestor) and self._units[ancestor].is_division:
                return ancestor
        raise UnknownUnit(f"unit {code!r} belongs to no registered division")

    def is_within(self, code: str, jurisdiction: str) -> bool:
        """True when `code` is `jurisdiction` itself or anything below it."""
        return code == jurisdiction or jurisdiction in self.ancestors(code)

    def name_of(self, code: str) -> str:
        return self.get(code).name
