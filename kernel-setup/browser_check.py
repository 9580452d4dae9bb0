"""Checks the workshop the way attendees meet it: in a real browser (Debian's Chromium,
headless, driven by Playwright).

    python kernel-setup/browser_check.py site [site/_build/html]   # the built site
    python kernel-setup/browser_check.py lab                        # JupyterLab, live

`site`: every page of the built site loads; every <img> has loaded (natural width > 0);
every GIF (the synthesis animations) has more than one frame; no output shows an error or
stderr text. Saves a screenshot of the tutorial page under the build folder
(_screenshots/introduction.png).

`lab`: starts kernel-setup/lab.sh on a free local port, opens notebooks/introduction.md as
a notebook (a copy in notebooks/_build, so autosave never touches the source), runs its
first three cells through the UI (Shift+Enter) and checks that the
Einstein picture appears as an image in the third cell's output; then adds a cell with a
long metamer synthesis, runs it and checks that progress text shows while the cell is still
running. Screenshots in notebooks/_build/lab-*.png.

Exit status 1 and one line per problem on failure. Chromium: CHROMIUM (default
/usr/bin/chromium).
"""

import base64
import contextlib
import functools
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# how myst-nb marks outputs that must not appear on the site
ERROR_SELECTOR = ".output.traceback, .output.stderr, .output.error, .cell_output .stderr"


