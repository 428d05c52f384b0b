"""Exports that keep the user's code: a three-way merge per file into a directory or a bundle."""
