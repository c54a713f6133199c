"""Loading the unit registry from its JSON file (the bundled Jilin sample by default)."""

from __future__ import annotations

import json
from pathlib import Path

from domain.units import UnitRegistry

BUNDLED_UNITS = Path(__file__).parent / "data" / "jilin-units.json"


def load_registry(path: Path | None = None) -> UnitRegistry:
    data = json.loads((path or BUNDLED_UNITS).read_text(encoding="utf-8"))
    return UnitRegistry.from_records(data["units"])
