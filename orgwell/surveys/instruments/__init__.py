"""Survey instruments as data: definition files, their schema, the built-ins and org-owned versions.

An instrument (items, answer sets with point values, reversed items, scales with minimum answered
items and cut-offs, citation and licence) is a JSON or YAML file checked against `schema.py`, so an
organisation holding a licence for another instrument can load it without code changes.
"""
