"""Streaming CSV and XLSX reading for lead imports: detect the table's shape, then yield its rows one at a time.

One module per subject: reader (the entry points below), table (what they return), detect (encoding,
delimiter and header row), csv_rows and xlsx_rows (one format each). Import from here.
"""

from crm.importing.reading.reader import table_inspect, table_row, table_rows, table_sample
from crm.importing.reading.table import FileRefused, Row, TableInfo

__all__ = ["FileRefused", "Row", "TableInfo", "table_inspect", "table_row", "table_rows", "table_sample"]
