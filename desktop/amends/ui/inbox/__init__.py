"""The Inbox pane: views, the paged ticket list, triage on a selection."""
