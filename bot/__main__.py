"""``python -m bot`` does what the ``redprop`` command does."""

from bot.cli import main

raise SystemExit(main())
