"""Getting tickets out: the lossless Amends exchange format, CSV (safe to
open in a spreadsheet) and JSON."""
