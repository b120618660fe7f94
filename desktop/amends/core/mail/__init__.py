"""Mail: accounts, the outbox that sends replies (and retries while the
server is away), and the passwords, which never go into the database."""
