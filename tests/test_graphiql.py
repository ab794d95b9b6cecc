"""GraphiQL in a real headless Chromium (Debian's chromium, installed by .ci/run), with every
host but this machine unreachable: the page loads from this server alone, runs a query and
shows its result. Driven over the Chrome DevTools Protocol with the websockets client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.support import ServerThread, wait_for

QUERY = "{ categories { slug } }"


class Page:
    """One browser tab, driven over the DevTools protocol."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                result: dict[str, Any] = message["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


async def open_page(chromium: str, profile: Path) -> tuple[asyncio.subprocess.Process, str]:
    browser = await asyncio.create_subprocess_exec(
        chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
        f"--user-data-dir={profile}", "--no-first-run",
        # Any host but this machine is unreachable: nothing may come from the internet.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True)  # its helper processes too are ended with the group
    port_file = profile / "DevToolsActivePort"

    async def listening() -> bool:
        return port_file.exists() and len(port_file.read_text().splitlines()) >= 2

    await wait_for(listening, timeout=60)
    port = port_file.read_text().splitlines()[0]
    async with httpx.AsyncClient() as http:
        targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
    (tab,) = [t for t in targets if t["type"] == "page"]
    return browser, tab["webSocketDebuggerUrl"]


async def test_graphiql_loads_offline_and_runs_a_query(api_server: ServerThread) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    with tempfile.TemporaryDirectory(prefix="gql-chromium-", ignore_cleanup_errors=True) as profile:
        browser, tab_url = await open_page(chromium, Path(profile))
        try:
            async with websockets.connect(tab_url, max_size=None) as ws:
                page = Page(ws)
                await page.call("Runtime.enable")
                await page.call("Page.navigate", url=f"{api_server.url}/graphql")

                async def editor_ready() -> bool:
                    return bool(await page.evaluate("!!document.querySelector('.graphiql-execute-button')"))

                await wait_for(editor_ready, timeout=90)  # 3.5 MB of script on a busy machine
                # Type the query into the editor (CodeMirror keeps its instance on its element).
                await page.evaluate("document.querySelector('.graphiql-query-editor .CodeMirror')"
                                    f".CodeMirror.setValue({json.dumps(QUERY)})")
                failed = await page.evaluate(
                    "performance.getEntriesByType('resource').filter(r => !r.name.startsWith(location.origin))"
                    ".map(r => r.name)")
                assert failed == []  # every script and style came from this server
                await page.evaluate("document.querySelector('.graphiql-execute-button').click()")

                async def result_shown() -> bool:
                    text = str(await page.evaluate(
                        "document.querySelector('.graphiql-response')?.innerText || ''"))
                    return '"categories"' in text and '"slug"' in text and '"errors"' not in text

                await wait_for(result_shown, timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGKILL)
            await browser.wait()
