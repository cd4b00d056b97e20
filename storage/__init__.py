"""Storage machinery: the engine and its sessions, SQLite on the event loop, WAL checkpoints.

Knows nothing of the domain; ``models`` builds on it.
"""
