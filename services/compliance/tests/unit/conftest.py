"""The unit tests' fakes (fakes.py), importable as `compliance_unit_fakes` under pytest's importlib mode."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("compliance_unit_fakes", Path(__file__).with_name("fakes.py"))
assert _spec is not None and _spec.loader is not None
fakes = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fakes
_spec.loader.exec_module(fakes)
