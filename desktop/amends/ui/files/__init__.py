"""Import, export, backups and the database doctor."""
