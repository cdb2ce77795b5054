"""Fonts of the charts: Chinese text is drawn with a font that ships with the package.

``carefacility/data/fonts/`` holds a subset of Noto Sans CJK SC (SIL Open Font License 1.1;
``OFL.txt`` and ``README.md`` there say where it comes from and how
``tools/make_font_subset.py`` rebuilds it): the characters of the package's labels and example
scenarios, GB 2312's 6,763 hanzi and its symbols, CJK punctuation and full-width forms, 1.9 MB.
Its family is ``Noto Sans SC carefacility`` (:data:`SHIPPED_FAMILY`), renamed so that it never
shadows a full Noto Sans CJK SC installed on the system.

**The shipped font is always used for Chinese text, even where the system has a CJK font.**
A system font might look a little different, but the shipped one makes a chart the same on
every machine: the bureau's Windows PC, an analyst's Mac and a Linux server with nothing but
``pip install carefacility`` draw identical charts, and with the same matplotlib a chart's PNG
is byte-identical across machines, which tests and reviewed example outputs rely on. Text is
drawn with the family list ``["DejaVu Sans", SHIPPED_FAMILY]`` (matplotlib's own DejaVu Sans for
Latin letters and digits, the shipped font for every glyph DejaVu Sans lacks). A system CJK
font is looked up only when a text has characters neither font has (a rare hanzi in a
scenario's own names) and is then put last in the list, so it never changes a chart the shipped
fonts can draw. A character no available font has is left out of the chart with a
:class:`MissingCJKFontWarning` naming it, never drawn as an empty box.

Environment: ``CAREFACILITY_IGNORE_SYSTEM_FONTS=1`` stops the look-up of system CJK fonts, as on
a machine that has none. matplotlib's ``MPL_IGNORE_SYSTEM_FONTS`` does too, and it also makes
matplotlib look for fonts only in its own folder, hiding the shipped font from a look-up by
name: then the texts that need it are drawn from the font file directly (one font for the whole
text, so Latin letters in them come from the shipped font too).

Nothing here imports matplotlib before it is needed, and fontTools is not needed at all.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import subprocess
import warnings
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import matplotlib.ticker
    from matplotlib.axes import Axes

__all__ = [
    "IGNORE_SYSTEM_FONTS_ENV",
    "LATIN_FAMILY",
    "SHIPPED_FAMILY",
    "SHIPPED_FONT_FILE",
    "MissingCJKFontWarning",
    "apply_chart_fonts",
    "cjk_font_family",
    "font_families",
    "missing_characters",
    "shipped_codepoints",
    "shipped_font_path",
    "system_cjk_family",
    "system_fonts_ignored",
]

SHIPPED_FONT_FILE = "NotoSansSC-carefacility-subset.otf"
"""File name of the shipped Chinese font in ``carefacility/data/fonts/``."""

SHIPPED_FAMILY = "Noto Sans SC carefacility"
"""Family name of the shipped Chinese font (a renamed subset of Noto Sans CJK SC)."""

LATIN_FAMILY = "DejaVu Sans"
"""matplotlib's own default font: Latin letters, digits and signs come from it."""

IGNORE_SYSTEM_FONTS_ENV = "CAREFACILITY_IGNORE_SYSTEM_FONTS"
"""Set to 1 to never look for a system CJK font (matplotlib's ``MPL_IGNORE_SYSTEM_FONTS`` too)."""

# system fonts with Chinese glyphs, best first; used only for characters the shipped font lacks
_SYSTEM_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                        "Noto Sans CJK JP", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                        "Microsoft YaHei", "SimHei", "PingFang SC")

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
"""A CJK character (radicals, punctuation, kana, hanzi, compatibility and full-width forms)."""

# CJK fonts often come in one weight; for bold text matplotlib uses it and logs that it had to
logging.getLogger("matplotlib.font_manager").addFilter(
    lambda record: "Failed to find font weight" not in record.getMessage()
)


class MissingCJKFontWarning(UserWarning):
    """Characters were left out of a chart because no available font has them."""


def system_fonts_ignored() -> bool:
    """Whether the environment asks not to use system fonts (:data:`IGNORE_SYSTEM_FONTS_ENV`)."""
    return any(os.environ.get(name, "").strip() not in ("", "0")
               for name in (IGNORE_SYSTEM_FONTS_ENV, "MPL_IGNORE_SYSTEM_FONTS"))


