"""Mail account and outbox."""
