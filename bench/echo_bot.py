"""The baseline for bench/report_throughput.py: a bare python-telegram-bot echo bot.

Nothing but PTB's defaults: long polling, updates handled one at a time, no persistence, no
rate limiter, no database. A message is echoed back (its text, or a word for a photo or
anything else); a button press is answered. Run by the benchmark as

    python bench/echo_bot.py            # with ECHO_TOKEN and ECHO_BASE_URL in the environment

With ``ECHO_TRANSPORT=aiohttp`` it makes its calls through the bot's own HTTP client
(bot/telegram_http.py) instead of PTB's httpx, to show how much of the gap is networking.

and stopped with SIGTERM.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the message's text back (a word for a photo or other content)."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(message.text or ("photo" if message.photo else "message"))


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press."""
    assert update.callback_query is not None
    await update.callback_query.answer()


def main() -> None:
    builder = ApplicationBuilder().token(os.environ["ECHO_TOKEN"]).base_url(os.environ["ECHO_BASE_URL"])
    if os.environ.get("ECHO_TRANSPORT") == "aiohttp":
        from bot.telegram_http import AiohttpRequest

        updates = AiohttpRequest(connection_pool_size=1)
        builder = builder.request(AiohttpRequest()).get_updates_request(updates)
    application = builder.build()
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(answer))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
