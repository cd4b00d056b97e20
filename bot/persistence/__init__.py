"""Chat state for python-telegram-bot's persistence, kept in the bot's database.

``chat_state`` is the table, ``writer`` writes it through the driver, and ``ptb`` is the
``BasePersistence`` the application uses. Conversation state belongs to the chat, not the
domain, so it lives here with the assembly.
"""
