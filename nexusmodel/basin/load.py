"""Read ``data/<basin>/``: basin.yaml and its CSV tables, every problem reported at once."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from nexusmodel.basin.basin import (
    CROP_COLUMNS,
    ENERGY_COLUMNS,
    MEAN_MONTH_DAYS,
    MONTH_NAMES,
    MONTHS,
    MUNICIPAL_COLUMNS,
    Basin,
    BasinTables,
)
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import (
    DEFAULT_TABLES,
    MAX_MAGNITUDE,
    NODE_TYPES,
    TABLE_UNITS,
    BasinFile,
    TableRef,
)
from nexusmodel.basin.yaml_file import read_yaml
from nexusmodel.errors import InputError, Problem, did_you_mean


def pydantic_problems(exc: ValidationError, file: Path, raw: Any) -> list[Problem]:
    """Turn pydantic's errors into problems that name the node id and field, with a fix."""
    problems: list[Problem] = []
    union_fields: dict[str, int] = {}  # location of a union field -> its problem's index
    for err in exc.errors():
        loc = list(err["loc"])
        where, branch = _where(loc, raw)
        value = err.get("input")
        kind = err["type"]
        if kind == "extra_forbidden":
            valid = _valid_keys(loc, raw)
            fix = did_you_mean(str(loc[-1]), valid) if valid else "remove it"
            problems.append(Problem(f"{file}: {where}", "unknown key", fix))
        elif kind == "union_tag_invalid":
            tag = value.get("type") if isinstance(value, dict) else value
            problems.append(
                Problem(
                    f"{file}: {where}.type",
                    f"= {tag!r}: not a node type",
                    did_you_mean(str(tag), NODE_TYPES),
                )
            )
        elif kind == "union_tag_not_found":
            problems.append(
                Problem(
                    f"{file}: {where}.type",
                    "missing node type",
                    "add 'type:', one of " + ", ".join(NODE_TYPES),
                )
            )
        elif kind == "missing":
            problems.append(Problem(f"{file}: {where}", "missing required field", "add it"))
        else:
            shown = "" if isinstance(value, dict | list) else f"= {value!r}: "
            message = err["msg"][:1].lower() + err["msg"][1:]
            problem = Problem(f"{file}: {where}", f"{shown}{message}", _fix_for(err))
            if branch and problem.location in union_fields:  # one problem per union field
                i = union_fields[problem.location]
                old = problems[i]
                problems[i] = Problem(
                    old.location, f"{old.message}, or {message}", f"{old.fix}, or {problem.fix}"
                )
                continue
            if branch:
                union_fields[problem.location] = len(problems)
            problems.append(problem)
    return problems


