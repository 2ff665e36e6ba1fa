"""Monitoring reports: data, exports, rating, charts, subscriber statistics."""
