"""The window that holds everything: assembly, menus, status bar, tray, preferences, first run."""
