#!/usr/bin/python3
"""The user's journey in a real browser: headless Chromium (Debian's `chromium`) driven through the
DevTools protocol, against the frontend (tests/e2e/frontend.py, or anything with the same element ids).

  journey.py FRONTEND_URL SHOT.png
      Loads the page, checks the frontend server's own check (BACKEND_URL, BETTER_AUTH_SECRET), signs
      up, creates a task, sends a chat message and waits for the streamed reply (more than one chunk,
      naming the task). Screenshot at the end.
  journey.py FRONTEND_URL BEFORE.png DURING.png AFTER.png --outage-stop CMD --outage-start CMD
      The journey, a screenshot (before); CMD stops the database (a shell command, 120 s cap) and
      returns once the outage is in effect, e.g. once healthproxy's /readyz is 503 (before that,
      requests still reach the app, which answers with its own errors); the page must show its
      "service unavailable" state for HTTP 503, never a network error (during); CMD starts it again;
      the page must recover by itself (its retry after Retry-After) and take a new task (after).

Both modes fail on any console error, uncaught exception or failed request, and on any CORS failure;
during the outage only the browser's own "Failed to load resource: ... status of 503" lines are allowed.
Details go to stderr; stdout gets one summary line starting "journey: PASS" or "journey: FAIL".
Exit 0 on pass, 1 on failure, 2 on a usage error. Options: --chromium PATH, --timeout SECONDS (per
wait, default 60), --allow-host HOST (repeatable). Chromium reaches only loopback, the frontend's host,
the API host named in the stand-in page's config, and the --allow-host hosts.
"""
import argparse
import asyncio
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
from cdp import Browser  # noqa: E402

STATE_OBSERVER = """(() => {
  window.__states = [document.getElementById("status").dataset.state];
  new MutationObserver(() => window.__states.push(document.getElementById("status").dataset.state))
    .observe(document.getElementById("status"), {attributes: true, attributeFilter: ["data-state"]});
  return true; })()"""


class Failure(Exception):
    pass


def note(text: str) -> None:
    print("  " + text, file=sys.stderr, flush=True)


