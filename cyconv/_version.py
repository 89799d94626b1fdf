"""The package version, defined in this one place (pyproject reads it)."""
__version__ = "0.1.0"
