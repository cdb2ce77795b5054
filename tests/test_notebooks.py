"""The notebooks run in a real Jupyter kernel, without errors, and show their charts as images;
each is stored with its outputs, beside a plain-text copy whose cells are the same.

Each notebook is executed with nbclient in the ``python3`` kernel, with ``notebooks/`` as the
working directory, as a reader would run it; the executed copy goes to a temporary folder and
the stored notebook (with its stored outputs) is neither read for outputs nor overwritten.

A chart that is not displayed shows up as the text ``<Figure size 700x500 with 1 Axes>`` (or
``<Axes: ...>``) instead of an image: ``cf.plots`` draws on figures made outside pyplot, so they
become images only through IPython's inline backend (``%matplotlib inline``).

Pairs. Every ``notebooks/NAME.ipynb`` has ``notebooks/NAME.py`` beside it in jupytext's percent
format (``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose lines are
commented, IPython magics are commented as ``# %matplotlib inline``), so that a change reads as
a plain diff; the ``.ipynb`` keeps the outputs, so the notebooks read with their charts on a
code host. jupytext (with the pairing in the notebook's metadata) keeps the two in step in
Jupyter; the tests read the format themselves and need no jupytext. The stored outputs carry no
timing or kernel version, and cell ids are numbered, so re-running changes only what the code
shows (charts may differ in their bytes).

To store the notebooks with fresh outputs: ``python3 tests/test_notebooks.py --write``. It reads
each ``.py`` (the source to edit), runs it in a kernel and writes both files; with
``--from-ipynb`` it takes the cells from the ``.ipynb`` instead (after an edit in Jupyter
without jupytext).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (test extra)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (test extra)")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PAIRED = sorted({*NOTEBOOKS, *(p.with_suffix(".ipynb") for p in NOTEBOOK_DIR.glob("*.py"))})
KERNEL = "python3"
CELL_TIMEOUT = 300  # [s] per cell
CHART_CALL = "cf.plots."
# the text of a figure or axes that was returned but not rendered as an image
BARE_REPR = re.compile(r"<(Figure size [^>]*|Axes: [^>]*|Axes[A-Za-z]*Subplot[^>]*)>")


def kernel_available() -> str | None:
    """Why the ``python3`` kernel cannot be started, or ``None`` when its spec is installed."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return "jupyter_client is not installed (it comes with nbclient)"
    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return (f"no Jupyter kernel spec {KERNEL!r} (`jupyter kernelspec list`); install "
                "ipykernel and run `python3 -m ipykernel install --user`")
    return None


@pytest.fixture(scope="module")
def kernel() -> str:
    """The kernel's name; skips (installing nothing) when it is not available."""
    reason = kernel_available()
    if reason:
        pytest.skip(reason)
    return KERNEL


