"""The README's commands on a fresh machine: a new virtualenv, no Chinese font, no browser.

A copy of the source tree gets a new virtualenv (``python -m venv``, nothing from the system's
site-packages) with ``pip install -e ".[test]"``, then runs, as a new user would:

* the README's first command, read from README.md (``python3 -m pip install . && carefacility
  run scenarios/xicheng.yaml ...``), which installs the package for real (a wheel, so the
  shipped font must be in it) and runs Xicheng; then the same run with ``--lang zh``;
* the chart and font tests, and the browser test (which must skip, naming what it needs).

"No Chinese font" is made so: fontconfig reads an empty configuration (``FONTCONFIG_FILE``),
and matplotlib gets an empty cache folder (``MPLCONFIGDIR``) whose font list is built once with
``MPL_IGNORE_SYSTEM_FONTS`` (so it holds only matplotlib's own fonts) and then used without it;
the test checks inside the virtualenv that matplotlib knows no CJK font and that
``carefacility.report.fonts`` finds none. "No browser": PATH is a folder of links to every
program on the PATH except Chromium. The run's output must hold no font or glyph warning.

Needs the package registry that pip uses (it installs the dependencies) and takes 2-3 minutes,
so it runs only with ``pytest -m slow_install`` (``.ci/run`` does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow_install

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# matplotlib's font messages (findfont ..., Glyph ... missing from font(s) ..., Failed to find
# font weight ..., building the font cache) and carefacility's MissingCJKFontWarning
FONT_MESSAGE = re.compile(r"findfont|glyph|missing from font|font family|font weight|font cache"
                          r"|font available|CJK", re.I)
COPY_IGNORE = shutil.ignore_patterns(".git", "out", "output", "results", "build", "dist",
                                     "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
                                     ".ipynb_checkpoints", ".venv", "venv")


def readme_first_command() -> str:
    """The first command of the README's "Two commands" block (the line after "# 1.")."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no bash block under '## Two commands'"
    lines = [line.strip() for line in block.group(1).splitlines()]
    first = next(n for n, line in enumerate(lines) if line.startswith("# 1."))
    command = lines[first + 1]
    assert command.startswith("python3 -m pip install .") and "carefacility run" in command, \
        command
    return command


def path_without_browsers(folder: Path) -> str:
    """A folder of links to every program on PATH except the browsers, as the new PATH."""
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = folder / entry.name
            if (entry.name in BROWSERS or target.exists() or target.is_symlink()
                    or not os.access(entry.path, os.X_OK) or entry.is_dir()):
                continue
            target.symlink_to(entry.path)
    return str(folder)


def fontless_environment(folder: Path, venv: Path) -> dict[str, str]:
    """Environment of the fresh machine: the virtualenv first on a PATH without browsers, no
    system font for fontconfig or matplotlib (see the module's notes)."""
    config = folder / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM '
                      '"urn:fontconfig:fonts.dtd">\n<fontconfig></fontconfig>\n',
                      encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "VIRTUAL_ENV", "MPL", "CAREFACILITY", "PYTEST"))}
    env.update(PATH=os.pathsep.join([str(venv / "bin"), path_without_browsers(folder / "bin")]),
               VIRTUAL_ENV=str(venv), MPLCONFIGDIR=str(folder / "matplotlib"),
               FONTCONFIG_FILE=str(config), PYTHONDONTWRITEBYTECODE="1")
    return env


def run(command: str | list[str], cwd: Path, env: dict[str, str], timeout: float,
        ) -> subprocess.CompletedProcess:
    done = subprocess.run(command, shell=isinstance(command, str), cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    print(f"$ {command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def font_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if FONT_MESSAGE.search(line)]


CHECK_NO_FONT = """
import matplotlib
from matplotlib import font_manager
from carefacility.report import fonts
names = sorted({font.name for font in font_manager.fontManager.ttflist})
assert not set(names) & set(fonts._SYSTEM_CJK_FAMILIES), names
assert all(font.fname.startswith(matplotlib.get_data_path())
           for font in font_manager.fontManager.ttflist), "matplotlib sees a system font"
assert fonts.system_cjk_family() is None
print(fonts.shipped_font_path())
"""


def test_the_readme_commands_on_a_fresh_machine(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = fontless_environment(tmp_path, venv)
    assert shutil.which("chromium", path=env["PATH"]) is None

    installed = run(["python3", "-m", "pip", "install", "-q", "-e", ".[test]"], source, env, 900)
    assert installed.returncode == 0, installed.stderr
    # matplotlib's font list in the empty cache folder: its own fonts only
    cache = run(["python3", "-c", "import matplotlib.font_manager"], source,
                dict(env, MPL_IGNORE_SYSTEM_FONTS="1"), 300)
    assert cache.returncode == 0, cache.stderr

    # the README's first command, as written (pip install . replaces the editable install)
    first = run(readme_first_command(), source, env, 900)
    output = first.stdout + first.stderr
    assert first.returncode == 0, output
    assert font_lines(output) == []
    pngs = sorted(p.name for p in (source / "out" / "xicheng").glob("*.png"))
    assert "scorecard_chart.png" in pngs and len(pngs) >= 8, pngs

    # the installed package (not the source tree) has the font; nothing sees a system font
    where = run(["python3", "-c", CHECK_NO_FONT], tmp_path, env, 300)
    assert where.returncode == 0, where.stderr
    assert str(venv) in where.stdout and where.stdout.strip().endswith(".otf")

    chinese = run(["carefacility", "run", "scenarios/xicheng.yaml", "--out", "out/xicheng-zh",
                   "--lang", "zh", "--replications", "2"], source, env, 600)
    assert chinese.returncode == 0, chinese.stdout + chinese.stderr
    assert font_lines(chinese.stdout + chinese.stderr) == []

    tests = run(["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                 "tests/report/test_plots.py", "tests/report/test_fonts.py",
                 "tests/report/test_report_browser.py", "-k", "not wheel"], source, env, 900)
    output = tests.stdout + tests.stderr
    assert tests.returncode == 0, output
    skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    # only the browser test skips, and it says what it needs
    assert skipped and all("Chromium is not installed" in line for line in skipped), skipped
    assert re.search(r"\d+ passed", output)
