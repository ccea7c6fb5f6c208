"""Read ``data/<basin>/``: basin.yaml and its CSV tables, every problem reported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from nexusmodel.basin.basin import MONTH_NAMES, MONTHS, Basin, BasinTables
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import DEFAULT_TABLES, NODE_TYPES, TABLE_UNITS, BasinFile, TableRef
from nexusmodel.errors import InputError, Problem, did_you_mean


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes an InputError naming the line."""
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found")], title="cannot read input")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem(where, f"invalid YAML: {problem}")]) from None


def pydantic_problems(exc: ValidationError, file: Path, raw: Any) -> list[Problem]:
    """Turn pydantic's errors into problems that name the node id and field, with a fix."""
    problems = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = _location(loc, raw)
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
        elif kind == "missing":
            problems.append(Problem(f"{file}: {where}", "missing required field", "add it"))
        else:
            shown = "" if isinstance(value, dict | list) else f"= {value!r}: "
            problems.append(Problem(f"{file}: {where}", f"{shown}{err['msg'].lower()}"))
    return problems


def _location(loc: list[Any], raw: Any) -> str:
    """Render a pydantic location, naming nodes by id: ``nodes[R_TOK].capacity_hm3``."""
    parts: list[str] = []
    node = raw
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
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
    return ".".join(parts)


def _valid_keys(loc: list[Any], raw: Any) -> list[str]:
    """The keys a model at this location accepts, for 'did you mean' hints."""
    from nexusmodel.basin import schema

    if loc[:1] == ["nodes"] and len(loc) >= 3 and isinstance(loc[1], int):
        node_raw = raw["nodes"][loc[1]] if isinstance(raw, dict) else {}
        kind = node_raw.get("type") if isinstance(node_raw, dict) else None
        by_type = {
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


def _read_csv(path: Path, problems: list[Problem], columns: list[str]) -> pd.DataFrame | None:
    """Read a CSV (``#`` comments allowed) and check its header has ``columns``."""
    if not path.is_file():
        problems.append(
            Problem(str(path), "file not found", "create it or fix 'tables' in basin.yaml")
        )
        return None
    try:
        frame = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), f"cannot parse CSV: {exc}"))
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(
            Problem(str(path), f"missing column(s) {missing}", f"the header must have {columns}")
        )
        return None
    for col in columns[1:]:
        if frame[col].dtype == object and col not in ("node", "crop", "bound", "date"):
            bad = frame[pd.to_numeric(frame[col], errors="coerce").isna()]
            if len(bad):
                row = int(bad.index[0]) + 2
                problems.append(
                    Problem(
                        f"{path}: row {row}, column {col}", f"= {bad[col].iloc[0]!r}: not a number"
                    )
                )
                return None
    return frame


def _monthly_columns(frame: pd.DataFrame, path: Path, problems: list[Problem]) -> pd.DataFrame:
    """Rename Jan..Dec columns to 1..12."""
    return frame.rename(columns={name: m for m, name in zip(MONTHS, MONTH_NAMES, strict=True)})


def read_tables(folder: Path, spec: BasinFile, problems: list[Problem]) -> BasinTables | None:
    """Read every CSV table a basin declares (or the default ones that exist)."""
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

    def path_of(name: str) -> Path:
        return folder / refs[name].path

    if "inflows" in refs:
        frame = _read_csv(path_of("inflows"), problems, ["month"])
        if frame is not None:
            inflows = frame.set_index("month").astype(float)
            if sorted(inflows.index) != list(MONTHS):
                problems.append(
                    Problem(str(path_of("inflows")), "must have one row for each month 1..12")
                )
            if refs["inflows"].unit == "hm3/month":
                days = pd.Series([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], index=MONTHS)
                inflows = inflows.div(days * 0.0864, axis=0)
            read["inflows"] = inflows.sort_index()
    if "inflows_historical" in refs:
        frame = _read_csv(path_of("inflows_historical"), problems, ["date"])
        if frame is not None:
            try:
                index = pd.DatetimeIndex(pd.to_datetime(frame.pop("date"), format="%Y-%m"))
            except ValueError as exc:
                problems.append(
                    Problem(str(path_of("inflows_historical")), f"bad date: {exc}", "use YYYY-MM")
                )
            else:
                hist = frame.set_index(index).astype(float)
                if refs["inflows_historical"].unit == "hm3/month":
                    hist = hist.div(hist.index.days_in_month * 0.0864, axis=0)
                read["inflows_historical"] = hist
    if "evaporation" in refs:
        frame = _read_csv(path_of("evaporation"), problems, ["node", *month_cols])
        if frame is not None:
            read["evaporation"] = _monthly_columns(
                frame.set_index("node"), path_of("evaporation"), problems
            ).astype(float)
    if "level_area_storage" in refs:
        frame = _read_csv(
            path_of("level_area_storage"), problems, ["node", "level_m", "area_km2", "storage_hm3"]
        )
        if frame is not None:
            read["level_area_storage"] = {
                str(node): group[["level_m", "area_km2", "storage_hm3"]]
                .astype(float)
                .reset_index(drop=True)
                for node, group in frame.groupby("node", sort=False)
            }
    if "rule_curves" in refs:
        frame = _read_csv(path_of("rule_curves"), problems, ["node", "bound", *month_cols])
        if frame is not None:
            read["rule_curves"] = _monthly_columns(
                frame.set_index(["node", "bound"]), path_of("rule_curves"), problems
            ).astype(float)
    if "crops" in refs:
        cols = ["crop", "ky", "max_yield_t_per_ha", "price_usd_per_t", "cost_usd_per_ha"]
        frame = _read_csv(path_of("crops"), problems, cols)
        if frame is not None:
            read["crops"] = frame.set_index("crop")[cols[1:]].astype(float)
    if "crop_water_requirements" in refs:
        frame = _read_csv(path_of("crop_water_requirements"), problems, ["crop", *month_cols])
        if frame is not None:
            read["crop_water_requirements"] = _monthly_columns(
                frame.set_index("crop"), path_of("crop_water_requirements"), problems
            ).astype(float)
    if "irrigated_areas" in refs:
        frame = _read_csv(path_of("irrigated_areas"), problems, ["node", "crop", "area_ha"])
        if frame is not None:
            read["irrigated_areas"] = frame.set_index(["node", "crop"])["area_ha"].astype(float)
    if "municipal" in refs:
        cols = ["node", "population", "per_capita_l_per_day", "industrial_hm3_per_year"]
        frame = _read_csv(path_of("municipal"), problems, cols)
        if frame is not None:
            read["municipal"] = frame.set_index("node")[cols[1:]].astype(float)
    if "energy" in refs:
        cols = [
            "node",
            "month",
            "demand_gwh",
            "thermal_cost_usd_per_mwh",
            "import_price_usd_per_mwh",
            "export_price_usd_per_mwh",
        ]
        frame = _read_csv(path_of("energy"), problems, cols)
        if frame is not None:
            read["energy"] = frame.set_index(["node", "month"])[cols[2:]].astype(float)
    if "inflows" not in read:
        return None
    return BasinTables(**read)


def load_basin(path: str | Path) -> Basin:
    """Load and validate a basin folder (or its basin.yaml); raise one InputError listing all problems."""
    path = Path(path)
    folder = path.parent if path.suffix in (".yaml", ".yml") else path
    file = folder / "basin.yaml"
    raw = read_yaml(file)
    if not isinstance(raw, dict):
        raise InputError([Problem(str(file), "must be a mapping with name, nodes and links")])
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
