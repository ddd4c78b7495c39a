"""The embedding model runtime: which model, which backend, how texts become vectors."""
