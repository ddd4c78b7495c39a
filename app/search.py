"""Page script of the Search page (content in :mod:`ui.search_page`)."""

from ui import search_page

search_page.page()
