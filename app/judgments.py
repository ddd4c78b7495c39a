"""Page script of the Judgments page (content in :mod:`ui.judgments_page`)."""

from ui import judgments_page

judgments_page.page()
