# Sphinx configuration of the workshop site: kernel-setup/site.sh builds it into
# site/_build/html. Sources: this folder's index.md and glossary.md, and the notebooks
# through the `notebooks` link to ../notebooks (so each notebook runs in its own folder and
# `:dep plenoptic = { path = ".." }` finds the crate).

project = "plenoptic for Rust: the workshop"
author = "the plenoptic-for-Rust contributors"
copyright = "2026, " + author

extensions = ["myst_nb"]
exclude_patterns = ["_build", "notebooks/_build", "**/.ipynb_checkpoints"]

# MyST: ::: fences for admonitions, $math$
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 2

# Execution with the `rust` kernel (evcxr through kernel-setup/evcxr-kernel.sh, which keeps
# its build folder in target/evcxr: the crate is compiled once, later builds reuse it).
# "cache": a notebook is executed again only when its code changed (jupyter-cache in
# _build/.jupyter_cache). The user and presenter versions are not executed, as in the
# workshop; exercise cells tagged skip-execution are left for the learner.
nb_execution_mode = "cache"
nb_execution_excludepatterns = ["*-users.md", "*-presenters.md"]
nb_execution_timeout = 1800
nb_execution_raise_on_error = True
nb_execution_show_tb = True
# evcxr reports a panic or a `?` error in a cell as text on stderr with an "ok" status:
# any stderr output is an error of the build (site.sh runs sphinx with -W)
nb_output_stderr = "error"
nb_kernel_rgx_aliases = {".*": "rust"}
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_title = "plenoptic for Rust"
html_sourcelink_suffix = ""
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": True,
    "show_toc_level": 2,
}
