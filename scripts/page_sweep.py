"""Screenshot every page as each demo role, on a desktop (1280 px) and a phone (390 px).

Run against a server with the demo data (``manage.py seed_demo``), then look at the PNGs:

    .venv/bin/python scripts/page_sweep.py --base http://127.0.0.1:8104 --out artifacts/sweep

Like tests/browser/test_every_page_browser.py it follows links from the home page, one page per
route; it prints a JSON report per role and width: pages wider than the screen, pages that did not
answer 200, and wording that reads wrong ("1 ngo": a count beside a lower-case kind or a plural).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")
django.setup()

from playwright.sync_api import sync_playwright  # noqa: E402

# The crawl is the browser test's own (which links to follow, one page per route, overflow).
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.test_every_page_browser import _overflow, _route, _wanted  # noqa: E402

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
KINDS = ("ngo", "ngos", "firm", "state", "diaspora group", "women's group", "foundation", "media")
ODD_WORDING = [
    re.compile(rf"\b\d[\d,]* ({'|'.join(map(re.escape, KINDS))})\b"),
    re.compile(r"\b1 (\w+s)\b(?! (?:ago|old))"),
    re.compile(r"\b([2-9]|\d\d+) (actor|tie|engagement|stakeholder|outcome|pair|proposal)\b"),
]
ALLOWED_AFTER_ONE = {"is", "has", "was", "does", "says", "comes", "needs", "brings", "shows"}


def _odd_wording(text: str) -> list[str]:
    found = []
    for pattern in ODD_WORDING:
        for match in pattern.finditer(text):
            word = match.group(1)
            if pattern is ODD_WORDING[1] and (word in ALLOWED_AFTER_ONE or word.endswith("ss")):
                continue
            found.append(text[max(0, match.start() - 30) : match.end() + 20].replace("\n", " "))
    return found[:5]


def sweep(base: str, out: Path, username: str, password: str, widths: list[str]) -> dict:
    report: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in widths:
            context = browser.new_context(viewport=WIDTHS[width])
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            seen: dict[str, str] = {}
            problems: list[str] = []
            queue = ["/", "/api/docs/"]
            while queue:
                url = queue.pop(0)
                route = _route(urlsplit(url).path)
                if route is None or route in seen:
                    continue
                seen[route] = url
                response = page.goto(base + url)
                if response is None or response.status != 200:
                    problems.append(f"{url}: answered {response.status if response else 'nothing'}")
                    continue
                if "text/html" not in (response.headers.get("content-type") or ""):
                    continue
                page.wait_for_load_state("networkidle")
                name = f"{username}-{width}-{route.replace(':', '-')}"
                height = page.evaluate("document.documentElement.scrollHeight")
                page.screenshot(
                    path=str(out / f"{name}.png"),
                    full_page=height <= 4000,
                )
                if overflow := _overflow(page):
                    problems.append(f"{url}: {overflow}")
                text = page.inner_text("main") if page.query_selector("main") else ""
                problems.extend(f"{url}: wording “{odd}”" for odd in _odd_wording(text))
                for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                    wanted = _wanted(href, base)
                    if wanted and _route(urlsplit(wanted).path) not in seen:
                        queue.append(wanted)
            report[width] = {"pages": len(seen), "problems": problems}
            context.close()
        browser.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(ROOT / "artifacts" / "sweep"))
    parser.add_argument("--users", default="admin,officer,analyst,analyst.cleared,reviewer")
    parser.add_argument("--password", default="demo-pass-2026")
    parser.add_argument("--widths", default="desktop,phone")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reports = {
        user: sweep(args.base, out, user, args.password, args.widths.split(","))
        for user in args.users.split(",")
    }
    print(json.dumps(reports, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
