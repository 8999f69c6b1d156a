"""YAML reading that remembers line numbers, so spec errors can say ``file, line N, key K``.

>>> doc = load_yaml_text("a: 1\\nb:\\n  c: x\\n", "demo.yaml")
>>> doc["b"]["c"], line_of(doc, "b"), line_of(doc["b"], "c")
('x', 2, 3)
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cdisckit.errors import SpecError


class LineDict(dict):
    """A dict that knows the 1-based line of each key and of itself (``__line__``) and its file."""

    lines: dict
    line: int | None = None
    file: str | None = None


class LineList(list):
    line: int | None = None
    file: str | None = None


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings/sequences record ``node.start_mark.line`` (anchors and ``<<`` merges work)."""

    filename: str | None = None

    def construct_mapping(self, node, deep=False):  # noqa: D401 - yaml hook
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)
        merged = len(node.value) - explicit  # the first `merged` pairs come from `<<:` and may be overridden
        out = LineDict()
        out.lines = {}
        out.line = node.start_mark.line + 1
        out.file = self.filename
        from_merge = set()
        for i, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            if key in out.lines and key not in from_merge:
                raise SpecError("duplicate key", file=self.filename, line=key_node.start_mark.line + 1, key=key)
            if i < merged:
                from_merge.add(key)
            else:
                from_merge.discard(key)
            out[key] = self.construct_object(value_node, deep=True)
            out.lines[key] = key_node.start_mark.line + 1
        return out

    def construct_sequence(self, node, deep=False):
        out = LineList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1
        out.file = self.filename
        return out


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def load_yaml_text(text: str, filename: str):
    """Parse YAML text into LineDict/LineList; a syntax error becomes SpecError with its line."""
    loader = _LineLoader(text)
    loader.filename = filename
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SpecError(
            f"not valid YAML: {exc.problem or exc}", file=filename, line=mark.line + 1 if mark else None
        ) from None
    finally:
        loader.dispose()


def load_yaml(path: Path):
    path = Path(path)
    if not path.exists():
        raise SpecError("mapping file not found", file=str(path))
    return load_yaml_text(path.read_text(encoding="utf-8"), str(path))


def line_of(obj, key=None) -> int | None:
    """Line of ``key`` inside a LineDict (or of the object itself when key is None)."""
    if key is not None and isinstance(obj, LineDict):
        return obj.lines.get(key, obj.line)
    return getattr(obj, "line", None)


def file_of(obj) -> str | None:
    return getattr(obj, "file", None)


def spec_error(message: str, obj, key=None, path_key: str | None = None) -> SpecError:
    """SpecError pointing at ``key`` of the YAML mapping ``obj`` (``path_key`` is the dotted key shown)."""
    return SpecError(message, file=file_of(obj), line=line_of(obj, key), key=path_key or key)
