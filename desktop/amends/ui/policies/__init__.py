"""The Policies pane: list, editor, proposals."""
