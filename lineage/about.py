"""The version of lineage (here, so modules can name it without importing the package)."""

__version__ = "0.1.0"
