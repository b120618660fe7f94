"""One ticket: conversation, fields, composer, saved replies."""
