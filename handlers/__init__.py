"""Handlers: the node's processes on the bus (the relay, the projectors, the inbox, the clock)."""
