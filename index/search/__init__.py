"""Answering a question from a loaded index: candidates, fusion, grouping, best sentences."""
