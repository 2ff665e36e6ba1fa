"""What people read in the chat; one module per locale (Russian is the only one)."""
