"""casesearch: Danish/English semantic search over citizen-participation cases.

Layers, bottom to top: ``casesearch.core`` (atomic files, paths, configuration),
``casesearch.ingest`` (files to cases and chunks), ``casesearch.index`` (embedding model,
on-disk index, search), ``casesearch.eval`` (labelled questions and metrics), and the front
ends on top: ``casesearch.cli`` (the ``casesearch`` command) and ``casesearch.ui`` (the web
app). Each layer imports only the ones below it.
"""

__version__ = "0.2.0"
