"""Input files are data the scenario owns: where a path in a scenario may point.

Every file a scenario names (``csv:``, ``*_csv:``) is resolved relative to the scenario file's
folder. An absolute path, or one that leads out of that folder once ``..`` and symbolic links
are resolved, is refused unless the scenario sets ``allow_files_outside: true`` at its top
level: a scenario shared with someone else then cannot make their computer read (and quote in
its messages) files the scenario does not own, such as ``/etc/passwd``.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

__all__ = ["OPT_IN", "input_file", "is_file_key"]

OPT_IN = "allow_files_outside"
"""Top-level scenario key that lets file paths leave the scenario's folder."""

def is_file_key(key: object) -> bool:
    """Whether a scenario key names an input file (``csv`` or ``..._csv``)."""
    return isinstance(key, str) and (key == "csv" or key.endswith("_csv"))


def input_file(base_dir: Path, given: str, *, allow_outside: bool = False
               ) -> tuple[Path | None, str | None]:
    """Resolve a file path written in a scenario, or say why it is refused.

    Parameters
    ----------
    base_dir : pathlib.Path
        The scenario file's folder (relative paths start there).
    given : str
        The path as written in the scenario.
    allow_outside : bool
        The scenario's ``allow_files_outside``: absolute paths and paths out of ``base_dir``
        are then accepted.

    Returns
    -------
    (pathlib.Path or None, str or None)
        The resolved path (symbolic links and ``..`` resolved), or None with the reason it is
        refused (a message without the file's content).
    """
    if not given.strip():
        return None, "empty path; give the CSV file's path relative to the scenario file"
    if "\x00" in given:
        return None, "the path contains a NUL character"
    absolute = Path(given).is_absolute() or PureWindowsPath(given).is_absolute() or (
        given.startswith(("\\", "/")))
    if absolute and not allow_outside:
        return None, (f"{given!r} is an absolute path; input files are data the scenario "
                      "owns: give a path relative to the scenario file's folder (or set "
                      f"`{OPT_IN}: true` at the top of the scenario to allow files elsewhere)")
    try:
        folder = base_dir.resolve()
        target = (folder / given).resolve()
    except (OSError, RuntimeError, ValueError) as error:
        return None, f"the path cannot be resolved ({type(error).__name__})"
    if not allow_outside and not target.is_relative_to(folder):
        return None, (f"{given!r} leads out of the scenario's folder ({folder}) once '..' and "
                      "links are resolved; input files are data the scenario owns: keep "
                      f"them in its folder or below it (or set `{OPT_IN}: true` at the top of "
                      "the scenario to allow files elsewhere)")
    return target, None
