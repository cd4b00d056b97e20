"""The outbox sender and the worker process that runs it: paced, leased, each row at most once."""