def execute(notebook: nbformat.NotebookNode, cwd: Path, *, record_timing: bool = True
            ) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` (in place) in a fresh kernel started in ``cwd``.

    Errors are recorded in the outputs, not raised, so that :func:`problems` can list them all;
    a cell running longer than ``CELL_TIMEOUT`` seconds or a dying kernel raises.
    """
    # the kernel imports carefacility from this checkout, as `python3 -m pytest` here does
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    client = nbclient.NotebookClient(notebook, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
                                     startup_timeout=120, allow_errors=True,
                                     record_timing=record_timing)
    client.execute(cwd=str(cwd), env=env)
    return notebook


def _source(cell: nbformat.NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


# ---- the plain-text pair (jupytext's percent format, read and written here) -------------------

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
PAIRING = {"formats": "ipynb,py:percent"}
PERCENT_HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---
"""
JUPYTEXT_VERSION = re.compile(r"^#\s+jupytext_version: .*\n", re.M)
CELL_MARKER = re.compile(r"^# %%(?: \[(markdown|md|raw)\])?\s*$")
# IPython magics and shell escapes, commented out in the .py as jupytext does
MAGIC = re.compile(r"^(%|%%|!)[A-Za-z]")
COMMENTED_MAGIC = re.compile(r"^# ((%|%%|!)[A-Za-z].*)$")

Cells = list[tuple[str, str]]


def notebook_cells(notebook: nbformat.NotebookNode) -> Cells:
    """``(cell_type, source)`` of every cell (sources without trailing blank lines)."""
    return [(cell.cell_type, _source(cell).rstrip("\n")) for cell in notebook.cells]


def percent_text(cells: Cells) -> str:
    """The cells as a percent-format script (what ``jupytext --to py:percent`` writes)."""
    parts = []
    for kind, source in cells:
        lines = source.split("\n") if source else []
        if kind == "code":
            body = [f"# {line}" if MAGIC.match(line) else line for line in lines]
            parts.append("\n".join(["# %%", *body]))
        else:
            marker = "# %% [markdown]" if kind == "markdown" else "# %% [raw]"
            parts.append("\n".join([marker, *(f"# {line}" if line else "#" for line in lines)]))
    return PERCENT_HEADER + "\n" + "\n\n".join(parts) + "\n"


def percent_cells(text: str) -> Cells:
    """The cells of a percent-format script (the inverse of :func:`percent_text`)."""
    cells: Cells = []
    kind, lines = None, []

    def close() -> None:
        if kind is None:
            return
        while lines and not lines[-1].strip():
            lines.pop()
        if kind == "code":
            body = [COMMENTED_MAGIC.sub(r"\1", line) for line in lines]
        else:
            body = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        cells.append((kind, "\n".join(body)))

    for line in text.split("\n"):
        marker = CELL_MARKER.match(line)
        if marker:
            close()
            kind = {None: "code", "md": "markdown"}.get(marker.group(1), marker.group(1))
            lines = []
        elif kind is not None:
            lines.append(line)
    close()
    return cells


def new_notebook(cells: Cells) -> nbformat.NotebookNode:
    """A notebook of ``cells`` with the kernel and the jupytext pairing in its metadata."""
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}
    notebook = nbformat.v4.new_notebook(cells=[make[kind](source) for kind, source in cells])
    notebook.metadata = {"jupytext": dict(PAIRING), "kernelspec": dict(KERNELSPEC)}
    return notebook


def stable(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` made to store without churn: numbered cell ids, no timing or other cell
    metadata, no Python version; the outputs are kept."""
    language = {key: value for key, value in
                notebook.metadata.get("language_info", {}).items() if key != "version"}
    notebook.metadata = {"jupytext": dict(PAIRING), "kernelspec": dict(KERNELSPEC),
                         **({"language_info": language} if language else {})}
    for number, cell in enumerate(notebook.cells, start=1):
        cell.id = f"cell-{number:02d}"
        cell.metadata = {}
    return notebook


def image_outputs(notebook: nbformat.NotebookNode) -> int:
    """How many outputs of ``notebook`` are PNG images."""
    return sum(bool(output.get("data", {}).get("image/png"))
               for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.get("outputs", []))


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    """What is wrong with an executed notebook: errors, charts not displayed as images.

    * a code cell with an ``error`` output;
    * a code cell that calls a chart function (its source contains ``cf.plots.``) without an
      ``image/png`` among its outputs (a ``display_data``, e.g. from ``plt.show()``, or the
      ``execute_result`` of a figure returned as the cell's value);
    * an output whose ``text/plain`` is a figure or axes repr (``<Figure size ...>``,
      ``<Axes: ...>``) without an image beside it.
    """
    found = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        first_line = (_source(cell).strip().splitlines() or [""])[0]
        where = f"code cell {number} ({first_line[:50]!r} ...)"
        outputs = cell.get("outputs", [])
        for output in outputs:
            if output.get("output_type") == "error":
                found.append(f"{where}: raised {output.get('ename')}: {output.get('evalue')}")
        images = [output for output in outputs
                  if output.get("output_type") in ("display_data", "execute_result")
                  and output.get("data", {}).get("image/png")]
        if CHART_CALL in _source(cell) and not images:
            found.append(f"{where}: calls {CHART_CALL}* but displays no image/png")
        for output in outputs:
            data = output.get("data", {})
            text = _text(data.get("text/plain", ""))
            if BARE_REPR.search(text) and not data.get("image/png"):
                found.append(f"{where}: shows {text.strip()[:60]!r} instead of an image "
                             "(is `%matplotlib inline` in the first code cell?)")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_charts(path: Path, kernel: str, tmp_path: Path) -> None:
    stored = path.read_bytes()
    listing = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    notebook = nbformat.reads(stored.decode("utf-8"), as_version=4)
    for cell in notebook.cells:  # the check must not lean on the stored outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None

    started = time.perf_counter()
    execute(notebook, NOTEBOOK_DIR)
    seconds = time.perf_counter() - started
    nbformat.write(notebook, tmp_path / path.name)  # the executed copy, for a look after a failure

    assert not problems(notebook), "\n".join(
        [f"{path.name} (executed copy: {tmp_path / path.name}):", *problems(notebook)])
    assert any(CHART_CALL in _source(cell) for cell in notebook.cells), "no chart is drawn"
    assert image_outputs(notebook) >= 1
    assert not [output for cell in notebook.cells for output in cell.get("outputs", [])
                if output.get("output_type") == "error"]
    assert path.read_bytes() == stored, "running the notebook changed the stored file"
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == listing, \
        "running the notebook left files in notebooks/"
    print(f"{path.name}: {seconds:.1f} s")


def test_there_are_notebooks() -> None:
    assert {"01_population_projection.ipynb", "02_bed_plan.ipynb"} <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", PAIRED, ids=[p.stem for p in PAIRED])
def test_each_notebook_has_its_plain_text_pair_with_the_same_cells(path: Path) -> None:
    script = path.with_suffix(".py")
    fix = "python3 tests/test_notebooks.py --write (or --write --from-ipynb)"
    assert path.is_file() and script.is_file(), f"{path.stem}: .ipynb and .py go in pairs ({fix})"
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.get("jupytext", {}).get("formats") == PAIRING["formats"]
    # jupytext adds its version to the header when it syncs the pair; the rest is as written
    text = JUPYTEXT_VERSION.sub("", script.read_text(encoding="utf-8"))
    assert text.startswith(PERCENT_HEADER)
    assert percent_cells(text) == notebook_cells(notebook), f"{path.stem}: the cells differ ({fix})"
    assert percent_text(percent_cells(text)) == text  # stored as the writer writes it


def test_the_percent_format_round_trips() -> None:
    cells = [("markdown", "# Title\n\nText with `code`.\n#not a heading"),
             ("code", "%matplotlib inline\n\nimport carefacility as cf\n# a comment\n\n\nx = 1"),
             ("code", "!ls\n%%time\ny = 2"), ("markdown", ""), ("code", ""), ("raw", "raw text")]
    text = percent_text(cells)
    assert "# %matplotlib inline\n" in text and "\n# !ls\n" in text
    assert percent_cells(text) == cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_notebooks_hold_their_outputs(path: Path) -> None:
    """Read on a code host, a stored notebook shows its results and charts, no errors, and
    nothing that changes from run to run but the results themselves."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "stored without running every cell"
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert image_outputs(notebook) >= 1
    assert not problems(notebook), problems(notebook)
    streams = [_text(output.get("text", "")) for cell in code for output in cell.outputs
               if output.get("output_type") == "stream" and output.get("name") == "stderr"]
    assert streams == [], streams  # no warnings
    assert "version" not in notebook.metadata.get("language_info", {})
    assert all(cell.metadata == {} for cell in notebook.cells)
    assert [cell.get("id") for cell in notebook.cells] == [
        f"cell-{n:02d}" for n in range(1, len(notebook.cells) + 1)]


def _chart_notebook(*, inline: bool) -> nbformat.NotebookNode:
    """A two-cell notebook drawing one chart of cf.plots, with or without ``%matplotlib inline``."""
    setup = "import pandas as pd\n\nimport carefacility as cf\n"
    chart = ("summary = pd.DataFrame({'year': [2020, 2021], 'zone': 'all', "
             "'pop_60plus': [10.0, 11.0], 'pop_80plus': [2.0, 2.5], 'share_60plus': [0.2, 0.21]})\n"
             "ax = cf.plots.elderly_trend(summary)\n"
             "ax.figure")
    cells = [nbformat.v4.new_code_cell(("%matplotlib inline\n\n" if inline else "") + setup),
             nbformat.v4.new_code_cell(chart)]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.mark.parametrize("inline", [True, False], ids=["with_inline", "without_inline"])
def test_the_check_catches_a_chart_shown_as_text(inline: bool, kernel: str,
                                                 tmp_path: Path) -> None:
    """The same chart cell passes with ``%matplotlib inline`` and fails without it."""
    found = problems(execute(_chart_notebook(inline=inline), tmp_path))
    if inline:
        assert found == []
    else:
        assert len(found) == 2, found
        assert "displays no image/png" in found[0]
        assert "<Figure size" in found[1]


def test_the_check_reports_errors_and_bare_reprs() -> None:
    """Without a kernel: outputs as a kernel would record them."""
    new = nbformat.v4

    def cell(source: str, *outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
        return new.new_code_cell(source, outputs=list(outputs))

    png = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 700x500 with 1 Axes>"}
    notebook = new.new_notebook(cells=[
        cell("1 / 0", new.new_output("error", ename="ZeroDivisionError",
                                     evalue="division by zero", traceback=[])),
        cell("ax = cf.plots.elderly_trend(x)\nax", new.new_output(
            "execute_result", {"text/plain": "<Axes: title={'center': 'Elderly population'}>"},
            execution_count=2)),
        cell("cf.plots.waiting_times(k).figure", new.new_output("execute_result", png,
                                                                execution_count=3)),
        cell("cf.plots.waiting_times(k, ax=ax)\nplt.show()",
             new.new_output("display_data", png)),
        cell("x = 1"),
    ])
    found = problems(notebook)
    assert len(found) == 3, found
    assert found[0].startswith("code cell 1") and "ZeroDivisionError" in found[0]
    assert found[1].startswith("code cell 2") and "no image/png" in found[1]
    assert found[2].startswith("code cell 2") and "<Axes: title=" in found[2]


def main(argv: list[str]) -> int:
    """``--write [--from-ipynb]``: run the notebooks and store both files of each pair."""
    if argv not in (["--write"], ["--write", "--from-ipynb"]):
        print(f"usage: python3 {Path(__file__).name} --write [--from-ipynb]", file=sys.stderr)
        return 2
    reason = kernel_available()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    from_ipynb = "--from-ipynb" in argv
    status = 0
    for path in PAIRED:
        script = path.with_suffix(".py")
        if from_ipynb or not script.is_file():
            cells = notebook_cells(nbformat.read(path, as_version=4))
        else:
            cells = percent_cells(script.read_text(encoding="utf-8"))
        notebook = new_notebook(cells)
        execute(notebook, NOTEBOOK_DIR, record_timing=False)
        found = problems(notebook)
        if not image_outputs(notebook):
            found.append("no image output")
        if found:
            print("\n".join([f"{path.name}: not written", *found]), file=sys.stderr)
            status = 1
            continue
        nbformat.write(stable(notebook), path)
        script.write_text(percent_text(cells), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} and {script.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
