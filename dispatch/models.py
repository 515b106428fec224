"""Dispatch owns no tables: claim and lease state are columns of ``issues.Issue``."""
