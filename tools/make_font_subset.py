"""Rebuild the Chinese font shipped in ``carefacility/data/fonts/`` (a subset of Noto Sans CJK SC).

The charts draw Chinese text with this font on every machine, so that ``pip install
carefacility`` is enough for ``--lang zh`` and for Chinese names in English charts (see
``carefacility/report/fonts.py``). The full font is 16 MB per face; the subset keeps the
characters the package and its example scenarios use plus the common hanzi:

* every character of the package's and the example scenarios' text files (``carefacility/``
  and ``scenarios/``: ``*.py``, ``*.j2``, ``*.yaml``, ``*.csv``, ``*.md``, ``*.css``) and of the
  notebooks' paired sources (``notebooks/*.py``);
* GB 2312 (GB/T 2312-1980): its symbol rows 0xA1-0xA9 (CJK punctuation, full-width forms,
  numbered list signs, Greek, Cyrillic, kana, pinyin, box drawing) and its 6,763 hanzi, level 1
  (rows 0xB0-0xD7, 3,755 common hanzi) and level 2 (rows 0xD8-0xF7, 3,008 more, which holds many
  place-name characters), generated with Python's ``gb2312`` codec;
* ASCII, Latin-1, general punctuation (U+2000-U+206F), CJK symbols and punctuation
  (U+3000-U+303F), half-width and full-width forms (U+FF00-U+FFEF), and the signs the labels use
  (‰ ℃ ≤ ≥ ± × ÷ ° · — … “ ” ‘ ’ 《 》 、 。 ， ： ； ！ ？ （ ） 【 】).

Only code points the source font has are kept. The family is renamed
``Noto Sans SC carefacility`` so that it never shadows a full Noto Sans CJK SC installed on the
system (matplotlib would otherwise pick either of two fonts of one name).

The source is Debian's ``fonts-noto-cjk`` package (``NotoSansCJK-Regular.ttc``, face 2 is
Simplified Chinese), fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x`` (nothing
is installed) unless ``--source`` names the ``.ttc`` file. Needs fontTools at build time only
(``pip install fonttools``); carefacility does not need it to run.

Usage::

    python3 tools/make_font_subset.py            # fetch fonts-noto-cjk, write the subset
    python3 tools/make_font_subset.py --source NotoSansCJK-Regular.ttc  # a .ttc you have
    python3 tools/make_font_subset.py --check    # only list characters the shipped font lacks

The result is byte-for-byte reproducible for one source file and one fontTools version (the
font's time stamps are kept from the source). When it fetches the package it also rewrites
``OFL.txt`` from the package's copyright file. It prints the counts, the source and the file's
SHA-256, which ``carefacility/data/fonts/README.md`` records.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FONT_DIR = ROOT / "carefacility" / "data" / "fonts"
OUTPUT = FONT_DIR / "NotoSansSC-carefacility-subset.otf"
DEBIAN_PACKAGE = "fonts-noto-cjk"
TTC_NAME = "NotoSansCJK-Regular.ttc"
SC_FACE = 2  # the faces of NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK, then the Mono ones
FAMILY = "Noto Sans SC carefacility"
POSTSCRIPT_NAME = "NotoSansSCcarefacility-Regular"

SCANNED = {"carefacility": ("*.py", "*.j2", "*.yaml", "*.yml", "*.csv", "*.md", "*.css"),
           "scenarios": ("*.yaml", "*.yml", "*.csv", "*.md"),
           "notebooks": ("*.py",)}
SIGNS = "‰℃≤≥±×÷°·—…“”‘’《》、。，：；！？（）【】〔〕［］"
LAYOUT_FEATURES = ("ccmp", "kern", "mark", "mkmk", "calt", "liga", "clig", "rlig")
RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF))


def gb2312_rows(first: int, last: int) -> set[str]:
    """The characters of GB 2312 rows ``first``..``last`` (EUC-CN lead bytes), via the codec."""
    found = set()
    for row in range(first, last + 1):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:  # unassigned positions (e.g. the end of row 0xD7)
                pass
    return found


def gb2312_symbols() -> set[str]:
    return gb2312_rows(0xA1, 0xA9)


def gb2312_level1() -> set[str]:
    return gb2312_rows(0xB0, 0xD7)


def gb2312_level2() -> set[str]:
    return gb2312_rows(0xD8, 0xF7)


def scanned_characters(root: Path = ROOT) -> set[str]:
    """Every non-control character of the package's, scenarios' and notebooks' text files."""
    found: set[str] = set()
    for folder, patterns in SCANNED.items():
        for pattern in patterns:
            for path in sorted((root / folder).rglob(pattern)):
                if path.is_file():
                    found |= set(path.read_text(encoding="utf-8-sig"))
    return {char for char in found if char.isprintable()}


