"""Broadcasts: composing, the outbox and its delivery worker, recall, the members' archive."""
