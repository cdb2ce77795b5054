"""The Chinese font that ships with the package: it is there (with its licence), it has every
character the package draws, charts use it whatever the system has, and nothing is ever drawn
as an empty box or warned about."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from carefacility.report import fonts, plots
from carefacility.report.labels import LABELS

ROOT = Path(__file__).resolve().parents[2]
FONT_DIR = ROOT / "carefacility" / "data" / "fonts"
# a hanzi outside GB 2312 that the subset leaves out (U+9F98, "dragons flying")
RARE = "\u9f98"


@pytest.fixture
def no_system_fonts(monkeypatch):
    """As on a machine without a CJK font: the system's fonts are not looked up."""
    monkeypatch.setenv(fonts.IGNORE_SYSTEM_FONTS_ENV, "1")
    fonts.system_cjk_family.cache_clear()
    yield
    fonts.system_cjk_family.cache_clear()


def _gb2312(first_row: int, last_row: int) -> set[str]:
    found = set()
    for row in range(first_row, last_row + 1):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return found


def _latin_codepoints() -> frozenset[int]:
    from matplotlib import font_manager

    return frozenset(font_manager.get_font(font_manager.findfont(fonts.LATIN_FAMILY))
                     .get_charmap())


def test_the_font_ships_with_its_licence_and_source_note() -> None:
    path = fonts.shipped_font_path()
    assert path == FONT_DIR / fonts.SHIPPED_FONT_FILE
    assert 500_000 < path.stat().st_size < 3_000_000  # a subset: 1.9 MB, not the 16 MB face
    licence = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence
    note = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    for needed in ("fonts-noto-cjk", "tools/make_font_subset.py", "GB 2312", "OFL"):
        assert needed in note, needed
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(path))
    # its own family name, so it never shadows a full Noto Sans CJK SC of the system
    assert (font.family_name, font.style_name) == (fonts.SHIPPED_FAMILY, "Regular")


def test_the_font_has_the_common_hanzi_and_punctuation() -> None:
    have = fonts.shipped_codepoints()
    level1 = _gb2312(0xB0, 0xD7)
    assert len(level1) == 3755  # GB 2312 level 1, the common hanzi
    assert {ord(char) for char in level1} <= have
    assert {ord(char) for char in _gb2312(0xD8, 0xF7)} <= have  # level 2: 3,008 more
    signs = "‰℃·—…“”‘’《》、。，：；！？（）【】０１２％"
    assert [char for char in signs if ord(char) not in have] == []


def test_every_chinese_character_of_the_package_and_its_examples_is_in_the_font() -> None:
    """A new label or example with a character outside the subset fails here; rebuild the font
    with ``python3 tools/make_font_subset.py`` (it scans the same files)."""
    have = fonts.shipped_codepoints()
    missing: dict[str, set[str]] = {}
    for folder, patterns in {"carefacility": ("*.py", "*.j2", "*.yaml", "*.csv", "*.md"),
                             "scenarios": ("*.yaml", "*.csv"),
                             "notebooks": ("*.py",)}.items():
        for pattern in patterns:
            for path in (ROOT / folder).rglob(pattern):
                text = path.read_text(encoding="utf-8-sig")
                lacking = {char for char in fonts.CJK.findall(text) if ord(char) not in have}
                if lacking:
                    missing[str(path.relative_to(ROOT))] = lacking
    assert missing == {}, ("characters the shipped font lacks (rebuild it: "
                           f"python3 tools/make_font_subset.py): {missing}")


def test_every_label_can_be_drawn() -> None:
    drawable = fonts.shipped_codepoints() | _latin_codepoints()
    texts = [text for names in LABELS.values() for text in names.values()]
    lacking = {char for text in texts for char in text
               if not char.isspace() and ord(char) not in drawable}
    assert lacking == set()


def test_chinese_text_uses_the_shipped_font_and_never_asks_the_system(monkeypatch) -> None:
    def no_lookup() -> str:
        raise AssertionError("the system's fonts were looked up")

    monkeypatch.setattr(fonts, "system_cjk_family", no_lookup)
    assert fonts.cjk_font_family() == fonts.SHIPPED_FAMILY
    assert fonts.font_families(["西城区 Xicheng", "护理型床位占比 ≥ 55 %，‰"]) == [
        fonts.LATIN_FAMILY, fonts.SHIPPED_FAMILY]


