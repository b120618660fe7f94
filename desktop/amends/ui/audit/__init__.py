"""The Audit pane."""
