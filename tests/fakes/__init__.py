"""Stand-ins for the Telegram Bot API: in-process for handler tests, on loopback for end-to-end tests."""
