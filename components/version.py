"""The package version; the component image tag derives from it."""
__version__ = "0.1.0"
