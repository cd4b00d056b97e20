"""Configuration: built-in defaults < config.toml < REDPROP_* environment < command line."""
