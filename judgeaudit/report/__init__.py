"""Outputs: the run folder, the terminal table, the HTML and Markdown reports."""
