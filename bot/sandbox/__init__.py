"""The sandbox: the Bot API stand-in (the tests' one fake) and ``redprop sandbox``'s page."""
