"""The package version (one place, imported by the public face, the CLI and run metadata)."""

__version__ = "0.1.0"
