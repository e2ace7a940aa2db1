#!/usr/bin/env python3
"""Validates a JSON document (stdin) against a JSON Schema file (argv[1]).
Written for ceremony's tests: prints the first error and exits 1."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
doc = json.load(sys.stdin)
validator = jsonschema.Draft202012Validator(schema)
errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
if errors:
    e = errors[0]
    print(f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}")
    sys.exit(1)
print("valid")
