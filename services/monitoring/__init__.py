"""Quarterly monitoring of the organisations' information work: questionnaires as data."""
