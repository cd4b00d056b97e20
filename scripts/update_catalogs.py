"""Re-extract the messages and bring both catalogs up to date.

    python scripts/update_catalogs.py

Runs ``pybabel extract`` and ``pybabel update`` with the project's options, then copies each
new English msgid into the ``en`` catalog (the msgids are English). New zh_CN entries stay
empty until a translator fills them; the test suite fails while any is empty or fuzzy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
OPTIONS = ["--no-wrap"]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def fill_english() -> None:
    path = LOCALES / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):  # plural: (singular, plural) → one string per form
            if not any(message.string):
                message.string = message.id
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as po:
        write_po(po, catalog, width=0, sort_output=True, include_previous=False)


def main() -> None:
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-o",
        str(POT),
        "--add-location=file",
        "--sort-output",
        "--project",
        "Red Property",
        "--copyright-holder",
        "Red Property contributors",
        *OPTIONS,
        ".",
    )
    pybabel(
        "update", "-i", str(POT), "-d", str(LOCALES), "--ignore-obsolete", "--no-fuzzy-matching", *OPTIONS
    )
    fill_english()


if __name__ == "__main__":
    main()
