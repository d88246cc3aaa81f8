"""Sphinx configuration of the course's web edition (``make site``).

The site is built from the repository root (``sphinx-build -c docs . docs/_build/html``)
so that the pages keep the repository's layout: ``notebooks/05_smote.html``,
``data/README.html``, ``docs/instructors.html``. Links between those files work
on the site as they do in the repository, and a lesson's launch link points at
the same path in the repository.

Notebooks are rendered from their committed outputs; nothing is executed.
Every script, stylesheet and font the pages load is copied into the site
(MathJax included), so the site works with no network at all.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

# ----------------------------------------------------------------- settings to adapt
# Where your copy of the course lives. The launch links clone it; the header links to it.
# The default is a placeholder: set RARE_CASES_REPOSITORY_URL (or edit this line).
REPOSITORY_URL = os.environ.get("RARE_CASES_REPOSITORY_URL", "https://github.com/YOUR-ORGANISATION/rare-cases")
REPOSITORY_BRANCH = os.environ.get("RARE_CASES_REPOSITORY_BRANCH", "main")
# A BinderHub (the public one by default) and your JupyterHub with nbgitpuller installed.
# The JupyterHub default is a placeholder: set RARE_CASES_JUPYTERHUB_URL (or edit this line).
BINDERHUB_URL = os.environ.get("RARE_CASES_BINDERHUB_URL", "https://mybinder.org")
JUPYTERHUB_URL = os.environ.get("RARE_CASES_JUPYTERHUB_URL", "https://jupyterhub.example.org")

# ----------------------------------------------------------------- what is on the site
project = "Rare Cases"
author = "the Rare Cases authors"
copyright = "the Rare Cases authors, MIT licence"
root_doc = "docs/index"
# The lessons, the data card and the pages under docs/; nothing else in the repository.
include_patterns = ["docs/*.md", "notebooks/[0-9][0-9]_*.ipynb", "data/README.md"]
exclude_patterns = ["**/.*", "docs/_build", "release", "build", "dist"]

extensions = [
    "myst_nb",  # notebooks and MyST Markdown
    "rare_cases_site",  # docs/_ext: widget outputs as their PNG, MathJax copied in, root redirect
]
html_theme = "sphinx_book_theme"

# ----------------------------------------------------------------- notebooks and Markdown
nb_execution_mode = "off"  # committed outputs, never re-executed
# Notebooks are read through docs/_ext/rare_cases_site.py: an interactive figure shows its PNG.
nb_custom_formats = {".ipynb": "rare_cases_site.read_lesson"}
nb_ipywidgets_js = {}  # no widget manager from a CDN: interactive figures show their PNG
# $...$ and $$...$$ math, \begin{align} blocks, bare URLs as links, ::: fences.
myst_enable_extensions = ["dollarmath", "amsmath", "linkify", "colon_fence"]
myst_heading_anchors = 3  # [text](#a-heading) links inside a page

# ----------------------------------------------------------------- offline
# MathJax 3 from the django-static-mathjax wheel, copied to _static/mathjax by rare_cases_site.
mathjax_path = "mathjax/tex-chtml.js"

# ----------------------------------------------------------------- the theme
html_title = "Rare Cases"
html_favicon = "_static/favicon.svg"  # else the browser asks the server for a missing /favicon.ico
html_context = {"default_mode": "auto"}  # light or dark as the reader's system prefers
html_static_path = ["_static"]
html_css_files = ["rare-cases.css"]
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": REPOSITORY_BRANCH,
    "path_to_docs": "",  # pages sit at their repository paths
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {
        "binderhub_url": BINDERHUB_URL,
        "jupyterhub_url": JUPYTERHUB_URL,
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
}
