"""The PySide6 shell: windows, panes, dialogs, item models and workers.
Widgets never run SQL; they call :mod:`amends.core` services."""
