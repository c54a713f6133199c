"""The pure domain of ducha (督查): aggregates, their rules and their events.

Nothing here does I/O or reads the clock: `now`, the calendar, the unit registry and the
acting person are passed in by the application layer.
"""
