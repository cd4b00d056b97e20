"""Locales: choosing one, keeping it per update, local times, and complete, current catalogs."""

from __future__ import annotations

import asyncio
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import locales.i18n
from config.settings import SUPPORTED_LOCALES, BotSettings
from locales.i18n import (
    current_locale,
    format_time,
    gettext,
    locale_for,
    per_language,
    po_path,
    set_locale,
    set_timezone,
    translations,
    use_locale,
)

ROOT = Path(__file__).resolve().parents[2]
HINT = "Run `python scripts/update_catalogs.py`, then translate the new zh_CN entries."

# --- choosing the locale -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["zh", "zh-hans", "zh-cn", "zh-sg", "ZH-Hans", "zh_CN", "zh-Hans-CN", " zh "]
)
def test_chinese_language_codes_map_to_zh_cn(code: str) -> None:
    assert locale_for(stored=None, language_code=code, default="en") == "zh_CN"


@pytest.mark.parametrize("code", ["en", "en-US", "EN-gb", "en_AU"])
def test_english_language_codes_map_to_en(code: str) -> None:
    assert locale_for(stored=None, language_code=code, default="zh_CN") == "en"


@pytest.mark.parametrize("code", ["de", "fr-FR", "zh-hant", "zh-tw", "eng", "", None])
def test_other_language_codes_fall_back_to_the_default(code: str | None) -> None:
    assert locale_for(stored=None, language_code=code, default="zh_CN") == "zh_CN"
    assert locale_for(stored=None, language_code=code, default="en") == "en"


@pytest.mark.parametrize(("stored", "code"), [("en", "zh-hans"), ("zh_CN", "en-US"), ("en", None)])
def test_stored_choice_wins_over_telegram_language(stored: str, code: str | None) -> None:
    assert locale_for(stored=stored, language_code=code, default="zh_CN") == stored


def test_unsupported_stored_choice_is_ignored() -> None:
    assert locale_for(stored="fr", language_code="en", default="zh_CN") == "en"
    assert locale_for(stored="fr", language_code=None, default="zh_CN") == "zh_CN"


# --- the active locale is per context ----------------------------------------------------------


def test_use_locale_nests_and_resets() -> None:
    outer = current_locale()
    with use_locale("en"):
        assert current_locale() == "en"
        assert gettext("Commands:") == "Commands:"
        with use_locale("zh_CN"):
            assert current_locale() == "zh_CN"
            assert gettext("Commands:") == "可用命令："
        assert current_locale() == "en"
        assert gettext("Commands:") == "Commands:"
    assert current_locale() == outer


def test_use_locale_resets_after_an_exception() -> None:
    with use_locale("zh_CN"):
        with pytest.raises(RuntimeError), use_locale("en"):
            raise RuntimeError
        assert current_locale() == "zh_CN"


def test_unsupported_locale_falls_back_to_the_first_supported() -> None:
    with use_locale("en"), use_locale("fr"):
        assert current_locale() == SUPPORTED_LOCALES[0] == "zh_CN"


async def test_concurrent_tasks_keep_their_own_locale() -> None:
    outer = current_locale()
    both_set = asyncio.Barrier(2)
    seen: dict[str, list[str]] = {}

    async def reply(name: str, locale: str, use_set_locale: bool) -> None:
        if use_set_locale:
            set_locale(locale)  # as the locale handler does for a whole update
            await both_set.wait()
            seen[name] = [current_locale(), gettext("Commands:")]
        else:
            with use_locale(locale):
                await both_set.wait()  # the other task has switched its language by now
                await asyncio.sleep(0)
                seen[name] = [current_locale(), gettext("Commands:")]

    await asyncio.gather(reply("english", "en", False), reply("chinese", "zh_CN", True))
    assert seen == {"english": ["en", "Commands:"], "chinese": ["zh_CN", "可用命令："]}
    assert current_locale() == outer  # nothing leaked out of the tasks

    await asyncio.gather(reply("english", "en", True), reply("chinese", "zh_CN", False))
    assert seen == {"english": ["en", "Commands:"], "chinese": ["zh_CN", "可用命令："]}
    assert current_locale() == outer