@contextlib.contextmanager
def browser():
    """A fresh headless Chromium (its own profile folder), closed afterwards."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=FLAGS,
                viewport={"width": 1400, "height": 1000},
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def gif_frames(data):
    """Number of frames (image descriptors) of a GIF file, walking its blocks."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    i = 13
    flags = data[10]
    if flags & 0x80:
        i += 3 * (2 ** ((flags & 7) + 1))
    frames = 0
    while i < len(data):
        b = data[i]
        if b == 0x3B:  # trailer
            break
        if b == 0x21:  # extension: label, then sub-blocks
            i += 2
            while data[i]:
                i += data[i] + 1
            i += 1
        elif b == 0x2C:  # image descriptor, optional local table, LZW size, sub-blocks
            frames += 1
            f = data[i + 9]
            i += 10
            if f & 0x80:
                i += 3 * (2 ** ((f & 7) + 1))
            i += 1
            while data[i]:
                i += data[i] + 1
            i += 1
        else:
            raise ValueError(f"bad GIF block 0x{b:02x} at {i}")
    return frames


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(folder):
    """Serves `folder` over HTTP on a free local port; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def image_bytes(src, page_url, folder):
    """The bytes behind an <img> src: a data URL, or a file of the served folder."""
    if src.startswith("data:"):
        head, _, payload = src.partition(",")
        return base64.b64decode(payload) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(payload)
    url = urllib.parse.urljoin(page_url, src)
    path = urllib.parse.unquote(urllib.parse.urlparse(url).path).lstrip("/")
    return (Path(folder) / path).read_bytes()


def check_site(folder, screenshot_page="notebooks/introduction.html"):
    """Problems found on the built site in `folder` (a list of strings, empty when fine)."""
    folder = Path(folder)
    pages = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*.html")
        if not p.relative_to(folder).as_posix().startswith(("_static/", "_sources/", "_images/"))
        and p.name not in ("genindex.html", "search.html")
    )
    if not pages:
        return [f"no pages in {folder}"]
    problems = []
    stats = {"pages": 0, "images": 0, "gifs": 0}
    with serve(folder) as base, browser() as ctx:
        page = ctx.new_page()
        for rel in pages:
            url = base + rel
            resp = page.goto(url, wait_until="load")
            if resp is None or not resp.ok:
                problems.append(f"{rel}: did not load ({resp.status if resp else 'no response'})")
                continue
            stats["pages"] += 1
            imgs = page.eval_on_selector_all(
                "img",
                "els => els.map(e => ({src: e.getAttribute('src') || '', complete: e.complete, w: e.naturalWidth}))",
            )
            for im in imgs:
                short = im["src"][:60]
                stats["images"] += 1
                if not im["complete"] or im["w"] == 0:
                    problems.append(f"{rel}: image not loaded: {short}")
                    continue
                if im["src"].startswith("data:image/gif") or im["src"].lower().endswith(".gif"):
                    stats["gifs"] += 1
                    try:
                        n = gif_frames(image_bytes(im["src"], url, folder))
                    except (OSError, ValueError, IndexError) as e:
                        problems.append(f"{rel}: GIF unreadable ({e}): {short}")
                        continue
                    if n < 2:
                        problems.append(f"{rel}: GIF has {n} frame(s), not an animation: {short}")
            errors = page.eval_on_selector_all(ERROR_SELECTOR, "els => els.map(e => e.innerText.slice(0, 200))")
            for text in errors:
                problems.append(f"{rel}: error output: {text!r}")
            if rel == screenshot_page:
                shot = folder / "_screenshots" / (Path(rel).stem + ".png")
                shot.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(shot), full_page=False)
                print(f"screenshot: {shot}")
                # and the first animation, in its page
                gifs = page.locator("img[src^='data:image/gif'], img[src$='.gif']")
                if gifs.count():
                    gifs.first.scroll_into_view_if_needed()
                    anim = shot.with_name(Path(rel).stem + "-animation.png")
                    page.screenshot(path=str(anim), full_page=False)
                    print(f"screenshot: {anim}")
    print(f"checked {stats['pages']} pages, {stats['images']} images, {stats['gifs']} GIFs")
    return problems


# --- JupyterLab -------------------------------------------------------------------------

LONG_CELL = """po::synthesize::show_progress(true);
let slow = po::simulate::Gaussian::builder((31, 31)).pad_mode(po::PadMode::Circular).build()?;
let mut long_run = Metamer::new(img.clone(), slow)?;
long_run.synthesize(100000).stop_criterion(0.0).run()?;"""


@contextlib.contextmanager
def lab_server(port, token):
    cmd = ["bash", str(ROOT / "kernel-setup" / "lab.sh"), "--no-browser", "--ip", "127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]
    log = open(ROOT / "notebooks" / "_build" / "lab-server.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None:
                raise RuntimeError(f"lab.sh exited with {proc.returncode}; see {log.name}")
            time.sleep(0.5)
        else:
            raise RuntimeError("JupyterLab did not start within 120 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, 15)  # the server and the kernels it started (its own session)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        log.close()


def cell(page, i):
    return page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(i)


def prompt(page, i):
    return cell(page, i).locator(".jp-InputPrompt").inner_text().strip()


def wait_done(page, i, timeout):
    """Waits until code cell `i` has run (its prompt is a number, not `*`)."""
    deadline = time.monotonic() + timeout
    last = 0.0
    while time.monotonic() < deadline:
        p = prompt(page, i)
        if re.fullmatch(r"\[\d+\]:", p):
            return True
        if time.monotonic() - last > 30:
            print(f"  code cell {i + 1}: prompt {p!r}", flush=True)
            last = time.monotonic()
        time.sleep(0.5)
    return False


def check_lab(timeout=1800):
    problems = []
    out = ROOT / "notebooks" / "_build"
    out.mkdir(parents=True, exist_ok=True)
    # A copy of the introduction, so that JupyterLab's autosave and the added cell never
    # touch the source; it sits one folder further down, so its `:dep` path gains a `../`.
    copy = out / "lab-check-introduction.md"
    source = (ROOT / "notebooks" / "introduction.md").read_text(encoding="utf-8")
    copy.write_text(source.replace('path = ".." }', 'path = "../.." }'), encoding="utf-8")
    port, token = free_port(), "browser-check"
    with lab_server(port, token) as base, browser() as ctx:
        page = ctx.new_page()
        page.goto(f"{base}/lab/tree/_build/{copy.name}?reset&token={token}", wait_until="load")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
        print("notebook open", flush=True)
        with contextlib.suppress(Exception):  # the kernel is idle once started
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        time.sleep(5)
        print("kernel started", flush=True)
        t0 = time.monotonic()
        for i in range(3):  # :dep, the imports, the Einstein image
            cell(page, i).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            if not wait_done(page, i, timeout):
                problems.append(f"code cell {i + 1} did not finish within {timeout} s (prompt {prompt(page, i)!r})")
                page.screenshot(path=str(out / "lab-timeout.png"))
                return problems
            print(f"cell {i + 1} ran ({time.monotonic() - t0:.1f} s since the first)", flush=True)
        einstein = cell(page, 2).locator(".jp-OutputArea-output img")
        if einstein.count() == 0:
            problems.append("no image in the output of the Einstein cell")
        elif not einstein.first.evaluate("e => e.naturalWidth"):
            problems.append("the Einstein image did not load")
        cell(page, 2).scroll_into_view_if_needed()
        page.screenshot(path=str(out / "lab-einstein.png"))
        # a new cell below the Einstein cell, with a long synthesis
        cell(page, 2).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        new = cell(page, 3)
        new.locator(".jp-InputArea-editor").click()
        page.keyboard.insert_text(LONG_CELL)
        page.keyboard.press("Control+Enter")
        seen_running = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            text = new.locator(".jp-OutputArea").inner_text()
            if "iteration" in text and prompt(page, 3) == "[*]:":
                seen_running = text
                break
            time.sleep(0.5)
        if seen_running is None:
            problems.append(f"no progress text appeared while the long synthesis ran (prompt {prompt(page, 3)!r})")
        else:
            lines = [l for l in seen_running.splitlines() if "iteration" in l]
            print(f"progress while the cell runs: {lines[-1]!r} ({len(lines)} line(s))")
            time.sleep(3)  # a few more lines for the screenshot
        page.screenshot(path=str(out / "lab-progress.png"))
        print(f"screenshots: {out}/lab-einstein.png, {out}/lab-progress.png")
    return problems


def main(args):
    if not args or args[0] not in ("site", "lab"):
        print(__doc__, file=sys.stderr)
        return 2
    if args[0] == "site":
        folder = Path(args[1]) if len(args) > 1 else ROOT / "site" / "_build" / "html"
        problems = check_site(folder)
    else:
        problems = check_lab()
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    print("browser check passed" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
