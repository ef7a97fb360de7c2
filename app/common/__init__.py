"""What several domains share and none owns: reading an uploaded table (CSV or XLSX) and
the row errors of a table import, choices for form fields, and the application's clock."""
