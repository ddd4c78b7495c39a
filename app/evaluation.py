"""Page script of the Evaluation page (content in :mod:`ui.eval_page`)."""

from ui import eval_page

eval_page.page()
