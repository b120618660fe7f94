"""The Review pane: the three gaps, charts."""
