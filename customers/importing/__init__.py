"""Importing the spreadsheets people already keep: CSV (several encodings) and XLSX.

`engine.import_file` validates a whole file, reports every bad row, and writes all rows or
none (an idempotent upsert on the kind's key). The column formats are in docs/data-formats.md.
"""