def _fix_for(err: Any) -> str:
    """A fix for the common pydantic error kinds (ranges, types, lengths, choices)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"use a value {sign} {ctx.get(key)}"
    if kind in ("too_short", "too_long"):
        lo, hi = ctx.get("min_length"), ctx.get("max_length")
        if 12 in (lo, hi):
            return "give 12 monthly values, January to December"
        return f"give at least {lo} item(s)" if kind == "too_short" else f"give at most {hi}"
    if kind == "literal_error":
        return f"use {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return "use letters, digits and '_', starting with a letter"
    if kind == "finite_number":
        return "use a finite number (.inf and .nan are not numbers a basin can hold)"
    if kind in ("float_type", "int_type") and isinstance(err.get("input"), bool):
        return "use a number (true and false are not numbers)"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        return "use a number" if "float" in kind else "use a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "use true or false"
    if kind == "string_type":
        return "use text (quote it if YAML reads it as something else)"
    if kind in ("list_type", "tuple_type"):
        return "use a list, e.g. [a, b]"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "use a mapping of key: value lines"
    return ""


def _location(loc: list[Any], raw: Any) -> str:
    """Render a pydantic location, naming nodes by id: ``nodes[R_TOK].capacity_hm3``."""
    return _where(loc, raw)[0]


def _where(loc: list[Any], raw: Any) -> tuple[str, bool]:
    """The location as :func:`_location` renders it, and whether it passed a union branch.

    Pydantic names the branch of a union it tried (``list[float]``, ``constrained-float``)
    as a step of the location; such steps are left out (a string step on a list or a value).
    """
    parts: list[str] = []
    node = raw
    branch = False
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, str) and node is not None and not isinstance(node, dict):
            branch = True  # a union branch tag: not part of the file's structure
        elif isinstance(key, int) and isinstance(node, list) and key < len(node):
            item = node[key]
            label = item.get("id") if isinstance(item, dict) else None
            if label is None and isinstance(item, dict) and "from" in item:
                label = f"{item.get('from')}>{item.get('to')}"
            parts[-1] = f"{parts[-1]}[{label if label is not None else key}]" if parts else str(key)
            node = item
            # skip pydantic's discriminator tag step (e.g. 'reservoir') after a list index
            if i + 1 < len(loc) and isinstance(item, dict) and loc[i + 1] == item.get("type"):
                i += 1
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
        i += 1
    return ".".join(parts), branch


def _valid_keys(loc: list[Any], raw: Any) -> list[str]:
    """The keys a model at this location accepts, for 'did you mean' hints."""
    from nexusmodel.basin import schema

    if loc[:1] == ["nodes"] and len(loc) >= 3 and isinstance(loc[1], int):
        node_raw = raw["nodes"][loc[1]] if isinstance(raw, dict) else {}
        kind = node_raw.get("type") if isinstance(node_raw, dict) else None
        by_type: dict[str, type[schema.Spec]] = {
            "source": schema.SourceNode,
            "reservoir": schema.ReservoirNode,
            "hydropower": schema.HydropowerNode,
            "irrigation": schema.IrrigationNode,
            "municipal": schema.MunicipalNode,
            "demand": schema.DemandNode,
            "environment": schema.EnvironmentNode,
            "junction": schema.JunctionNode,
            "sink": schema.SinkNode,
            "energy_system": schema.EnergySystemNode,
        }
        model = by_type.get(kind or "")
        if model is not None and len(loc) == 4:
            return list(model.model_fields)
        if model is schema.ReservoirNode and len(loc) == 5 and loc[3] == "hydropower":
            return list(schema.PlantSpec.model_fields)
        return []
    if loc[:1] == ["links"] and len(loc) == 3:
        return [f.alias or name for name, f in schema.LinkSpec.model_fields.items()]
    if len(loc) == 1:
        return list(BasinFile.model_fields)
    return []


TEXT_COLUMNS = ("node", "crop", "bound", "date")


class _Csv:
    """A CSV table as read: the frame and the file line of each data row (for messages)."""

    def __init__(self, path: Path, frame: pd.DataFrame, lines: list[int]) -> None:
        self.path = path
        self.frame = frame
        self.lines = lines

    def where(self, position: int, column: str | None = None) -> str:
        """``file: line N[, column c]`` for the data row at ``position``."""
        line = self.lines[position] if position < len(self.lines) else position + 2
        return f"{self.path}: line {line}" + (f", column {column}" if column else "")


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(file line, cells) of the header and data rows: not blank, without ``#`` comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    rows = [(i + 1, line.split("#")[0]) for i, line in enumerate(text.splitlines())]
    kept = [(n, line) for n, line in rows if line.strip()]
    return [
        (n, [c.strip() for c in cells])
        for (n, _), cells in zip(kept, csv.reader([line for _, line in kept]), strict=True)
    ]


def _ragged_row(rows: list[tuple[int, list[str]]]) -> tuple[int, int] | None:
    """(line, number of values) of the first data row without one value per column."""
    width = len(rows[0][1]) if rows else 0
    for number, cells in rows[1:]:
        if len(cells) != width:
            return number, len(cells)
    return None


def _read_csv(
    path: Path, problems: list[Problem], columns: list[str], *, all_numeric: bool = False
) -> _Csv | None:
    """Read a CSV (``#`` comments allowed), check the header has ``columns`` and the values.

    Every column of ``columns`` but the text ones (node, crop, bound, date) must hold numbers
    in every row, and so must every other column when ``all_numeric``. None if unreadable.
    """
    if not path.is_file():
        problems.append(
            Problem(str(path), "file not found", "create it or fix 'tables' in basin.yaml")
        )
        return None
    try:
        # keep_default_na=False: a cell 'nan' or 'NA' is text to check, not a silent gap
        frame = pd.read_csv(path, comment="#", skipinitialspace=True, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        problems.append(
            Problem(str(path), f"cannot parse CSV: {reason}", "use comma-separated UTF-8 text")
        )
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    rows = _rows(path)
    table = _Csv(path, frame, [n for n, _ in rows[1:]])
    header = rows[0][1] if rows else []
    width = _ragged_row(rows)
    if width is not None:  # pandas would take a long first row's first cell as an index
        line, count = width
        problems.append(
            Problem(
                f"{path}: line {line}",
                f"{count} values for {len(header)} columns",
                "one value per column (a ',' inside a number? use '.' for decimals)",
            )
        )
        return None
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:  # pandas would rename the second one 'x.1' and the table would ignore it
        problems.append(
            Problem(f"{path}: line 1", f"column(s) {repeated} appear twice", "keep one of each")
        )
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(
            Problem(
                str(path),
                f"missing column(s) {missing} (header has {list(frame.columns)})",
                f"the header must have {columns}",
            )
        )
        return None
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        problems.append(
            Problem(str(path), f"column(s) {duplicated} appear twice", "keep one of each")
        )
        return None
    ok = True
    checked = list(frame.columns) if all_numeric else columns
    for col in checked:
        empty = frame[col].astype(str).str.strip() == ""  # a written "nan" is not empty
        if empty.any():
            position = int(np.flatnonzero(empty.to_numpy())[0])
            fix = "fill in a number" if col not in TEXT_COLUMNS else f"fill in the {col}"
            problems.append(Problem(table.where(position, col), "empty value", fix))
            ok = False
            continue
        if col in TEXT_COLUMNS:
            frame[col] = frame[col].astype(str).str.strip()
            continue
        if frame[col].dtype == bool:
            problems.append(
                Problem(
                    table.where(0, col),
                    f"= {bool(frame[col].iloc[0])}: true/false, not a number",
                    "use a plain number",
                )
            )
            ok = False
            continue
        numbers = pd.to_numeric(frame[col], errors="coerce")
        written_nan = frame[col].astype(str).str.strip().str.lower().str.lstrip("+-") == "nan"
        huge = written_nan | (~numbers.isna() & ~(numbers.abs() <= MAX_MAGNITUDE))  # inf, 1e400
        if huge.any():
            position = int(np.flatnonzero(huge.to_numpy())[0])
            value = float(numbers.iloc[position])
            what = (
                f"larger than {MAX_MAGNITUDE:g} in magnitude"
                if np.isfinite(value)
                else "not a finite number"
            )
            problems.append(
                Problem(
                    table.where(position, col),
                    f"= {value:g}: {what}",
                    "use a plain finite number (inf, nan and 1e400 are not quantities)",
                )
            )
            ok = False
            continue
        if numbers.isna().any():
            position = int(np.flatnonzero(numbers.isna().to_numpy())[0])
            problems.append(
                Problem(
                    table.where(position, col),
                    f"= {frame[col].iloc[position]!r}: not a number",
                    "use a plain number (a '.' for decimals, no units or thousands separators)",
                )
            )
            ok = False
            continue
        frame[col] = numbers.astype(float)
    return table if ok else None


def _unique(table: _Csv, keys: list[str], problems: list[Problem]) -> pd.DataFrame:
    """The table without repeated keys (the first row is kept); each repeat is a problem."""
    frame = table.frame
    repeated = frame.duplicated(subset=keys, keep="first").to_numpy()
    for position in np.flatnonzero(repeated):
        key = ", ".join(f"{k} {frame[k].iloc[position]}" for k in keys)
        problems.append(
            Problem(table.where(int(position)), f"{key} appears twice", "keep one row for it")
        )
    return frame[~repeated]


def _whole_months(table: _Csv, problems: list[Problem]) -> bool:
    """Make the ``month`` column integers; a problem (and False) for any value not 1..12."""
    months = table.frame["month"]
    bad = ~months.isin(list(MONTHS))
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        problems.append(
            Problem(
                table.where(position, "month"),
                f"= {months.iloc[position]:g}: not a month",
                "use a whole number from 1 to 12",
            )
        )
        return False
    table.frame["month"] = months.astype(int)
    return True


def _monthly_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the Jan..Dec columns, renamed 1..12."""
    frame = frame[list(MONTH_NAMES)]
    return frame.rename(columns={name: m for m, name in zip(MONTHS, MONTH_NAMES, strict=True)})


def read_tables(folder: Path, spec: BasinFile, problems: list[Problem]) -> BasinTables | None:
    """Read every CSV table a basin declares (or the default ones that exist).

    Returns None when a table cannot be read (missing file, column or number): the problems
    then say why, and the checks of meaning (which would only repeat them) are not run.
    """
    refs: dict[str, TableRef] = {}
    for name, ref in spec.tables.items():
        if name not in TABLE_UNITS:
            problems.append(
                Problem(
                    f"{folder / 'basin.yaml'}: tables.{name}",
                    "unknown table",
                    did_you_mean(name, TABLE_UNITS),
                )
            )
            continue
        allowed, _ = TABLE_UNITS[name]
        if ref.unit not in allowed:
            problems.append(
                Problem(
                    f"{folder / 'basin.yaml'}: tables.{name}.unit",
                    f"= {ref.unit!r}: not a unit this table accepts",
                    "use " + " or ".join(repr(a) for a in allowed),
                )
            )
        refs[name] = ref
    for name, ref in DEFAULT_TABLES.items():
        if name not in refs and (folder / ref.path).is_file():
            refs[name] = ref
    for name, (_, required) in TABLE_UNITS.items():
        if required and name not in refs:
            problems.append(
                Problem(
                    str(folder / DEFAULT_TABLES[name].path),
                    "file not found",
                    f"the {name} table is required",
                )
            )
    month_cols = list(MONTH_NAMES)
    read: dict[str, Any] = {}
    failed = False

    def table(name: str, columns: list[str], all_numeric: bool = False) -> _Csv | None:
        nonlocal failed
        if name not in refs:
            return None
        csv = _read_csv(folder / refs[name].path, problems, columns, all_numeric=all_numeric)
        failed = failed or csv is None
        return csv

    if (csv := table("inflows", ["month"], all_numeric=True)) and not _whole_months(csv, problems):
        failed = True
    elif csv:
        inflows = _unique(csv, ["month"], problems).set_index("month")
        if sorted(inflows.index) != list(MONTHS):
            problems.append(
                Problem(
                    str(csv.path),
                    f"months {sorted(inflows.index)}: must have one row for each month 1..12",
                    "give 12 rows, month = 1 to 12",
                )
            )
        if refs["inflows"].unit == "hm3/month":
            days = pd.Series(MEAN_MONTH_DAYS, index=MONTHS)
            inflows = inflows.div(days * 0.0864, axis=0)
        read["inflows"] = inflows.sort_index()
    if csv := table("inflows_historical", ["date"], all_numeric=True):
        frame = _unique(csv, ["date"], problems)
        try:
            index = pd.DatetimeIndex(pd.to_datetime(frame["date"], format="%Y-%m"))
        except ValueError as exc:
            problems.append(Problem(str(csv.path), f"bad date: {exc}", "use YYYY-MM"))
            failed = True
        else:
            hist = frame.drop(columns="date").set_index(index)
            if refs["inflows_historical"].unit == "hm3/month":
                hist = hist.div(hist.index.days_in_month * 0.0864, axis=0)
            read["inflows_historical"] = hist
    if csv := table("evaporation", ["node", *month_cols]):
        frame = _unique(csv, ["node"], problems).set_index("node")
        read["evaporation"] = _monthly_columns(frame)
    if csv := table("level_area_storage", ["node", "level_m", "area_km2", "storage_hm3"]):
        read["level_area_storage"] = {
            str(node): group[["level_m", "area_km2", "storage_hm3"]].reset_index(drop=True)
            for node, group in csv.frame.groupby("node", sort=False)
        }
    if csv := table("rule_curves", ["node", "bound", *month_cols]):
        frame = _unique(csv, ["node", "bound"], problems).set_index(["node", "bound"])
        read["rule_curves"] = _monthly_columns(frame)
    if csv := table("crops", ["crop", *CROP_COLUMNS]):
        read["crops"] = _unique(csv, ["crop"], problems).set_index("crop")[CROP_COLUMNS]
    if csv := table("crop_water_requirements", ["crop", *month_cols]):
        frame = _unique(csv, ["crop"], problems).set_index("crop")
        read["crop_water_requirements"] = _monthly_columns(frame)
    if csv := table("irrigated_areas", ["node", "crop", "area_ha"]):
        frame = _unique(csv, ["node", "crop"], problems).set_index(["node", "crop"])
        read["irrigated_areas"] = frame["area_ha"]
    if csv := table("municipal", ["node", *MUNICIPAL_COLUMNS]):
        frame = _unique(csv, ["node"], problems).set_index("node")
        read["municipal"] = frame[MUNICIPAL_COLUMNS]
    if (csv := table("energy", ["node", "month", *ENERGY_COLUMNS])) and not _whole_months(
        csv, problems
    ):
        failed = True
    elif csv:
        frame = _unique(csv, ["node", "month"], problems)
        read["energy"] = frame.set_index(["node", "month"])[ENERGY_COLUMNS]
    if failed or "inflows" not in read:
        return None
    return BasinTables(**read)  # tables a basin leaves out default to empty, shaped ones


def load_basin(path: str | Path) -> Basin:
    """Load and validate a basin folder (or its basin.yaml); raise one InputError listing all problems."""
    path = Path(path)
    folder = path.parent if path.suffix in (".yaml", ".yml") else path
    file = folder / "basin.yaml"
    raw = read_yaml(file)
    if not isinstance(raw, dict):
        raise InputError(
            [
                Problem(
                    str(file),
                    f"is {type(raw).__name__}, not a mapping",
                    "write 'key: value' lines: name, description, countries, nodes, links, ...",
                )
            ]
        )
    try:
        spec = BasinFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(
            pydantic_problems(exc, file, raw), title=f"invalid basin {folder}"
        ) from None
    problems: list[Problem] = []
    tables = read_tables(folder, spec, problems)
    if tables is None:
        raise InputError(problems, title=f"invalid basin {folder}")
    basin = Basin(spec=spec, tables=tables, path=folder)
    problems += check_basin(basin)
    if problems:
        raise InputError(problems, title=f"invalid basin {folder}")
    return basin
