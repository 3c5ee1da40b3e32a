"""Compile templates and URL builders once per test process, not once per app.

The suite makes a new app for nearly every test. Each app's Jinja environment compiled every
template it rendered from source again, and werkzeug compiled two URL builders per rule
(Python source through `ast` and `compile`, ~110 ms an app): together the largest share of
the CPU of a page test. A deployment makes one app per process, so the application itself is
left as it is; tests/conftest.py calls `install()`.

- Templates: Jinja's own bytecode cache (a public API), kept in memory and shared by every
  environment. Jinja checks each entry against the template source's checksum.
- URL builders: the code werkzeug generates depends only on the rule's parts and on the
  defaults it folds in as constants; the converters are looked up on the rule at call time
  (`self._converters[...]`), so one compiled function serves the same rule in every app.
"""
from __future__ import annotations

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule


class MemoryBytecodeCache(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_BUILDERS: dict[tuple, object] = {}


def _builder_key(rule: Rule, append_unknown: bool) -> tuple:
    defaults = rule.defaults or {}
    folded = tuple(
        (data, rule._converters[data].to_url(defaults[data]))
        for dynamic, data in rule._trace if dynamic and data in defaults
    )
    return (append_unknown, tuple(rule._trace), folded)


def install() -> None:
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": MemoryBytecodeCache()}

    compile_builder = Rule._compile_builder

    def compiled_once(self: Rule, append_unknown: bool = True):
        key = _builder_key(self, append_unknown)
        found = _BUILDERS.get(key)
        if found is None:
            found = _BUILDERS[key] = compile_builder(self, append_unknown)
        return found

    Rule._compile_builder = compiled_once