# --- local times -------------------------------------------------------------------------------


@pytest.fixture
def zone() -> Iterator[None]:
    """Start from the configured default zone; put back whatever zone was there before."""
    saved = locales.i18n._zone
    set_timezone(BotSettings().tzinfo)
    yield
    set_timezone(saved)


MOMENT = datetime(2026, 3, 5, 5, 7, 9, tzinfo=UTC)  # 13:07:09 in Shanghai


def test_default_zone_is_asia_shanghai() -> None:
    assert BotSettings().tzinfo == ZoneInfo("Asia/Shanghai")


def test_format_time_in_shanghai_chinese(zone: None) -> None:
    with use_locale("zh_CN"):
        shown = format_time(MOMENT)
        assert "13:07:09" in shown and "2026年3月5日" in shown
        assert "13:07" in format_time(MOMENT, "short")


def test_format_time_in_shanghai_english(zone: None) -> None:
    with use_locale("en"):
        shown = format_time(MOMENT)
        assert "1:07:09" in shown and "PM" in shown and "Mar 5, 2026" in shown
        assert "13:07" not in shown


def test_format_time_crosses_midnight_into_the_next_local_day(zone: None) -> None:
    late = datetime(2026, 3, 5, 20, 30, tzinfo=UTC)  # 04:30 on 6 March in Shanghai
    with use_locale("zh_CN"):
        assert "2026年3月6日" in format_time(late) and "04:30:00" in format_time(late)


def test_format_time_follows_the_configured_zone(zone: None) -> None:
    set_timezone(ZoneInfo("America/New_York"))  # UTC-5 in early March
    with use_locale("zh_CN"):
        assert "00:07:09" in format_time(MOMENT)
    with use_locale("en"):
        shown = format_time(MOMENT)
        assert "12:07:09" in shown and "AM" in shown
    set_timezone(ZoneInfo("Europe/London"))  # UTC+0 in March before the clocks change
    with use_locale("zh_CN"):
        assert "05:07:09" in format_time(MOMENT)


# --- catalogs: complete and current ------------------------------------------------------------

Key = tuple[str | None, str | tuple[str, ...]]


def extract(root: Path) -> Catalog:
    """What ``pybabel extract -F babel.cfg`` finds in the code under ``root``, as a catalog."""
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(root / "babel.cfg"))
    catalog = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(
        root, method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], context=context)
    return catalog


def read_catalog(path: Path, locale: str) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def entries(catalog: Catalog) -> dict[Key, Message]:
    """Every message but the header; obsolete entries are not part of iteration."""
    return {(message.context, message.id): message for message in catalog if message.id}


