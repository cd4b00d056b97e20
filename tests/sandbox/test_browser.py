"""The sandbox page in real headless Chromium (Debian's package, driven by Playwright): the seed's story.

A 东方华庭 resident joins by the community's link and reports "no electric-bike charging
shed" with the bundled photo and their location; the paired instructor accepts and resolves
it; the clock moves a day; the resident answers the survey; the street office's admin opens
/stats and sees the chart. Screenshots at phone and desktop width go to ``artifacts/sandbox/``;
every button must have an accessible name and the console must stay free of errors.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from locales.i18n import gettext, use_locale
from tests.sandbox.conftest import RunningSandbox

playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' installs playwright")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed: apt-get install -y chromium chromium-driver (.ci/run does it)",
        allow_module_level=True,
    )

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "sandbox"
WAIT = 60_000  # ms; the bot is a second process on a shared machine
CASE_NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{6}")
INSTRUCTOR, ADMIN = "王指导员", "刘主任"
UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'button, select, input:not([type=hidden]):not([hidden])')]
  .filter((node) => !(
    node.getAttribute('aria-label') || node.labels?.[0]?.textContent || node.textContent).trim())
  .map((node) => node.outerHTML)"""
FITS = "document.body.scrollWidth <= window.innerWidth"


def zh(message: str) -> str:
    """What the bot shows in Chinese (the people here have a Chinese Telegram)."""
    with use_locale("zh_CN"):
        return gettext(message)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for number, page in enumerate(page for context in launched.contexts for page in context.pages):
                page.screenshot(path=str(ARTIFACTS / f"last-{number}.png"))  # where a failure stopped
            launched.close()


def open_page(browser: Any, sandbox: RunningSandbox, width: int, height: int) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    page.get_by_role("button", name="Switch the page to English").click()
    return page, errors


def open_person(page: Any, name: str) -> Any:
    value = page.locator("#person option", has_text=name).first.get_attribute("value")
    page.select_option("#person", value)
    page.get_by_role("button", name="Open chat").click()
    column = page.locator("section.phone", has=page.locator(".name", has_text=name))
    column.wait_for()
    return column


def say(column: Any, text: str) -> None:
    column.get_by_role("textbox", name="Message").fill(text)
    column.get_by_role("button", name="Send", exact=True).click()


def tap(column: Any, label: str) -> None:
    button = column.locator(".log").get_by_role("button", name=label, exact=True).last
    button.wait_for(timeout=WAIT)
    button.click()


def see(column: Any, text: str | re.Pattern[str]) -> Any:
    found = column.locator(".log .msg", has_text=text).last
    found.wait_for(timeout=WAIT)
    return found


def check_page(page: Any, errors: list[str], name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert page.evaluate(UNNAMED_CONTROLS) == []
    assert page.evaluate(FITS), "the page is wider than the window"
    assert errors == []


def test_the_seeds_story_through_the_page(browser: Any, sandbox: RunningSandbox) -> None:
    page, errors = open_page(browser, sandbox, 1400, 900)

    # A new resident of 东方华庭 opens the community's QR link.
    page.select_option("#community", "dfht")
    page.get_by_role("button", name="New resident joins").click()
    resident = page.locator("section.phone").first
    see(resident, "东方华庭")

    # The report: category, description, the bundled photo (an upload that is no image is refused).
    say(resident, "/report")
    tap(resident, zh("Electric-bike charging shed"))
    see(resident, zh("Electric-bike charging shed"))
    say(resident, "No electric-bike charging shed / 小区没有电动车充电棚")
    resident.locator(".log").get_by_role("button", name=zh("Done"), exact=True).last.wait_for(timeout=WAIT)
    mine = resident.locator(".msg.mine").count()
    resident.locator("input.file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}]
    )
    resident.get_by_text("Not an image: only photos can be sent.").wait_for(timeout=WAIT)
    assert resident.locator(".msg.mine").count() == mine
    resident.get_by_role("button", name="Sample photo").click()
    resident.locator(".msg.mine img").first.wait_for(timeout=WAIT)
    # The bot's answer to the photo comes with its own Done button (the prompt's is stale now).
    playwright.expect(resident.locator(".log").get_by_role("button", name=zh("Done"))).to_have_count(
        2, timeout=WAIT
    )
    tap(resident, zh("Done"))
    location_key = resident.locator(".reply-keyboard").get_by_role("button", name=zh("📍 Send my location"))
    location_key.click(timeout=WAIT)
    tap(resident, zh("Confirm"))
    receipt = see(resident, CASE_NUMBER)
    number = CASE_NUMBER.search(receipt.inner_text())
    assert number, receipt.inner_text()

    # The paired instructor accepts and resolves it with a note.
    instructor = open_person(page, INSTRUCTOR)
    see(instructor, number.group())
    tap(instructor, zh("Accept"))
    see(
        resident,
        zh("Your case {number} was accepted by {name}.").format(number=number.group(), name=INSTRUCTOR),
    )
    tap(instructor, zh("Resolve"))
    say(instructor, "3号楼旁的充电棚已建成 / the shed is built")
    see(resident, "3号楼旁的充电棚已建成")
    check_page(page, errors, "desktop-resolved")

    # A day later the survey comes; the resident answers it.
    page.get_by_role("button", name="+1 day").click()
    tap(resident, zh("Solved"))
    tap(resident, "5★")
    tap(resident, zh("Yes"))
    see(resident, zh("Any comment? Type it, or tap Skip."))
    say(resident, "谢谢，很快就建好了")
    see(
        resident, zh("Thank you for your answers! Case {number} is now closed.").format(number=number.group())
    )

    # The street office's admin opens /stats and sees the chart.
    admin = open_person(page, ADMIN)
    say(admin, "/stats")
    chart = admin.locator(".log img").last
    chart.wait_for(timeout=WAIT)
    assert chart.evaluate("image => image.complete && image.naturalWidth > 200")
    check_page(page, errors, "desktop-stats")

    # The same page at a phone's width: one column fills the screen, nothing spills sideways.
    page.set_viewport_size({"width": 375, "height": 740})
    assert admin.evaluate("column => column.getBoundingClientRect().width") == 375
    check_page(page, errors, "phone")
