"""Page script of the Corpus page (content in :mod:`ui.corpus_page`)."""

from ui import corpus_page

corpus_page.page()