def shipped_font_path() -> Path:
    """Path of the shipped Chinese font file.

    Raises
    ------
    RuntimeError
        If the file is not in the installed package (a broken install).
    """
    resource = resources.files("carefacility").joinpath("data", "fonts", SHIPPED_FONT_FILE)
    path = Path(str(resource))
    if not path.is_file():
        raise RuntimeError(
            f"carefacility's Chinese chart font is missing (looked for {path}); the package is "
            "incompletely installed: reinstall it (`python3 -m pip install --force-reinstall "
            "carefacility`, or `pip install .` in a clone)")
    return path


@functools.cache
def cjk_font_family() -> str:
    """The family that draws Chinese text: the shipped font, registered with matplotlib here.

    Always :data:`SHIPPED_FAMILY` (see the module's notes for why a system font is not
    preferred). The first call adds the font file to matplotlib's font list
    (``matplotlib.font_manager.fontManager.addfont``); processes forked after it inherit that.

    Raises
    ------
    RuntimeError
        If the font file is missing from the installed package.
    """
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(shipped_font_path()))
    return SHIPPED_FAMILY


@functools.cache
def _shipped_found_by_name() -> bool:
    """Whether matplotlib finds the shipped font by its family name.

    It does not when ``MPL_IGNORE_SYSTEM_FONTS`` is set: matplotlib then looks for fonts only
    in its own folder, which hides fonts added at run time too.
    """
    from matplotlib import font_manager

    family = cjk_font_family()
    try:
        found = font_manager.findfont(font_manager.FontProperties(family=[family]),
                                      fallback_to_default=False)
    except ValueError:
        return False
    return Path(found) == shipped_font_path()


@functools.cache
def shipped_codepoints() -> frozenset[int]:
    """The code points the shipped font has a glyph for."""
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(str(shipped_font_path())).get_charmap())


@functools.cache
def _codepoints_of(family: str) -> frozenset[int]:
    """The code points of the font matplotlib uses for ``family`` (empty if it has none)."""
    from matplotlib import font_manager

    try:
        path = font_manager.findfont(font_manager.FontProperties(family=[family]),
                                     fallback_to_default=False)
        return frozenset(font_manager.get_font(path).get_charmap())
    except (ValueError, OSError, RuntimeError):
        return frozenset()


@functools.cache
def system_cjk_family() -> str | None:
    """Name of a system font with Chinese glyphs, or ``None`` (always, when they are ignored).

    Looks in matplotlib's font list first, then asks fontconfig (``fc-list :lang=zh``) for
    font files matplotlib has not indexed yet (e.g. installed after its cache was built).
    Only used for characters the shipped font lacks.
    """
    if system_fonts_ignored():
        return None
    from matplotlib import font_manager

    def known() -> str | None:
        names = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in _SYSTEM_CJK_FAMILIES if name in names), None)

    found = known()
    if found:
        return found
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                 text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in listing.splitlines():
        path = line.split(":")[0].strip()
        if path:
            with contextlib.suppress(Exception):
                font_manager.fontManager.addfont(path)
    return known()


def _drawable(char: str) -> bool:
    return not char.isspace() and char.isprintable()


def _uncovered(texts: Iterable[str], families: Iterable[str]) -> set[str]:
    chars = {char for text in texts for char in text if _drawable(char)}
    for family in families:
        if not chars:
            break
        have = (shipped_codepoints() if family == SHIPPED_FAMILY else _codepoints_of(family))
        chars = {char for char in chars if ord(char) not in have}
    return chars


def font_families(texts: Iterable[str]) -> list[str]:
    """The family list to draw ``texts`` with: DejaVu Sans, the shipped font and, only if
    some character is in neither, a system CJK font (:func:`system_cjk_family`) last.

    Parameters
    ----------
    texts : iterable of str
        The strings of one chart.

    Returns
    -------
    list of str
        Families in the order matplotlib tries them for each glyph.
    """
    texts = list(texts)
    families = [LATIN_FAMILY, cjk_font_family()]
    if _uncovered(texts, families):
        system = system_cjk_family()
        if system is not None:
            families.append(system)
    return families


def missing_characters(texts: Iterable[str], families: Iterable[str]) -> str:
    """The characters of ``texts`` that none of ``families`` has, sorted, as one string."""
    return "".join(sorted(_uncovered(texts, families)))


