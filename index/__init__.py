"""The index stage: the embedding model (``model``), the on-disk index (``storage``) and
answering questions from it (``search``)."""
