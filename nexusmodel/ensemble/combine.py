"""The member files streamed into one NetCDF cube (dims ``option``, ``member``), memory flat.

Combining hundreds or thousands of files with ``xr.open_mfdataset`` keeps an xarray object
and a dask graph per file, measured: +490 MB at peak and 50 s for 500 members, +880 MB and
200 s for 2,000. Here the output is laid out once (the union of the options' nodes on each node dim,
HDF5 chunks of consecutive members) and each member is read, written into its slot and
dropped, so memory does not grow with the number of members and each member costs a few
milliseconds.
The per-member scalars (``values`` along ``quantity``) become one variable each. A member
without a file is ``status = "missing"`` (a rerun runs it).

The robustness summary is then computed from the finished cube (only its small variables are
read) and added to it; the file is renamed into place at the end, so an interrupted combine
leaves no partial output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import netCDF4
import numpy as np
import xarray as xr

from nexusmodel.ensemble.members import SCALARS
from nexusmodel.results.io import atomic_path

#: Dims every member shares (time axis, years) and dims whose labels may differ by option.
SHARED = ("time", "year")
NODE_DIMS = ("reservoir", "user", "plant", "environment", "terminal", "country")
TEXT = ("status", "error")
MISSING = ("missing", "no member file: a rerun of the ensemble runs it")
#: HDF5 chunks of consecutive members up to this size: members are written one after the
#: other, so a chunk fills in a small chunk cache (two chunks a variable) and is written once.
CHUNK_BYTES = 256 * 1024


def _labels(ds: netCDF4.Dataset, dim: str) -> list[str]:
    return [str(v) for v in ds.variables[dim][:]] if dim in ds.variables else []


def _layout(paths: dict[str, list[Path | None]]) -> tuple[Path, dict[str, list[str]], dict]:
    """A member file to copy the structure from, the union of node labels, user types."""
    union: dict[str, list[str]] = {d: [] for d in NODE_DIMS}
    user_type: dict[str, str] = {}
    first = None
    for files in paths.values():
        sample = next((p for p in files if p is not None), None)
        if sample is None:
            continue
        first = first or sample
        with netCDF4.Dataset(sample) as ds:
            for dim in NODE_DIMS:
                union[dim] += [v for v in _labels(ds, dim) if v not in union[dim]]
            types = _labels(ds, "user_type")
            user_type.update(zip(_labels(ds, "user"), types, strict=True))
    if first is None:
        raise FileNotFoundError("no member files to combine")
    return first, union, user_type


def _create(
    out: netCDF4.Dataset,
    sample: Path,
    options: list[str],
    members: int,
    union: dict[str, list[str]],
    user_type: dict[str, str],
) -> list[str]:
    """Dims, coordinates and empty variables of the cube; returns the data variable names."""
    out.createDimension("option", len(options))
    out.createDimension("member", members)
    out.createVariable("option", str, ("option",))[:] = np.array(options, dtype=object)
    out.createVariable("member", "i8", ("member",))[:] = np.arange(members)
    data = []
    with netCDF4.Dataset(sample) as ds:
        for dim in SHARED:
            out.createDimension(dim, len(ds.dimensions[dim]))
            source = ds.variables[dim]
            target = out.createVariable(dim, source.dtype, (dim,))
            target.setncatts({k: source.getncattr(k) for k in source.ncattrs()})
            target[:] = source[:]
        for dim, labels in union.items():
            out.createDimension(dim, len(labels))
            out.createVariable(dim, str, (dim,))[:] = np.array(labels, dtype=object)
        types = [user_type.get(u, "") for u in union["user"]]
        out.createVariable("user_type", str, ("user",))[:] = np.array(types, dtype=object)
        for name, source in ds.variables.items():
            dims = source.dimensions
            if dims[:2] != ("option", "member") or name in TEXT or name == "values":
                continue
            shape = [len(out.dimensions[d]) for d in dims]
            per_member = int(np.prod(shape[2:])) * 8  # bytes
            block = max(1, min(members, CHUNK_BYTES // max(per_member, 1)))
            target = out.createVariable(
                name, "f8", dims, fill_value=np.nan, chunksizes=[1, block, *shape[2:]]
            )
            # netCDF's default cache (64 MB a variable) would keep every chunk written
            target.set_var_chunk_cache(size=2 * block * per_member, nelems=17, preemption=1.0)
            attrs = {k: source.getncattr(k) for k in source.ncattrs() if k != "_FillValue"}
            target.setncatts(attrs)
            data.append(name)
        for name, (units, long_name) in SCALARS.items():
            target = out.createVariable(name, "f8", ("option", "member"), fill_value=np.nan)
            target.setncatts({"units": units, "long_name": long_name})
        for name in TEXT:
            target = out.createVariable(name, str, ("option", "member"))
            target.setncatts({"long_name": ds.variables[name].getncattr("long_name")})
    return data


def _copy_member(
    out: netCDF4.Dataset, path: Path, o: int, k: int, data: list[str], union: dict[str, list[str]]
) -> str:
    """Write one member file into its slot; return its status."""
    with netCDF4.Dataset(path) as ds:
        ds.set_auto_mask(False)
        where: dict[str, object] = {}
        for dim in NODE_DIMS:
            labels = _labels(ds, dim)
            where[dim] = (
                slice(None)
                if labels == union[dim]
                else [union[dim].index(v) for v in labels] or slice(0, 0)
            )
        for name in data:
            source = ds.variables[name]
            index = (o, k, *[where.get(d, slice(None)) for d in source.dimensions[2:]])
            out.variables[name][index] = source[0, 0]
        quantities = _labels(ds, "quantity")
        values = ds.variables["values"][0, 0]
        for name, value in zip(quantities, values, strict=True):
            if name in out.variables:
                out.variables[name][o, k] = value
        status = str(ds.variables["status"][0, 0])
        out.variables["status"][o, k] = status
        out.variables["error"][o, k] = str(ds.variables["error"][0, 0])
    return status


def combine_members(
    paths: dict[str, list[Path | None]],
    output: Path,
    attrs: dict[str, object],
    summarize: Callable[[xr.Dataset], xr.Dataset],
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Stream ``{option: [member file or None, ...]}`` into ``output``; return the summary.

    ``summarize(cube)`` computes the robustness summary from the finished cube; it is added
    to the file before the file is renamed into place.
    """
    options = list(paths)
    members = max(len(files) for files in paths.values())
    sample, union, user_type = _layout(paths)
    with atomic_path(output) as tmp:
        with netCDF4.Dataset(str(tmp), "w", format="NETCDF4") as out:
            data = _create(out, sample, options, members, union, user_type)
            out.setncatts(
                {k: str(v) if isinstance(v, bool | list | tuple) else v for k, v in attrs.items()}
            )
            for o, option in enumerate(options):
                for k, path in enumerate(paths[option]):
                    if path is None:
                        out.variables["status"][o, k] = MISSING[0]
                        out.variables["error"][o, k] = MISSING[1]
                    else:
                        _copy_member(out, path, o, k, data, union)
                    if progress is not None:
                        progress(1)
        with xr.open_dataset(tmp, engine="h5netcdf") as cube:
            summary = summarize(cube)
        coords = [c for c in summary.coords if c in ("option", "member")]
        summary.drop_vars(coords).to_netcdf(tmp, mode="a", engine="h5netcdf")
    return summary