def wanted_characters(root: Path = ROOT) -> set[str]:
    """All characters the subset should hold (if the source font has them)."""
    wanted = scanned_characters(root) | gb2312_symbols() | gb2312_level1() | gb2312_level2()
    wanted |= set(SIGNS)
    for first, last in RANGES:
        wanted |= {chr(code) for code in range(first, last + 1)}
    return {char for char in wanted if char.isprintable() or char == "\u3000"}


def fetch_source(workdir: Path) -> tuple[Path, str, str]:
    """Download and unpack Debian's fonts-noto-cjk; (the .ttc, package version, copyright)."""
    subprocess.run(["apt-get", "download", DEBIAN_PACKAGE], cwd=workdir, check=True)
    deb = next(workdir.glob(f"{DEBIAN_PACKAGE}_*.deb"))
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True,
                             text=True, check=True).stdout.strip()
    unpacked = workdir / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    ttc = next(unpacked.rglob(TTC_NAME))
    copyright_text = (unpacked / "usr/share/doc" / DEBIAN_PACKAGE / "copyright").read_text(
        encoding="utf-8")
    return ttc, version, copyright_text


def ofl_text(copyright_text: str) -> str:
    """The SIL OFL 1.1 text of a Debian copyright file, with the font's copyright line."""
    lines = copyright_text.splitlines()
    # the licence's own paragraph: a "License: SIL-1.1" line followed by indented text
    start = next(number for number, line in enumerate(lines[:-1])
                 if line == "License: SIL-1.1" and lines[number + 1].startswith(" "))
    body = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    header = ["Noto Sans CJK: Copyright 2014-2021 Adobe (http://www.adobe.com/); "
              "Noto is a trademark of Google Inc.",
              f"(the {DEBIAN_PACKAGE} package's copyright file: 2010-2012, Google Corporation)",
              "", "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
              ""]
    return "\n".join(header + body).rstrip() + "\n"


def rename(font) -> None:
    """Give the subset its own family name (name IDs 1, 3, 4, 6, 16, 17 in every record)."""
    table = font["name"]
    new = {1: FAMILY, 3: f"{POSTSCRIPT_NAME};carefacility subset", 4: FAMILY,
           6: POSTSCRIPT_NAME, 16: FAMILY, 17: "Regular"}
    for record in list(table.names):
        if record.nameID in new:
            table.setName(new[record.nameID], record.nameID, record.platformID,
                          record.platEncID, record.langID)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [POSTSCRIPT_NAME]
        top = cff.topDictIndex[0]
        top.FullName = FAMILY
        top.FamilyName = FAMILY


def make_subset(source: Path, output: Path = OUTPUT, root: Path = ROOT) -> dict[str, int]:
    """Write the subset of face :data:`SC_FACE` of ``source``; counts of what it holds."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source), fontNumber=SC_FACE, recalcTimestamp=False, lazy=False)
    available = set(font.getBestCmap())
    wanted = {ord(char) for char in wanted_characters(root)}
    kept = sorted(wanted & available)
    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 11, 13, 14, 16, 17]
    options.name_languages = [0x0409]
    # horizontal text only: no vertical forms, no other locales' glyph variants ("locl")
    options.layout_features = list(LAYOUT_FEATURES)
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=kept)
    subsetter.subset(font)
    rename(font)
    output.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(output))
    return {"wanted": len(wanted), "kept": len(kept), "glyphs": len(font.getGlyphOrder()),
            "bytes": output.stat().st_size}


def missing_from_shipped(root: Path = ROOT) -> list[str]:
    """Characters of the package's text files that the shipped font lacks (CJK ones only)."""
    from fontTools.ttLib import TTFont

    have = set(TTFont(str(OUTPUT), lazy=True).getBestCmap())
    return sorted(char for char in scanned_characters(root)
                  if ord(char) > 0x2E7F and ord(char) not in have)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path,
                        help=f"{TTC_NAME} to subset (default: fetch {DEBIAN_PACKAGE} with apt)")
    parser.add_argument("--check", action="store_true",
                        help="only list the package's characters the shipped font lacks")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_from_shipped()
        print("".join(missing) if missing else "the shipped font has every character")
        return 1 if missing else 0
    with tempfile.TemporaryDirectory() as workdir:
        version = copyright_text = None
        source = args.source
        if source is None:
            source, version, copyright_text = fetch_source(Path(workdir))
        counts = make_subset(source, OUTPUT)
        if copyright_text is not None:
            (FONT_DIR / "OFL.txt").write_text(ofl_text(copyright_text), encoding="utf-8")
    digest = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {counts['kept']} characters of "
          f"{counts['wanted']} wanted, {counts['glyphs']} glyphs, {counts['bytes']:,} bytes")
    print(f"source: {source}" + (f" ({DEBIAN_PACKAGE} {version})" if version else ""))
    print(f"sha256: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