def problems(events: list, outage_windows: list) -> tuple[list, list]:
    """(console errors, CORS failures) among the DevTools events. A 503 logged by the browser inside
    an outage window (monotonic start, end) is the expected outage state, not an error."""
    errors, cors = [], []
    for ev in events:
        m, p = ev["method"], ev["params"]
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            errors.append("exception: " + (d.get("exception", {}).get("description") or d.get("text", "")))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            text = p["entry"].get("text", "")
            if "CORS" in text:
                cors.append(text)
            elif not (p["entry"].get("source") == "network" and "status of 503" in text
                      and any(a <= ev["t"] <= b for a, b in outage_windows)):
                errors.append(f"log ({p['entry'].get('source')}): {text} {p['entry'].get('url', '')}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            if p.get("corsErrorStatus"):
                cors.append(f"request blocked by CORS: {p['corsErrorStatus']}")
            else:
                errors.append("request failed: " + p.get("errorText", ""))
        elif m == "Audits.issueAdded" and p.get("issue", {}).get("code") == "CorsIssue":
            cors.append("CORS issue: " + json.dumps(p["issue"].get("details", {}))[:300])
    return errors, cors


async def state(page) -> tuple[str, str]:
    return tuple(await page.eval('[document.getElementById("status").dataset.state, document.getElementById("status").textContent]'))


async def wait_step(page, expression: str, timeout: float, what: str):
    """Waits for an expression; fails at once, with the page's status line, when the page reports an error."""
    deadline = time.monotonic() + timeout
    while True:
        if await page.eval(expression):
            return
        st, text = await state(page)
        if st in ("error", "network-error", "unavailable"):
            raise Failure(f"{what}: the page shows {st}: {text}")
        if time.monotonic() > deadline:
            raise Failure(f"{what}: not within {timeout:.0f} s (status {st}: {text})")
        await asyncio.sleep(0.1)


async def journey(page, url: str, timeout: float, figures: dict) -> str:
    """Load, server check, sign up, a task, a chat. Returns the task's title."""
    t0 = time.monotonic()
    await page.send("Page.navigate", url=url)
    await page.wait_for('document.readyState === "complete" && !!document.getElementById("status")', timeout, "the page loads")
    await page.eval(STATE_OBSERVER)
    figures["load_ms"] = round((time.monotonic() - t0) * 1000)
    check = await page.wait_for('document.getElementById("server-check").dataset.ok !== "unknown" && '
                                'document.getElementById("server-check").dataset.ok', timeout, "the server check answers")
    if check != "true":
        raise Failure("frontend server check: " + await page.eval('document.getElementById("server-check").textContent'))

    stamp = time.strftime("%H%M%S") + f"-{time.time_ns() % 1000000}"
    t0 = time.monotonic()
    await page.type_into("email", f"journey-{stamp}@example.test")
    await page.type_into("password", "journey-password-" + stamp)
    await page.click("signup")
    await wait_step(page, 'document.getElementById("user").dataset.signedIn === "true" && '
                          'document.getElementById("tasks").dataset.loaded === "true"', timeout, "sign up")
    figures["signup_ms"] = round((time.monotonic() - t0) * 1000)

    title = f"Buy milk {stamp}"
    t0 = time.monotonic()
    await page.type_into("task-title", title)
    await page.click("add-task")
    await wait_step(page, f'[...document.querySelectorAll("#tasks li")].some(li => li.textContent.startsWith({json.dumps(title)}))',
                    timeout, "create a task")
    figures["task_ms"] = round((time.monotonic() - t0) * 1000)

    message = "What is on my list?"
    t0 = time.monotonic()
    await page.type_into("chat-input", message)
    await page.click("chat-send")
    await wait_step(page, 'document.getElementById("chat-reply").dataset.done === "true"', timeout, "the chat reply")
    figures["chat_ms"] = round((time.monotonic() - t0) * 1000)
    reply, chunks = await page.eval('[document.getElementById("chat-reply").textContent, Number(document.getElementById("chat-reply").dataset.chunks)]')
    figures["chat_chunks"] = chunks
    note(f"chat reply ({chunks} chunks): {reply}")
    if message not in reply or title not in reply:
        raise Failure(f"the chat reply does not echo the message and name the task: {reply!r}")
    if chunks < 2:
        raise Failure(f"the chat reply arrived in {chunks} chunk(s): not streamed")
    return title


def run(cmd: str, what: str) -> None:
    note(f"{what}: {cmd}")
    r = subprocess.run(cmd, shell=True, timeout=120, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise Failure(f"{what} command exited {r.returncode}: {r.stdout[-500:]}")


async def outage(page, shots: list, args, title: str, figures: dict, windows: list) -> None:
    await page.screenshot(shots[0])
    t_cut = time.monotonic()
    windows.append([t_cut, float("inf")])
    run(args.outage_stop, "database stop")
    # The page notices on its next call: the user clicking Refresh, once a second until it shows.
    deadline = time.monotonic() + args.timeout
    while True:
        await page.click("refresh")
        await asyncio.sleep(1)
        st, text = await state(page)
        if st == "unavailable":
            break
        if st in ("network-error", "error"):
            raise Failure(f"during the outage the page shows {st}, not the 503 state: {text}")
        if time.monotonic() > deadline:
            raise Failure(f"the page never showed the 503 state within {args.timeout:.0f} s (status {st}: {text})")
    figures["unavailable_after_ms"] = round((time.monotonic() - t_cut) * 1000)
    note(f"during the outage: {text}")
    if "503" not in text or "unavailable" not in text.lower():
        raise Failure(f"the outage state does not say 'unavailable' and 503: {text}")
    await page.screenshot(shots[1])

    t_back = time.monotonic()
    run(args.outage_start, "database start")
    # No click: the page retries by itself after Retry-After and must recover.
    deadline = time.monotonic() + args.timeout + 30
    while True:
        st, text = await state(page)
        if st == "ok" and await page.eval('document.getElementById("tasks").dataset.loaded === "true"'):
            break
        if st in ("network-error", "error"):
            raise Failure(f"after the restore the page shows {st}: {text}")
        if time.monotonic() > deadline:
            raise Failure(f"the page did not recover by itself (status {st}: {text})")
        await asyncio.sleep(0.2)
    windows[-1][1] = time.monotonic()
    figures["recovered_after_ms"] = round((time.monotonic() - t_back) * 1000)
    await wait_step(page, f'[...document.querySelectorAll("#tasks li")].some(li => li.textContent.startsWith({json.dumps(title)}))',
                    args.timeout, "the task written before the outage is listed after it")
    after = title.replace("Buy milk", "After the outage")
    await page.type_into("task-title", after)
    await page.click("add-task")
    await wait_step(page, f'[...document.querySelectorAll("#tasks li")].some(li => li.textContent.startsWith({json.dumps(after)}))',
                    args.timeout, "create a task after the outage")
    await page.screenshot(shots[2])
    states = await page.eval("window.__states")
    figures["states"] = "→".join(s for i, s in enumerate(states) if i == 0 or states[i - 1] != s)
    if "network-error" in states or "error" in states:
        raise Failure(f"the page went through an error state: {figures['states']}")


async def main_async(args) -> int:
    figures, windows, failure = {}, [], None
    mode = "outage" if args.outage_stop else "journey"
    t_start = time.monotonic()
    try:
        async with Browser(args.chromium, hosts_to_allow(args.frontend, args.allow_host)) as browser:
            page = await browser.page()
            for domain in ("Page", "Runtime", "Log", "Network", "Audits"):
                await page.send(domain + ".enable")
            try:
                title = await journey(page, args.frontend, args.timeout, figures)
                if mode == "journey":
                    await page.screenshot(args.shots[0])
                else:
                    await outage(page, args.shots, args, title, figures, windows)
            except (Failure, TimeoutError, subprocess.TimeoutExpired) as e:
                failure = str(e)
                try:
                    await page.screenshot(args.shots[-1])
                    note(f"screenshot of the failure: {args.shots[-1]}")
                except Exception:  # the failure itself matters more than its picture
                    pass
            await asyncio.sleep(0.3)  # late console messages
            errors, cors = problems(page.events, windows)
            await page.close()
    except (RuntimeError, OSError) as e:
        failure, errors, cors = f"browser: {e}", [], []
    for e in errors:
        note("console error: " + e)
    for c in cors:
        note("CORS failure: " + c)
    if failure is None and (errors or cors):
        failure = f"{len(errors)} console error(s), {len(cors)} CORS failure(s)"
    facts = " ".join(f"{k}={v}" for k, v in figures.items())
    summary = f"mode={mode} {facts} console_errors={len(errors)} cors_failures={len(cors)} total_ms={round((time.monotonic() - t_start) * 1000)}"
    print(f"journey: {'PASS' if failure is None else 'FAIL (' + failure + ')'} {summary}", flush=True)
    return 0 if failure is None else 1


def hosts_to_allow(frontend: str, extra: list) -> tuple:
    """The frontend's host, the API's host from the stand-in page's config (when it has one), extra."""
    hosts = {urllib.parse.urlsplit(frontend).hostname, *extra}
    try:
        with urllib.request.urlopen(frontend, timeout=10) as r:
            page = r.read().decode("utf-8", "replace")
        start = page.index('id="config">') + len('id="config">')
        hosts.add(urllib.parse.urlsplit(json.loads(page[start:page.index("</script>", start)])["apiUrl"]).hostname)
    except (OSError, ValueError, KeyError):
        pass  # no config: the page's own problem shows up in the journey
    return tuple(h for h in hosts if h)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("frontend", help="the frontend's URL, e.g. http://127.0.0.1:3000/")
    ap.add_argument("shots", nargs="+", help="PNG paths: one (journey) or three (outage: before, during, after)")
    ap.add_argument("--outage-stop", metavar="CMD", help="shell command that stops the database")
    ap.add_argument("--outage-start", metavar="CMD", help="shell command that starts it again")
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--timeout", type=float, default=60, help="seconds for each wait (60)")
    ap.add_argument("--allow-host", action="append", default=[], help="a host the page may reach besides loopback and the frontend's")
    args = ap.parse_args()
    if bool(args.outage_stop) != bool(args.outage_start):
        ap.error("--outage-stop and --outage-start go together")
    if len(args.shots) != (3 if args.outage_stop else 1):
        ap.error("give one screenshot path, or three with --outage-stop/--outage-start")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
