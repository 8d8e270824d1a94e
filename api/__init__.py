"""The JSON API (`/api/v1/`), on django-ninja: OpenAPI 3.1 from typed operations.

It sits at the top of the layers, below `config` only: it reads the apps' selectors
and shapes their answers for machines; it holds no rows and no rules of its own.
Every error it answers is an RFC 9457 problem (`api.problems`).
"""
