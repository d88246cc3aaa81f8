"""Shared test set-up: headless matplotlib and per-user folders kept out of HOME."""

import os
import tempfile

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
# Hypothesis and matplotlib write caches; keep them out of the user's folders.
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="rare-cases-mpl-"))