# control characters (a tab or carriage return in a scenario's label) have no glyph in any font
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _plain(text: str) -> str:
    """``text`` with its control characters but line breaks as spaces."""
    return _CONTROL.sub(" ", text).strip() if _CONTROL.search(text) else text


def _without(text: str, characters: str) -> str:
    """``text`` without ``characters`` (and without brackets and spaces left empty by that)."""
    if not characters or not any(char in text for char in characters):
        return text
    stripped = text.translate({ord(char): None for char in characters})
    stripped = re.sub(r"\(\s*\)|（\s*）", "", stripped)
    stripped = re.sub(r"\s+([:,.;])", r"\1", stripped)
    return re.sub(r"\s{2,}", " ", stripped).strip()


def _stripped_formatter(base: matplotlib.ticker.Formatter, characters: str
                        ) -> matplotlib.ticker.FuncFormatter:
    """A tick formatter giving ``base``'s labels without ``characters`` and control characters."""
    import matplotlib.ticker

    return matplotlib.ticker.FuncFormatter(
        lambda value, position: _without(_plain(str(base(value, position))), characters))


def apply_chart_fonts(ax: Axes, lang: str) -> Axes:
    """Give every text of ``ax``'s figure the Chinese font when any of it is Chinese.

    With ``lang="zh"``, or when some text (a title, a label, a tick label) has a CJK
    character, every text of the figure is drawn with :func:`font_families` (DejaVu Sans, then
    the shipped Chinese font). Characters that no available font has are left out, with a
    :class:`MissingCJKFontWarning` naming them, so that no empty box is ever drawn. Control
    characters (a tab or a carriage return in a label) become spaces, in any language.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Any axes of the figure.
    lang : {"en", "zh"}
        The chart's language.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.

    Raises
    ------
    RuntimeError
        If the shipped font file is missing from the installed package.
    """
    from matplotlib.text import Text

    figure = ax.get_figure()
    texts = [t for t in figure.findobj(Text) if isinstance(t, Text)]
    # tick labels given as strings are drawn from their axis' formatter, not from the Text
    # objects that exist now: both must be looked at (and stripped)
    axes = [axis for each in figure.axes for axis in (each.xaxis, each.yaxis)]
    tick_labels = {id(axis): [str(text) for text in axis.get_major_formatter().format_ticks(
        axis.get_majorticklocs())] for axis in axes}
    for text in texts:
        if _CONTROL.search(text.get_text()):
            text.set_text(_plain(text.get_text()))
    for axis in axes:
        if any(_CONTROL.search(label) for label in tick_labels[id(axis)]):
            axis.set_major_formatter(_stripped_formatter(axis.get_major_formatter(), ""))
            tick_labels[id(axis)] = [_plain(label) for label in tick_labels[id(axis)]]
    strings = [t.get_text() for t in texts] + [
        text for labels in tick_labels.values() for text in labels]
    if lang != "zh" and not any(CJK.search(text) for text in strings):
        return ax
    families = font_families(strings)
    missing = missing_characters(strings, families)
    if missing:
        warnings.warn(
            f"no font available here has the characters {missing!r}: they are left out of "
            "the chart (a system font with them, e.g. Debian's fonts-noto-cjk, would be used)",
            MissingCJKFontWarning, stacklevel=3)
        for text in texts:
            text.set_text(_without(text.get_text(), missing))
        for axis in axes:
            if any(char in label for label in tick_labels[id(axis)] for char in missing):
                axis.set_major_formatter(_stripped_formatter(axis.get_major_formatter(),
                                                             missing))
    if _shipped_found_by_name():
        for text in texts:
            text.set_fontfamily(families)
        return ax
    # matplotlib cannot find the shipped font by name (MPL_IGNORE_SYSTEM_FONTS): the texts
    # with characters DejaVu Sans lacks are drawn from the font file itself
    from matplotlib.font_manager import FontProperties

    latin = _codepoints_of(LATIN_FAMILY)
    for text in texts:
        if any(ord(char) not in latin for char in text.get_text() if _drawable(char)):
            text.set_fontproperties(FontProperties(
                fname=shipped_font_path(), size=text.get_fontsize(),
                weight=text.get_fontweight(), style=text.get_fontstyle()))
    return ax
