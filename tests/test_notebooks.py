"""The notebooks run in a real Jupyter kernel, without errors, and show their charts as images.

Each notebook is executed with nbclient in the ``python3`` kernel, with ``notebooks/`` as the
working directory, as a reader would run it; the executed copy goes to a temporary folder and
the stored notebook (with its stored outputs) is neither read for outputs nor overwritten.

A chart that is not displayed shows up as the text ``<Figure size 700x500 with 1 Axes>`` (or
``<Axes: ...>``) instead of an image: ``cf.plots`` draws on figures made outside pyplot, so they
become images only through IPython's inline backend (``%matplotlib inline``).

To store the notebooks with fresh outputs: ``python3 tests/test_notebooks.py --write``.
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
    assert path.read_bytes() == stored, "running the notebook changed the stored file"
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == listing, \
        "running the notebook left files in notebooks/"
    print(f"{path.name}: {seconds:.1f} s")


def test_there_are_notebooks() -> None:
    assert {"01_population_projection.ipynb", "02_bed_plan.ipynb"} <= {p.name for p in NOTEBOOKS}


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
    """``--write``: execute the notebooks and store them with their outputs."""
    if argv != ["--write"]:
        print(f"usage: python3 {Path(__file__).name} --write", file=sys.stderr)
        return 2
    reason = kernel_available()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    status = 0
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        execute(notebook, NOTEBOOK_DIR, record_timing=False)
        found = problems(notebook)
        if found:
            print("\n".join([f"{path.name}: not written", *found]), file=sys.stderr)
            status = 1
            continue
        nbformat.write(notebook, path)
        print(f"wrote {path.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
