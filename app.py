"""casesearch web app: search Danish and English participation cases by meaning.

Run with ``streamlit run app.py`` (``make run`` does, after bringing the index up to date);
an installed wheel serves the same app with ``casesearch app``. The app itself lives in the
``casesearch.ui`` package (``ui/`` here); this file only starts it.
"""

from casesearch.ui.app import main

main()
