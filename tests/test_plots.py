"""Charts return their Axes, draw without warnings, and never draw Chinese as empty boxes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from matplotlib.axes import Axes

from carefacility import plots
from carefacility.population import project_population
from carefacility.scenario import load_scenario


@pytest.fixture(scope="module")
def projection(request):
    root = Path(request.config.rootpath)
    return project_population(load_scenario(root / "scenarios" / "xicheng.yaml").population)


needs_cjk = pytest.mark.skipif(plots.cjk_font_family() is None,
                               reason="no CJK font installed (apt-get install fonts-wqy-zenhei)")


@pytest.mark.parametrize("lang", ["en", pytest.param("zh", marks=needs_cjk)])
def test_charts_draw_without_warnings(projection, lang: str, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.population_pyramid(projection.population, (2020, 2035), lang=lang,
                                      title="西城区 Xicheng")
        assert isinstance(ax, Axes)
        assert ax.get_title() == "西城区 Xicheng"
        paths = plots.save_figure(ax, tmp_path / "pyramid")
        ax = plots.elderly_trend(projection.elderly, lang=lang)
        assert isinstance(ax, Axes)
        assert ax.get_xlabel() == plots.label("year", lang)
        paths += plots.save_figure(ax, tmp_path / "trend")
    assert all(path.stat().st_size > 1000 for path in paths)


def test_draws_on_a_given_axes(projection) -> None:
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plots.elderly_trend(projection.elderly, ax=ax) is ax
    assert len(ax.get_lines()) == 2


def test_missing_cjk_font_is_a_clear_error(projection, monkeypatch) -> None:
    plots.cjk_font_family.cache_clear()
    monkeypatch.setattr(plots, "_CJK_FAMILIES", ("No Such Font",))
    monkeypatch.setattr(plots.subprocess, "run", lambda *a, **k: (_ for _ in ()).throw(OSError))
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            plots.elderly_trend(projection.elderly, lang="zh")
    finally:
        plots.cjk_font_family.cache_clear()
