"""report.html in a real browser: headless Chromium renders it, the scorecard and every chart
are there and decode, the console stays silent, and the page asks for nothing from the network.

Needs Chromium (Debian: ``apt-get install chromium``; `.ci/run` installs it); skipped without.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carefacility.population.projection import project_population
from carefacility.report.writer import write_report
from carefacility.runner.simulation import run
from carefacility.scenario.loader import load_scenario

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser")
                 if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian/Ubuntu: apt-get install chromium); "
           "the browser test of report.html needs it")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

# how Chromium writes console messages (errors, CSP violations) with --enable-logging=stderr
CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught|net::ERR_")
EXTERNAL = re.compile(r"""(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*"""
                      r"""(?:[a-z][a-z0-9+.-]*:)?//""", re.I)
STATUS_RGB = {"met": (0xB7, 0xDF, 0xB9), "missed": (0xF4, 0xB6, 0xB1)}


def _chromium(workdir: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throw-away profile and home folder."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir)
    env = dict(os.environ, HOME=str(workdir))
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)


def _console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


def _utilisation_kpis(years: list[int]) -> pd.DataFrame:
    rows = []
    for year in years:
        for zone in ("月坛", "德胜", "什刹海"):
            for service, base in (("day_centre", 0.55), ("meal_point", 0.75)):
                mean = base + 0.015 * (year - years[0])
                rows.append({"year": year, "metric": f"{service}.utilisation.{zone}",
                             "mean": mean, "ci_low": mean - 0.04, "ci_high": mean + 0.04,
                             "unit": "fraction", "replications": 2})
    return pd.DataFrame(rows)


def _hand_scorecard() -> pd.DataFrame:
    return pd.DataFrame({
        "target": ["beds_per_1000", "beds_per_1000", "within_30_days"],
        "label": ["Beds per 1,000 aged 60+ ≥ 45", "Beds per 1,000 aged 60+ ≥ 45",
                  "30天内入住 ≥ 80 %"],
        "year": [2025, 2030, 2030], "metric": ["beds_per_1000_60plus"] * 2
        + ["share_served_within_threshold"],
        "comparison": [">="] * 3, "threshold": [45.0, 45.0, 0.8],
        "simulated_mean": [46.0, 14.0, 0.35], "ci_low": [46.0, 14.0, 0.3],
        "ci_high": [46.0, 14.0, 0.4], "status": ["met", "missed", "missed"],
        "shortfall": [0.0, 9000.0, 120.0], "shortfall_unit": ["beds", "beds", "beds"]})


@pytest.fixture(scope="module")
def small_run(request):
    """A small real run of the Xicheng scenario (2 replications) with day-care and meal KPIs
    added by hand, and a scorecard (the scenario's own, or a hand-made one)."""
    root = Path(request.config.rootpath)
    scenario = load_scenario(root / "scenarios" / "xicheng.yaml")
    projection = project_population(scenario.population)
    result = run(scenario, replications=2, seed=3, executor="serial", projection=projection)
    years = sorted(int(y) for y in result.kpis["year"].unique())
    result = replace(result, kpis=pd.concat([result.kpis, _utilisation_kpis(years)],
                                            ignore_index=True))
    scorecard = result.tables.get("scorecard")
    # the screenshot looks for every status colour: a scorecard without one (e.g. Xicheng's,
    # all met since the base year is calibrated) is replaced by the hand-made one
    if scorecard is None or not set(STATUS_RGB) <= set(scorecard["status"]):
        scorecard = _hand_scorecard()
    return scenario, projection, result, scorecard


@pytest.fixture(scope="module", params=["en", "zh"])
def built(request, small_run, tmp_path_factory):
    """A report folder written in ``lang``; returns (folder, scorecard, lang)."""
    scenario, projection, result, scorecard = small_run
    folder = tmp_path_factory.mktemp(f"browser-{request.param}") / "run"
    write_report(result, folder, projection=projection, scenario=scenario,
                 scorecard=scorecard, lang=request.param)
    return folder, scorecard, request.param


class _Dom(HTMLParser):
    """Collects what the test needs from Chromium's serialised DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _charts(folder: Path) -> set[str]:
    return {path.stem for path in folder.glob("*.png")}


def test_screenshot_is_not_blank_and_console_is_silent(built, tmp_path: Path) -> None:
    folder, _, _ = built
    shot = tmp_path / "report.png"
    outcome = _chromium(tmp_path, "--enable-logging=stderr", "--v=0", f"--screenshot={shot}",
                        "--window-size=1280,4000", (folder / "report.html").as_uri())
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert _console_messages(outcome.stderr) == []
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape == (4000, 1280, 3)
    assert pixels.std() > 20  # not a blank page
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200  # text, tables and charts
    for status, rgb in STATUS_RGB.items():  # the scorecard's status colours are painted
        close = (np.abs(pixels - np.array(rgb)).max(axis=2) <= 3).sum()
        assert close > 200, status


def test_dom_holds_the_scorecard_and_every_chart(built, tmp_path: Path) -> None:
    folder, scorecard, lang = built
    outcome = _chromium(tmp_path, "--dump-dom", (folder / "report.html").as_uri())
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    dom = _Dom()
    dom.feed(outcome.stdout)
    html_tag = next(attrs for tag, attrs in dom.tags if tag == "html")
    assert html_tag["lang"] == ("zh-CN" if lang == "zh" else "en")
    tables = {attrs.get("id") for tag, attrs in dom.tags if tag == "table"}
    assert {"scorecard-table", "cross-check", "run-metadata"} <= tables
    badges = [attrs["class"] for tag, attrs in dom.tags
              if tag == "span" and attrs.get("class", "").startswith("status ")]
    assert len(badges) == len(scorecard)
    figures = {attrs["id"] for tag, attrs in dom.tags if tag == "figure"}
    assert figures == {f"chart-{stem}" for stem in _charts(folder)}
    assert len(figures) >= 9
    images = [attrs for tag, attrs in dom.tags if tag == "img"]
    assert len(images) == len(figures)
    assert all(image["src"].startswith("data:image/png;base64,") for image in images)
    assert all(image.get("alt") for image in images)
    # nothing that could fetch: no scripts, style sheets, frames, objects, or remote URLs
    assert not [tag for tag, _ in dom.tags if tag in {"script", "link", "iframe", "object",
                                                      "embed", "base"}]


def test_every_chart_image_decodes(built, tmp_path: Path) -> None:
    """A test page (not the report) loads report.html in a frame and decodes each chart:
    draws it on a canvas and finds it inked (headless Chromium never settles image.decode()
    of a PNG under a virtual time budget, so the pixels are read instead)."""
    folder, _, _ = built
    probe = folder.parent / "probe.html"
    probe.write_text("""<!DOCTYPE html><html><body>
<iframe id="report" src="run/report.html" style="width:1280px;height:2000px"></iframe>
<pre id="result">pending</pre>
<script>
const frame = document.getElementById("report");
frame.addEventListener("load", () => {
  const images = [...frame.contentDocument.querySelectorAll("figure img")];
  const found = images.map(image => {
    const name = image.closest("figure").id;
    if (!image.complete || !image.naturalWidth) return [name, 0, 0];
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] > 0 && Math.min(pixels[i], pixels[i + 1], pixels[i + 2]) < 200) inked++;
    }
    return inked > 1000 ? [name, image.naturalWidth, image.naturalHeight] : [name, 0, 0];
  });
  document.getElementById("result").textContent = "DECODED" + JSON.stringify(found);
});
</script></body></html>""", encoding="utf-8")
    outcome = _chromium(tmp_path, "--allow-file-access-from-files",
                        "--virtual-time-budget=15000", "--dump-dom", probe.as_uri())
    found = re.search(r"DECODED(\[.*?\])</pre>", outcome.stdout)
    assert found, outcome.stdout[-1500:] + outcome.stderr[-1500:]
    decoded = {name: (width, height) for name, width, height in json.loads(found.group(1))}
    assert set(decoded) == {f"chart-{stem}" for stem in _charts(folder)}
    assert all(width > 300 and height > 150 for width, height in decoded.values()), decoded


def test_no_external_requests_in_the_file(built) -> None:
    folder, _, _ = built
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert EXTERNAL.search(html) is None
    assert not re.search(r"url\s*\(|@import|<link|<script", html, re.I)
    assert "default-src 'none'" in html  # and the browser is told so
    assert re.findall(r'\ssrc="([a-z]+):', html) == ["data"] * html.count(" src=")


def test_console_check_catches_errors(tmp_path: Path) -> None:
    """The console scan is not vacuous: a page with a script error and a blocked request is
    caught by it."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
                    "content=\"default-src 'none'; img-src data:; script-src 'unsafe-inline'\">"
                    '</head><body><img src="http://example.invalid/x.png">'
                    "<script>undefined_function();</script></body></html>", encoding="utf-8")
    outcome = _chromium(tmp_path, "--enable-logging=stderr", "--v=0",
                        f"--screenshot={tmp_path / 'bad.png'}", "--window-size=400,300",
                        page.as_uri())
    messages = _console_messages(outcome.stderr)
    assert any("Uncaught ReferenceError" in line for line in messages), outcome.stderr[-2000:]
    assert any("example.invalid" in line for line in messages)
