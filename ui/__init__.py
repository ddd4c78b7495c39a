"""Building blocks of the casesearch web app (``streamlit run app.py``).

Kept apart from ``app.py`` so the parts that matter most (one shared index per server process,
safe rendering of case text, the judgment files) can be tested without a browser.
"""
