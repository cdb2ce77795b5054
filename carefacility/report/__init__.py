"""Everything users read: CSV tables, charts (every matplotlib import), the Excel workbook, the
self-contained HTML report, and the staged writes that keep an output folder whole."""