def _brace_fields(text: str) -> list[tuple[str, str, str]] | None:
    """The ``{name!conv:spec}`` fields of a str.format template, sorted; None if it is no template."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    return sorted((field, spec or "", conv or "") for _, field, spec, conv in parsed if field is not None)


def _show(key: Key) -> str:
    context, msgid = key
    return repr(msgid) if context is None else f"{msgid!r} (context {context!r})"


def catalog_problems(locale: str, catalog: Catalog, extracted: Catalog) -> list[str]:
    """Everything that makes ``catalog`` not ready to ship for the code that ``extracted`` came from."""
    problems: list[str] = []
    have, want = entries(catalog), entries(extracted)
    missing = sorted(want.keys() - have.keys(), key=repr)
    stale = sorted(have.keys() - want.keys(), key=repr)
    if missing:
        problems.append(f"{locale}: {len(missing)} msgid(s) in the code but not in the .po:")
        problems += [f"    {_show(key)}  {[path for path, _ in want[key].locations]}" for key in missing]
    if stale:
        problems.append(f"{locale}: {len(stale)} msgid(s) in the .po that the code no longer uses:")
        problems += [f"    {_show(key)}" for key in stale]
    for key, message in sorted(have.items(), key=lambda item: repr(item[0])):
        if message.fuzzy:
            problems.append(f"{locale}: fuzzy entry: {_show(key)}")
        forms = list(message.string) if isinstance(message.string, list | tuple) else [message.string]
        if not all(forms):
            problems.append(f"{locale}: untranslated (empty msgstr): {_show(key)}")
            continue
        ids = list(message.id) if isinstance(message.id, list | tuple) else [message.id]
        expected = _brace_fields(ids[-1])
        if expected is None:
            continue
        allowed = {field for msgid in ids for field in _brace_fields(msgid) or []}
        for index, form in enumerate(forms):
            got = _brace_fields(form)
            # The last (or only) form has exactly the msgid's fields; an earlier plural form, such
            # as English "one", may leave out the count but never add or misspell a field.
            earlier = index < len(forms) - 1
            if got is None or (got != expected and not (earlier and set(got) <= allowed)):
                problems.append(
                    f"{locale}: placeholders differ in {_show(key)}: msgstr {form!r} has "
                    f"{[f[0] for f in got] if got is not None else 'unbalanced braces'}, "
                    f"msgid has {[f[0] for f in expected]}"
                )
    for message, errors in catalog.check():  # python-format (%) placeholders and plural counts
        problems += [f"{locale}: {error} in {_show((message.context, message.id))}" for error in errors]
    return problems


@pytest.fixture(scope="module")
def code_messages() -> Catalog:
    return extract(ROOT)


def test_extraction_sees_gettext_and_the_n_marker(code_messages: Catalog) -> None:
    found = {key[1] for key in entries(code_messages)}
    assert "Commands:" in found  # _() in handlers/
    assert "List the commands you can use" in found  # N_() in handlers/commands.py
    assert "Hello, {name}! Welcome to Red Property." in found
    assert "Start failed: the Telegram Bot API: {reason}" in found  # bot/startup.py


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_is_complete_and_current(locale: str, code_messages: Catalog) -> None:
    catalog = read_catalog(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po", locale)
    problems = catalog_problems(locale, catalog, code_messages)
    assert not problems, "\n".join([*problems, HINT])


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogs_are_the_committed_po_files_and_load(locale: str) -> None:
    path = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    assert path.is_file()
    assert Path(str(po_path(locale))).resolve() == path.resolve()
    if (ROOT / ".git").exists() and shutil.which("git"):
        tracked = subprocess.run(
            ["git", "ls-files", "--error-unmatch", str(path.relative_to(ROOT))],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        assert tracked.returncode == 0, f"{path.relative_to(ROOT)} is not committed"
    compiled = translations(locale)
    translated = 0
    for (context, msgid), message in entries(read_catalog(path, locale)).items():
        if message.fuzzy or not message.string or context is not None or isinstance(msgid, tuple):
            continue
        assert compiled.gettext(msgid) == message.string
        translated += 1
    assert translated > 0


def test_chinese_catalog_translates_and_english_is_identity() -> None:
    assert translations("zh_CN").gettext("Commands:") == "可用命令："
    assert translations("en").gettext("Commands:") == "Commands:"


# --- the completeness check itself catches what it should --------------------------------------


def _catalog(locale: str, *messages: tuple[str, str]) -> Catalog:
    catalog = Catalog(locale=locale)
    for msgid, msgstr in messages:
        catalog.add(msgid, msgstr)
    return catalog


GOOD = [
    ("Commands:", "可用命令："),
    ("Hello, {name}! Welcome to {place}.", "{place}欢迎您，{name}！"),
    ("%(count)d new reports", "%(count)d 条新报告"),
    ('a table like {{ name = "…" }}', '例如 {{ name = "…" }}'),
]


def test_check_accepts_a_good_catalog() -> None:
    extracted = _catalog("en", *((msgid, "") for msgid, _ in GOOD))
    assert catalog_problems("zh_CN", _catalog("zh_CN", *GOOD), extracted) == []


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (("Hello, {name}! Welcome to {place}.", ""), "untranslated"),
        (("Hello, {name}! Welcome to {place}.", "{place}欢迎您，{nom}！"), "placeholders differ"),
        (("Hello, {name}! Welcome to {place}.", "欢迎您，{name}！"), "placeholders differ"),
        (("Hello, {name}! Welcome to {place}.", "欢迎您，{name!r}！{place}"), "placeholders differ"),
        (("Hello, {name}! Welcome to {place}.", "欢迎您，{name！{place}"), "placeholders differ"),
        (('a table like {{ name = "…" }}', '例如 { name = "…" }'), "placeholders differ"),
        (("%(count)d new reports", "%(cnt)d 条新报告"), "placeholder"),
    ],
)
def test_check_rejects_a_bad_translation(bad: tuple[str, str], expected: str) -> None:
    extracted = _catalog("en", *((msgid, "") for msgid, _ in GOOD))
    messages = [bad if msgid == bad[0] else (msgid, msgstr) for msgid, msgstr in GOOD]
    problems = catalog_problems("zh_CN", _catalog("zh_CN", *messages), extracted)
    assert len(problems) == 1 and expected in problems[0], problems
    assert repr(bad[0]) in problems[0]


def _plural_catalog(locale: str, msgstr: tuple[str, ...]) -> tuple[Catalog, Catalog]:
    msgid = ("{count} new report in {place}", "{count} new reports in {place}")
    extracted = Catalog(locale="en")
    extracted.add(msgid, ("", ""))
    catalog = Catalog(locale=locale)
    catalog.add(msgid, msgstr)
    return catalog, extracted


@pytest.mark.parametrize(
    ("locale", "msgstr"),
    [
        ("en", ("One new report in {place}", "{count} new reports in {place}")),
        ("zh_CN", ("{place}有 {count} 条新报告",)),
    ],
)
def test_check_accepts_good_plural_forms(locale: str, msgstr: tuple[str, ...]) -> None:
    assert catalog_problems(locale, *_plural_catalog(locale, msgstr)) == []


@pytest.mark.parametrize(
    ("locale", "msgstr", "expected"),
    [
        ("en", ("{count} new report in {place}", ""), "untranslated"),
        ("en", ("One new report in {place}", "Many new reports in {place}"), "placeholders differ"),
        ("en", ("One new report in {where}", "{count} new reports in {place}"), "placeholders differ"),
        ("zh_CN", ("有 {count} 条新报告",), "placeholders differ"),
    ],
)
def test_check_rejects_bad_plural_forms(locale: str, msgstr: tuple[str, ...], expected: str) -> None:
    problems = catalog_problems(locale, *_plural_catalog(locale, msgstr))
    assert len(problems) == 1 and expected in problems[0], problems


def test_check_rejects_missing_and_stale_entries() -> None:
    extracted = _catalog("en", ("Commands:", ""), ("A new feature", ""))
    catalog = _catalog("zh_CN", ("Commands:", "可用命令："), ("An old feature", "旧功能"))
    report = "\n".join(catalog_problems("zh_CN", catalog, extracted))
    assert "1 msgid(s) in the code but not in the .po" in report and "'A new feature'" in report
    assert "1 msgid(s) in the .po that the code no longer uses" in report and "'An old feature'" in report


def test_check_reads_a_fuzzy_flag_from_a_po_file(tmp_path: Path, code_messages: Catalog) -> None:
    """Mark one entry of a copy of the real zh_CN catalog fuzzy, as ``pybabel update`` would."""
    original = (ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    marked = original.replace('msgid "Commands:"', '#, fuzzy\nmsgid "Commands:"', 1)
    assert marked != original
    copy = tmp_path / "messages.po"
    copy.write_text(marked, encoding="utf-8")
    problems = catalog_problems("zh_CN", read_catalog(copy, "zh_CN"), code_messages)
    assert "zh_CN: fuzzy entry: 'Commands:'" in problems


NEW_STRING = "A brand-new {thing}"
NEW_PLURAL = ("{count} brand-new report", "{count} brand-new reports")


@pytest.fixture(scope="module")
def updated_project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A copy of the project with one new _() call, checked before and after update_catalogs.py."""
    project = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("bot", "handlers", "models", "locales", "scripts"):
        shutil.copytree(ROOT / folder, project / folder, ignore=ignore)
    shutil.copy(ROOT / "babel.cfg", project / "babel.cfg")
    (project / "handlers" / "zz_new_feature.py").write_text(
        "from locales.i18n import gettext as _\n"
        "from locales.i18n import ngettext\n\n\n"
        "def hello(count: int) -> str:\n"
        f'    return _("{NEW_STRING}") + ngettext("{NEW_PLURAL[0]}", "{NEW_PLURAL[1]}", count)\n',
        encoding="utf-8",
    )

    def check() -> dict[str, tuple[Catalog, list[str]]]:
        code = extract(project)
        result = {}
        for locale in SUPPORTED_LOCALES:
            catalog = read_catalog(project / "locales" / locale / "LC_MESSAGES" / "messages.po", locale)
            result[locale] = (catalog, catalog_problems(locale, catalog, code))
        return result

    before = check()
    subprocess.run(
        [sys.executable, "scripts/update_catalogs.py"], cwd=project, check=True, capture_output=True
    )
    return {"code": extract(project), "before": before, "after": check()}