def test_a_system_font_is_added_last_for_characters_the_shipped_font_lacks(monkeypatch) -> None:
    monkeypatch.setattr(fonts, "system_cjk_family", lambda: "Some System CJK")
    assert fonts.font_families([f"西城区{RARE}"]) == [
        fonts.LATIN_FAMILY, fonts.SHIPPED_FAMILY, "Some System CJK"]


def test_system_fonts_are_ignored_when_asked(monkeypatch) -> None:
    for name in (fonts.IGNORE_SYSTEM_FONTS_ENV, "MPL_IGNORE_SYSTEM_FONTS"):
        monkeypatch.delenv(fonts.IGNORE_SYSTEM_FONTS_ENV, raising=False)
        monkeypatch.delenv("MPL_IGNORE_SYSTEM_FONTS", raising=False)
        assert not fonts.system_fonts_ignored()
        monkeypatch.setenv(name, "0")
        assert not fonts.system_fonts_ignored()
        monkeypatch.setenv(name, "1")
        assert fonts.system_fonts_ignored()
        fonts.system_cjk_family.cache_clear()
        try:
            assert fonts.system_cjk_family() is None
        finally:
            fonts.system_cjk_family.cache_clear()


def _scorecard() -> pd.DataFrame:
    return pd.DataFrame({
        "target": ["beds", "nursing_share"], "label": ["Beds 4,500", "护理型床位占比 ≥ 55 %"],
        "year": [2025, 2025], "metric": ["beds", "nursing_share"], "comparison": [">=", ">="],
        "threshold": [4500.0, 0.55], "status": ["met", "missed"],
        "simulated_mean": [4600.0, 0.5], "ci_low": [4500.0, 0.45], "ci_high": [4700.0, 0.55],
        "shortfall": [0.0, 110.0], "shortfall_unit": ["beds", "nursing beds"]})


