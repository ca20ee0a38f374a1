"""Importing leads from CSV and XLSX files: reading the table, then mapping its columns to lead fields."""