def test_check_sees_a_new_string_in_the_code(updated_project: dict[str, Any]) -> None:
    for locale in SUPPORTED_LOCALES:
        _, problems = updated_project["before"][locale]
        assert f"    {NEW_STRING!r}  ['handlers/zz_new_feature.py']" in problems, problems
        assert f"    {NEW_PLURAL!r}  ['handlers/zz_new_feature.py']" in problems, problems


def test_update_script_brings_the_catalogs_in_line_with_the_code(updated_project: dict[str, Any]) -> None:
    """The check and scripts/update_catalogs.py agree on what the code's messages are."""
    code_keys = entries(updated_project["code"]).keys()
    chinese, chinese_problems = updated_project["after"]["zh_CN"]
    english, _ = updated_project["after"]["en"]
    assert entries(chinese).keys() == entries(english).keys() == code_keys
    assert not [line for line in chinese_problems if "msgid(s)" in line or "fuzzy" in line]
    assert f"zh_CN: untranslated (empty msgstr): {NEW_STRING!r}" in chinese_problems
    assert english.get(NEW_STRING).string == NEW_STRING
    assert f"zh_CN: untranslated (empty msgstr): {NEW_PLURAL!r}" in chinese_problems


def test_update_script_fills_every_english_entry(updated_project: dict[str, Any]) -> None:
    """The msgids are English, so after the script the en catalog passes the check as it is,
    plural entries (msgstr[0], msgstr[1]) included."""
    english, problems = updated_project["after"]["en"]
    assert problems == [], "\n".join(problems)
    assert tuple(english.get(NEW_PLURAL[0]).string) == NEW_PLURAL


def test_per_language_builds_once_per_language_and_arguments_in_that_language() -> None:
    builds: list[tuple[str, str]] = []

    @per_language
    def label(suffix: str = "") -> list[str]:
        builds.append((current_locale(), suffix))
        return [gettext("Skip") + suffix]

    with use_locale("en"):
        first = label()
        assert label() is first  # the same object again, not a new one
        assert label("!") == ["Skip!"]
    with use_locale("zh_CN"):
        chinese = label()
    assert first == ["Skip"] and chinese != first
    assert builds == [("en", ""), ("en", "!"), ("zh_CN", "")]
