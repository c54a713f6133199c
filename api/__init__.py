"""The HTTP API (FastAPI): commands, queries, problems, tokens, operations."""
