"""Helpers every stage uses: crash-safe writes, paths and configuration, GC control."""
