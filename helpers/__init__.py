"""Rare Cases course helpers: data, plotting style, widget plumbing and release tooling.

The algorithms the lessons teach are written in the lessons; this package only
holds what several lessons share.
"""

__version__ = "0.1.0"
