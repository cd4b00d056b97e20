"""``redprop sandbox`` refusing a bad start with one clear line, and its page's parts served."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from tests.sandbox.conftest import RunningSandbox, run_sandbox


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_sandbox(tmp_path, "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Port {port} on 127.0.0.1 is in use: stop what uses it, or choose another with --port."
    ]


def test_a_missing_directory_file_is_named(tmp_path: Path) -> None:
    result = run_sandbox(tmp_path, "--directory", "nowhere.toml")
    assert result.returncode == 2
    assert result.stderr.strip() == "nowhere.toml: no such file"


def test_a_bad_directory_file_names_the_entry(tmp_path: Path) -> None:
    (tmp_path / "street.toml").write_text('[[street]]\ncode = "Bad Code"\nname = "x"\n', encoding="utf-8")
    result = run_sandbox(tmp_path, "--directory", "street.toml")
    assert result.returncode == 2
    assert result.stderr.startswith("street.toml: ") and "Bad Code" in result.stderr


def test_the_page_its_people_and_a_refused_upload(sandbox: RunningSandbox) -> None:
    page = httpx.get(sandbox.url)
    assert page.status_code == 200 and "/static/sandbox.js" in page.text
    cast = httpx.get(sandbox.url + "api/cast").json()
    roles = {(person["name"], person["role"]) for person in cast["people"]}
    assert {("刘主任", "office_admin"), ("王指导员", "instructor"), ("周经理", "enterprise_staff")} <= roles
    assert {"code": "dfht", "name": "东方华庭"} in cast["communities"]

    user = '{"id": 990000500, "first_name": "R"}'
    refused = httpx.post(sandbox.url + "api/photo", data={"user": user}, files={"file": ("a.txt", b"hello")})
    assert refused.status_code == 400 and refused.json() == {"error": "not_image"}
    sent = httpx.post(sandbox.url + "api/photo", data={"user": user}).json()  # the bundled sample
    assert httpx.get(sandbox.url + f"files/{sent['file_id']}").content[:3] == b"\xff\xd8\xff"


def test_another_site_cannot_act_through_the_page(sandbox: RunningSandbox) -> None:
    act = {"action": "send", "user": {"id": 990000700, "first_name": "X"}, "text": "/start"}
    elsewhere = httpx.post(sandbox.url + "api/act", json=act, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    rebound = httpx.get(sandbox.url + "api/cast", headers={"Host": "evil.example"})  # DNS rebinding
    assert rebound.status_code == 403
    own = httpx.get(sandbox.url + "api/cast", headers={"Origin": sandbox.url.rstrip("/")})
    assert own.status_code == 200


async def next_event(ws: aiohttp.ClientWebSocketResponse, chat_id: int, kind: str) -> dict[str, Any]:
    """The next event of ``kind`` for the chat on the page's socket (what the page renders)."""
    async with asyncio.timeout(60):
        async for message in ws:
            event: dict[str, Any] = json.loads(message.data)
            if event["kind"] == kind and event.get("chat_id") == chat_id:
                return event
    raise AssertionError(f"the socket closed before a {kind} event")


async def test_buttons_edits_and_answers_reach_the_page(sandbox: RunningSandbox) -> None:
    user = {"id": 990000600, "first_name": "Fei", "language_code": "en"}
    async with aiohttp.ClientSession(sandbox.url) as http, http.ws_connect("/ws") as ws:
        await http.post("/api/act", json={"action": "send", "user": user, "text": "/language"})
        asked = (await next_event(ws, user["id"], "message"))["messages"][0]
        assert asked["text"] == "Choose your language:"

        # A tap on the keyboard edits that very message: the page changes it in place.
        await http.post("/api/act", json={"action": "tap", "user": user, "data": "lang:en", "message": asked})
        edited = await next_event(ws, user["id"], "edit")
        assert (edited["message"]["message_id"], edited["message"]["text"]) == (
            asked["message_id"],
            "Language set to English.",
        )
        assert "reply_markup" not in edited["message"]  # the buttons are gone

        # A forged press is answered (a toast or an alert on the page) and changes nothing.
        await http.post("/api/act", json={"action": "tap", "user": user, "data": "lang:xx", "message": asked})
        answer = await next_event(ws, user["id"], "answer")
        assert answer["text"]
