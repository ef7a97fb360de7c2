"""The work plan: plan years (1 July to 30 June), the Member administrations, the reader
of the Annual Work Plan annex and the merging of its listings into distinct activities,
the importer, activities, and the participants who attend them (with their import).

Functions take a SQLAlchemy session, flush, and never commit: the caller (a request, a
command) owns the transaction.
"""
