"""The chat surface: one module per feature, each with ``register(application)``, gathered in
:mod:`handlers.routes`. Handlers parse the update, call the domain and render the answer; every
message the bot sends on its own initiative is rendered in :mod:`handlers.outgoing`."""
