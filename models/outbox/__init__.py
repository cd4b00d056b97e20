"""The outbox: every message the bot sends on its own initiative, queued in the transaction that causes it."""
