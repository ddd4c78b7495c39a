"""The index on disk: segments of vectors and term counts, the manifest, builds and updates."""