def _charts(lang: str) -> list:
    elderly = pd.DataFrame({"year": [2020, 2021, 2022], "zone": "all",
                            "pop_60plus": [100.0, 110.0, 120.0], "pop_80plus": [20.0, 22.0, 25.0],
                            "share_60plus": [0.20, 0.21, 0.22]})
    return [plots.elderly_trend(elderly, lang=lang, title="西城区 Xicheng：老年人口"),
            plots.scorecard_chart(_scorecard(), lang=lang)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_charts_are_the_same_with_and_without_the_systems_fonts(lang: str, monkeypatch,
                                                                caplog) -> None:
    """The shipped font draws the Chinese text whatever the system has: the PNGs are identical
    with the system's fonts looked up and ignored, and no font warning is given either way."""
    images = []
    for ignored in ("0", "1"):
        monkeypatch.setenv(fonts.IGNORE_SYSTEM_FONTS_ENV, ignored)
        fonts.system_cjk_family.cache_clear()
        with warnings.catch_warnings(), caplog.at_level(logging.INFO, "matplotlib"):
            warnings.simplefilter("error")
            images.append([plots.figure_images(ax)[0] for ax in _charts(lang)])
    fonts.system_cjk_family.cache_clear()
    assert images[0] == images[1]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_english_scorecard_draws_its_chinese_target_labels(no_system_fonts) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.scorecard_chart(_scorecard(), lang="en")
        plots.figure_images(ax)
    labels = [text.get_text() for text in ax.get_yticklabels()]
    assert "护理型床位占比 ≥ 55 %" in labels
    assert all(fonts.SHIPPED_FAMILY in text.get_fontfamily() for text in ax.get_yticklabels())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_character_no_font_has_is_left_out_with_a_warning(lang: str, no_system_fonts) -> None:
    """Never an empty box: the character is dropped, and the warning names it."""
    elderly = pd.DataFrame({"year": [2020, 2021], "zone": "all", "pop_60plus": [10.0, 11.0],
                            "pop_80plus": [2.0, 2.5], "share_60plus": [0.2, 0.21]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = plots.elderly_trend(elderly, lang=lang, title=f"Xicheng (西城{RARE}区{RARE}): Elderly")
        plots.figure_images(ax)  # matplotlib itself warns of missing glyphs when drawing
    assert ax.get_title() == "Xicheng (西城区): Elderly"
    assert [str(w.message) for w in caught if w.category is not plots.MissingCJKFontWarning] == []
    assert len(caught) == 1 and RARE in str(caught[0].message)

    with pytest.warns(plots.MissingCJKFontWarning):
        ax = plots.scorecard_chart(_scorecard().assign(label=["Beds", f"{RARE}{RARE}"]),
                                   lang=lang)
    assert RARE not in "".join(text.get_text() for text in ax.get_yticklabels())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_control_characters_in_labels_become_spaces(lang: str) -> None:
    """A tab or carriage return (say, in a hostile target label) has no glyph in any font."""
    frame = _scorecard().assign(label=["\tBeds\t4,500", "护理型\r床位"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.scorecard_chart(frame, lang=lang, title="Plan\ttargets")
        plots.figure_images(ax)
    assert [text.get_text() for text in ax.get_yticklabels()] == ["Beds 4,500", "护理型 床位"]
    assert ax.get_title() == "Plan targets"


def test_a_missing_font_file_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(fonts, "SHIPPED_FONT_FILE", "no-such-font.otf")
    fonts.cjk_font_family.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="incompletely installed: reinstall"):
            fonts.cjk_font_family()
    finally:
        monkeypatch.undo()
        fonts.cjk_font_family.cache_clear()
    assert fonts.cjk_font_family() == fonts.SHIPPED_FAMILY


def fontless_environment(folder: Path) -> dict[str, str]:
    """Environment variables under which matplotlib and fontconfig see no system font.

    fontconfig reads an empty configuration (``FONTCONFIG_FILE``), and matplotlib gets a new
    cache folder (``MPLCONFIGDIR``) whose font list is built here once with
    ``MPL_IGNORE_SYSTEM_FONTS``: it holds matplotlib's own fonts only, and later processes load
    it without that variable, as on a machine that has no other font.
    """
    config = folder / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM '
                      '"urn:fontconfig:fonts.dtd">\n<fontconfig></fontconfig>\n',
                      encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if key not in (fonts.IGNORE_SYSTEM_FONTS_ENV, "MPL_IGNORE_SYSTEM_FONTS")}
    env.update(MPLCONFIGDIR=str(folder / "matplotlib"), FONTCONFIG_FILE=str(config))
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                   env=dict(env, MPL_IGNORE_SYSTEM_FONTS="1"), check=True, timeout=300)
    return env


CHARTS_SCRIPT = """
import logging, sys, warnings
warnings.simplefilter("error")
records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("matplotlib").addHandler(handler)
logging.getLogger("matplotlib").setLevel(logging.INFO)
from matplotlib import font_manager
from carefacility.report import fonts, plots
sys.path.insert(0, sys.argv[1])
from test_fonts import _charts
names = {font.name for font in font_manager.fontManager.ttflist}
assert not names & set(fonts._SYSTEM_CJK_FAMILIES), names
assert fonts.system_cjk_family() is None
for lang in ("en", "zh"):
    for ax in _charts(lang):
        plots.figure_images(ax, svg=True)
messages = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
assert messages == [], messages
print("ok", fonts._shipped_found_by_name())
"""


@pytest.mark.parametrize("matplotlib_ignores_system_fonts", [False, True],
                         ids=["fontless", "MPL_IGNORE_SYSTEM_FONTS"])
def test_no_font_warning_on_a_machine_without_fonts(matplotlib_ignores_system_fonts: bool,
                                                    tmp_path: Path) -> None:
    """A fresh process that sees no system font (and, in the second case, runs with
    matplotlib's ``MPL_IGNORE_SYSTEM_FONTS``, which hides fonts added at run time too) draws
    charts in both languages with warnings as errors and no font message logged."""
    env = fontless_environment(tmp_path)
    if matplotlib_ignores_system_fonts:
        env["MPL_IGNORE_SYSTEM_FONTS"] = "1"
    done = subprocess.run([sys.executable, "-c", CHARTS_SCRIPT, str(Path(__file__).parent)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    # found by name, except under MPL_IGNORE_SYSTEM_FONTS (drawn from the file then)
    assert done.stdout.split() == ["ok", str(not matplotlib_ignores_system_fonts)]
    assert "font" not in done.stderr.lower() and "glyph" not in done.stderr.lower(), done.stderr


def test_the_wheel_contains_the_font(tmp_path: Path) -> None:
    """``pip wheel`` of a copy of the source: the font, its licence and note are in it."""
    pytest.importorskip("setuptools", reason="building a wheel needs setuptools")
    pytest.importorskip("wheel", reason="building a wheel needs the wheel package")
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "out", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
        "notebooks", "tests", "benchmarks", "docs"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-q", "-w",
                           str(tmp_path / "wheels"), str(source)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    wheel = next((tmp_path / "wheels").glob("carefacility-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (fonts.SHIPPED_FONT_FILE, "OFL.txt", "README.md"):
        assert f"carefacility/data/fonts/{name}" in names, sorted(names)
