"""The curriculum: loading `content/` into the database, and writing it back.

Sits above the apps whose rows it writes (courses, exams): it imports their models, and
nothing imports it. `reader.py` reads and validates the tree; `services/` applies it
(`content_sync`) and exports the database (`content_export`); the `sync_content` and
`export_content` commands call them.
"""
