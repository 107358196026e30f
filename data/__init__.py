"""Corpus formats, Arabic text handling, label schema and feature building."""
