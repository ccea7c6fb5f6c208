"""Issue 17: hostile and careless inputs get a named error (exit 2), never a program run,
a traceback, a hang or a silently accepted wrong value. One regression test per fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from basin_factory import tiny_basin
from nexusmodel.errors import InputError, SolverNameError
from nexusmodel.scenario import load_scenario
from scenario_helpers import ROOT, root_scenario


def in_process(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """The command line's ``main`` in this process: (exit code, output)."""
    from nexusmodel.cli import main

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", ["nexusmodel", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def squash(text: str) -> str:
    """Text without whitespace: rich wraps long lines at the console width."""
    return "".join(text.split())


# --------------------------------------------------------------------------- 1. solvers


def _program(tmp_path: Path) -> tuple[Path, Path]:
    """An executable that leaves a marker file when it is run."""
    marker = tmp_path / "ran"
    prog = tmp_path / "prog"
    prog.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    prog.chmod(0o755)
    return prog, marker


def test_a_scenario_file_cannot_name_a_program_as_solver(tmp_path, capsys, monkeypatch):
    prog, marker = _program(tmp_path)
    path = root_scenario(tmp_path, f"solve: {{solver: {prog}}}\n", years=1)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    text = str(err.value)
    assert f"{path}: solve.solver" in text and "never a path" in text
    code, out = in_process(capsys, monkeypatch, "run", path, "-o", tmp_path / "r.nc")
    assert code == 2 and "Traceback" not in out
    assert not marker.exists()


def test_a_scenario_file_may_name_only_highs_other_solvers_come_from_the_user(tmp_path):
    path = root_scenario(tmp_path, "solve: {solver: cbc}\n", years=1)
    with pytest.raises(InputError, match=r"run --solver cbc"):
        load_scenario(path)
    ok = root_scenario(tmp_path, "solve: {solver: highs}\n", years=1, name="ok.yaml")
    scenario = load_scenario(ok)
    assert scenario.options.solver == "highs"
    assert scenario.with_solver("glpk").options.solver == "glpk"
    with pytest.raises(SolverNameError, match=r"--solver: = '/bin/sh'"):
        scenario.with_solver("/bin/sh")


def test_the_command_line_refuses_a_solver_path(tmp_path, capsys, monkeypatch):
    prog, marker = _program(tmp_path)
    path = root_scenario(tmp_path, years=1)
    code, out = in_process(capsys, monkeypatch, "run", path, "--solver", prog)
    assert code == 2 and "notaknownsolvername" in squash(out) and "Traceback" not in out
    assert not marker.exists()


def test_the_pyomo_call_site_refuses_an_unknown_name(tmp_path):
    from model_factory import link, make_basin, node
    from nexusmodel.model import build_model
    from nexusmodel.model.options import ModelOptions
    from nexusmodel.solve import _solve_with_pyomo

    prog, marker = _program(tmp_path)
    basin = make_basin([node("S", "source"), node("O", "sink")], [link("S", "O")])
    model = build_model(basin, ModelOptions())
    with pytest.raises(SolverNameError):
        _solve_with_pyomo(model, str(prog))
    assert not marker.exists()


# --------------------------------------------------------------------------- 2. YAML


def _alias_bomb() -> str:
    """The 715-byte kind of scenario: nine levels of aliases, 10**9 strings once expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return "description:\n  " + "\n  ".join(lines) + "\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (_alias_bomb(), 2, "anchors and aliases"),
        ("description: x\nhorizon: &h {years: 2}\n", 2, "anchors and aliases"),
        ("hydrology: " + "[" * 1000 + "]" * 1000 + "\n", 1, "nested more than 32 levels"),
        ("hydrology:\n  kind: climatology\n  kind: historical\n", 3, "key 'kind' appears twice"),
    ],
    ids=["alias-bomb", "anchor", "deep-nesting", "duplicate-key"],
)
def test_yaml_bombs_depth_and_duplicate_keys_are_refused(tmp_path, body, line, message):
    from nexusmodel.errors import YamlSafetyError

    path = root_scenario(tmp_path, body, years=1)
    text = path.read_text()
    line += text[: text.index(body.splitlines()[0])].count("\n")  # after the root's lines
    with pytest.raises(YamlSafetyError) as err:
        load_scenario(path)
    assert f"{path}:{line}: {message}" in str(err.value)


def test_basin_yaml_uses_the_same_safe_reader(tmp_path):
    from basin_factory import tiny_basin
    from nexusmodel.basin import load_basin
    from nexusmodel.errors import YamlSafetyError

    folder = tiny_basin(tmp_path)
    file = folder / "basin.yaml"
    file.write_text(file.read_text() + "name: twice\n", encoding="utf-8")
    with pytest.raises(YamlSafetyError, match="key 'name' appears twice"):
        load_basin(folder)


# --------------------------------------------------------------------------- 3. text as text

HOSTILE = "Syr [/] Darya [link=http://evil.example]click[/link] [bold]\x1b[31mred\x07"


def test_validate_prints_names_from_files_as_text(tmp_path, capsys, monkeypatch):
    from basin_factory import tiny_basin_parts

    parts = tiny_basin_parts()
    for node in parts["nodes"]:
        if node["country"] == "BB":
            node["country"] = "B[/]B\x1b[2J"
    folder = tiny_basin(tmp_path, nodes=parts["nodes"], name=HOSTILE)
    code, out = in_process(capsys, monkeypatch, "validate", folder)
    assert code == 0, out
    assert "Syr [/] Darya [link=http://evil.example]click[/link] [bold]?[31mred?" in out
    assert "B[/]B?[2J" in out
    assert "\x1b" not in out and "\x07" not in out


def test_show_prints_a_description_from_a_file_as_text(tmp_path, capsys, monkeypatch):
    body = 'description: "[/] [link=file:///etc/passwd]x[/link] \\e[31mred"\n'
    path = root_scenario(tmp_path, body, years=1)
    code, out = in_process(capsys, monkeypatch, "show", path)
    assert code == 0, out
    assert "[/] [link=file:///etc/passwd]x[/link] ?[31mred" in out
    assert "\x1b" not in out


def test_an_error_message_with_markup_and_escapes_is_printed_as_text(tmp_path, capsys, monkeypatch):
    path = root_scenario(tmp_path, 'horizon: {start: "[/]\\e[31m"}\n', years=1)
    code, out = in_process(capsys, monkeypatch, "show", path)
    assert code == 2 and "Traceback" not in out
    assert "'[/]\\x1b[31m': not a month" in out  # the repr, as text
    assert "\x1b" not in out


def test_run_summary_and_robustness_tables_print_names_as_text():
    import io

    import numpy as np
    import xarray as xr
    from rich.console import Console

    from nexusmodel.ensemble.robustness import robustness_table

    summary = xr.Dataset(
        {
            name: ("option", np.array([1.0]))
            for name in (
                "members_ok",
                "failed",
                "regret_mean",
                "regret_max",
                "best_share",
                "p_terminal",
                "p_municipal",
                "p_winter_energy",
            )
        },
        coords={"option": [HOSTILE]},
    )
    buffer = io.StringIO()
    Console(file=buffer, width=300).print(robustness_table(summary))
    out = buffer.getvalue()
    assert "Syr [/] Darya" in out and "\x1b" not in out


# --------------------------------------------------------------------------- 4. numbers


def _basin_problems(folder: Path) -> str:
    from nexusmodel.basin import load_basin

    with pytest.raises(InputError) as err:
        load_basin(folder)
    return str(err.value)


@pytest.mark.parametrize(
    ("node", "field", "value", "message"),
    [
        ("R1", ("hydropower", "installed_mw"), float("inf"), "= inf: input should be a finite"),
        ("R1", ("hydropower", "tailwater_level_m"), float("-inf"), "= -inf: input should be a"),
        ("R1", ("capacity_hm3",), True, "= True: input should be a valid number"),
        ("R1", ("capacity_hm3",), float("nan"), "= nan: input should be a finite number"),
        ("R1", ("capacity_hm3",), 1e300, "= 1e+300: input should be less than or equal to 1000"),
        ("D1", ("return_fraction",), False, "= False: input should be a valid number"),
    ],
)
def test_basin_numbers_must_be_finite_numbers(tmp_path, node, field, value, message):
    from basin_factory import tiny_basin_parts

    parts = tiny_basin_parts()
    spec = next(n for n in parts["nodes"] if n["id"] == node)
    for key in field[:-1]:
        spec = spec[key]
    spec[field[-1]] = value
    folder = tiny_basin(tmp_path, nodes=parts["nodes"])
    text = _basin_problems(folder)
    assert f"basin.yaml: nodes[{node}].{'.'.join(field)}: {message}" in text


def test_a_link_cost_of_nan_is_refused(tmp_path):
    from basin_factory import tiny_basin_parts

    parts = tiny_basin_parts()
    parts["links"][0]["cost_usd_per_m3"] = float("nan")
    text = _basin_problems(tiny_basin(tmp_path, links=parts["links"]))
    assert "basin.yaml: links[S1>R1].cost_usd_per_m3: = nan: input should be a finite" in text


@pytest.mark.parametrize(
    ("table", "cell", "message"),
    [
        ("irrigated_areas.csv", ("3000.0", "inf"), "column area_ha: = inf: not a finite number"),
        ("irrigated_areas.csv", ("3000.0", "nan"), "column area_ha: = nan: not a finite number"),
        ("inflows.csv", ("5", "1e400"), "column S1: = inf: not a finite number"),
        ("inflows.csv", ("5", "1e13"), "column S1: = 1e+13: larger than 1e+12 in magnitude"),
    ],
)
def test_csv_cells_must_be_finite(tmp_path, table, cell, message):
    folder = tiny_basin(tmp_path)
    path = folder / table
    old, new = cell
    path.write_text(path.read_text().replace(old, new, 1), encoding="utf-8")
    text = _basin_problems(folder)
    assert f"{path}: line 2, {message}" in text


def test_a_csv_column_given_twice_is_refused_not_renamed(tmp_path):
    folder = tiny_basin(tmp_path)
    path = folder / "irrigated_areas.csv"
    lines = path.read_text().splitlines()
    lines = [f"{lines[0]},area_ha"] + [f"{line},1.0" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert f"{path}: line 1: column(s) ['area_ha'] appear twice" in _basin_problems(folder)


def test_a_csv_column_of_true_false_is_not_read_as_numbers(tmp_path):
    folder = tiny_basin(tmp_path)
    path = folder / "irrigated_areas.csv"
    path.write_text(path.read_text().replace("3000.0", "True").replace("2000.0", "False"))
    assert f"{path}: line 2, column area_ha: = True: true/false" in _basin_problems(folder)


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        (
            "solve: {balance_tolerance_hm3: .inf}\n",
            "solve.balance_tolerance_hm3",
            "= inf: not a finite number",
        ),
        ("solve: {discount_rate: true}\n", "solve", "discount_rate = True: use a number"),
        ("hydrology: {seed: true}\n", "hydrology.seed", "= True: true/false, not a number"),
        (
            "solve: {priorities: {municipl: 1}}\n",
            "solve.priorities",
            "unknown node type(s) ['municipl']",
        ),
        (
            "policy: {seasonal_release: {R_TOK: {months: [7, 7, 7], min_share_pct: 50}}}\n",
            "policy.seasonal_release.R_TOK",
            "months [7] are listed more than once",
        ),
        ("horizon: {start: '9999-01', years: 2}\n", "horizon", "must lie within 1800-2260"),
        (
            "hydrology: {kind: stochastic, annual_p5_km3: 1.0e+300, annual_p90_km3: 24}\n",
            "hydrology.annual_p5_km3",
            "less than or equal to 100000",
        ),
        (
            "solve: {mode: rolling, window_months: 3, keep_months: 6}\n",
            "solve",
            "keep_months 6 > window_months 3",
        ),
        ("solve: {mode: simulate, step: day}\n", "solve", "mode 'simulate' steps month by month"),
        (
            "infrastructure: {change_nodes: {R_TOK: {capacity_hm3: .inf}}}\n",
            "infrastructure.change_nodes.R_TOK.capacity_hm3",
            "= inf:",
        ),
        (
            "infrastructure:\n"
            "  add_nodes: [{id: S_NEW, type: source, name: New, country: KG}]\n"
            "  add_links: [{from: S_NEW, to: R_TOK}]\n"
            "  tables: {inflows_m3s: {S_NEW: [.inf, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}}\n"
            "climate: {snowmelt_shift: {fraction_pct: 10}}\n",
            "infrastructure.tables.inflows_m3s.S_NEW[0]",
            "= inf: not a finite number",
        ),
    ],
    ids=[
        "tolerance-inf",
        "bool-option",
        "bool-seed",
        "priority-typo",
        "month-thrice",
        "year-9999",
        "p5-1e300",
        "window-shorter-than-kept",
        "simulate-daily",
        "changed-node-inf",
        "added-source-inf",
    ],
)
def test_scenario_numbers_and_settings_are_checked_at_load(tmp_path, body, location, message):
    from nexusmodel.scenario import validate_scenario

    path = root_scenario(tmp_path, body, years=1)
    with pytest.raises(InputError) as err:
        validate_scenario(path)
    text = str(err.value)
    assert f"{path}: {location}: " in text and message in text
    assert "snowmelt" not in text


# --------------------------------------------------------------------------- 5. diagnosis


def test_diagnosis_lists_the_hard_rules_first_with_the_file_and_key_that_set_them(tmp_path):
    from nexusmodel.errors import InfeasibleError
    from nexusmodel.run import run_scenario

    # 20,000 m3/s through June is 51,840 hm3: more than Toktogul holds and receives. The
    # soft lake target of 900 km3 is breached far more, but it is paid for, not the cause.
    path = root_scenario(
        tmp_path,
        """
        policy:
          agreed_releases:
            R_TOK: {minimum: {Jun: 20000}, hard: true}
          ecological_flows:
            E_NAS: {annual_target_hm3: 900000, hard: false}
        """,
        years=1,
    )
    with pytest.raises(InfeasibleError) as err:
        run_scenario(path)
    lines = str(err.value).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  - "))
    assert "agreed minimum release of R_TOK" in lines[first]
    assert f"[set by {path}: policy.agreed_releases.R_TOK]" in " ".join(lines[first:])
    soft = lines.index("Soft rules also breached in that solution (paid at their penalty):")
    assert soft > first
    assert all("environmental annual target" not in line for line in lines[:soft])
    assert "environmental annual target of E_NAS" in " ".join(lines[soft:])


def test_a_near_zero_link_capacity_is_named_as_the_cause(tmp_path):
    from nexusmodel.errors import InfeasibleError
    from nexusmodel.run import run_scenario

    path = root_scenario(
        tmp_path,
        "infrastructure: {change_links: {'R_TOK>H_KUR': {capacity_m3s: 1.0e-9}}}\n",
        years=1,
    )
    with pytest.raises(InfeasibleError) as err:
        run_scenario(path)
    lines = str(err.value).splitlines()
    assert lines[1].startswith("water cannot leave R_TOK: every link out of it runs at its")
    assert (
        f"R_TOK>H_KUR (1e-09 m3/s, set by {path}: "
        "infrastructure.change_links.R_TOK>H_KUR.capacity_m3s)" in lines[1]
    )


def test_a_monthly_link_capacity_that_blocks_the_water_is_named_by_its_range(tmp_path):
    """A twelve-month capacity profile (an ice limit) is printed as its range, not a crash."""
    from nexusmodel.errors import InfeasibleError
    from nexusmodel.run import run_scenario

    profile = "[1.0e-9, 1.0e-9, 1.0e-9, 1.0e-9, 1.0e-9, 1.0e-9, 2.0e-9, 2.0e-9, 2.0e-9, 2.0e-9, 2.0e-9, 2.0e-9]"
    path = root_scenario(
        tmp_path,
        "infrastructure: {change_links: {'R_TOK>H_KUR': {capacity_m3s: " + profile + "}}}\n",
        years=1,
    )
    with pytest.raises(InfeasibleError) as err:
        run_scenario(path)
    lines = str(err.value).splitlines()
    assert lines[1].startswith("water cannot leave R_TOK: every link out of it runs at its")
    assert "R_TOK>H_KUR (1e-09-2e-09 by month m3/s" in lines[1]


# --------------------------------------------------------------------------- 4. absurd but valid


YEARS = 365 / 365.25  # 2025 in years of 365.25 days, as the summaries count them


@pytest.fixture(scope="module")
def soft_lake_run(tmp_path_factory):
    """One year of the Syr Darya with a soft lake target of 900 km3 (unreachable)."""
    from nexusmodel.run import run_scenario

    folder = tmp_path_factory.mktemp("soft")
    body = "policy: {ecological_flows: {E_NAS: {annual_target_hm3: 900000, hard: false}}}\n"
    return run_scenario(root_scenario(folder, body, years=1)).results


def test_a_run_dominated_by_penalties_is_flagged(soft_lake_run):
    from nexusmodel.results.summary import run_warnings

    ds = soft_lake_run
    warnings = run_warnings(ds)
    assert len(warnings) == 1
    deficit = float(ds["env_deficit"].sum()) / YEARS  # hm3/yr
    assert deficit > 800_000  # nearly all of the 900 km3 target is missed
    assert warnings[0].startswith("the net benefit (")
    assert f"environmental deficit {deficit:,.0f} hm3/yr" in warnings[0]


def test_inflows_and_demands_out_of_any_basins_range_are_flagged(soft_lake_run):
    from nexusmodel.results.summary import run_warnings

    ds = soft_lake_run.copy()
    ds.attrs["objective_musd"] = 1.0  # no penalty warning: only the magnitudes
    inflow_km3 = float(ds["inflow"].sum()) / 1000 / YEARS
    assert run_warnings(ds) == []
    ds["inflow"] = ds["inflow"] * 1e6
    (warning,) = run_warnings(ds)
    assert f"the inflow is {inflow_km3 * 1e6:,.0f} km3/yr" in warning
    ds["inflow"] = soft_lake_run["inflow"]
    ds["demand"] = ds["demand"] * 1000
    (warning,) = run_warnings(ds)
    demand_km3 = float(ds["demand"].sum()) / 1000 / YEARS
    assert f"are {demand_km3 / inflow_km3:,.0f} times the inflow" in warning


def test_the_run_summary_prints_the_warnings(soft_lake_run):
    import io

    from rich.console import Console

    from nexusmodel.results.summary import print_run_summary

    buffer = io.StringIO()
    print_run_summary(Console(file=buffer, width=400), soft_lake_run)
    assert "warning: the net benefit (" in buffer.getvalue()


# --------------------------------------------------------------------------- 6. Dask


def _listeners(pids: set[int]) -> list[tuple[str, int]]:
    """(address, port) of every listening TCP socket of these processes."""
    import psutil

    out = []
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            out.append((conn.laddr.ip, conn.laddr.port))
    return out


def test_the_local_cluster_listens_on_localhost_only_with_no_dashboard():
    import psutil

    from nexusmodel.ensemble.runner import dask_client

    with dask_client(workers=1) as client:
        info = client.scheduler_info()  # type: ignore[attr-defined]
        me = psutil.Process()
        pids = {me.pid, *(p.pid for p in me.children(recursive=True))}
        listening = _listeners(pids)
        assert info["address"].startswith("tls://127.0.0.1:")  # TLS, made for this run
        assert len(info["workers"]) == 1
    assert listening, "the cluster listens somewhere"
    assert all(ip == "127.0.0.1" for ip, _ in listening), listening
    assert 8787 not in {port for _, port in listening}


def test_another_process_without_the_runs_certificate_cannot_join_the_local_cluster():
    """A stranger on the same machine, with no certificate or one of its own, is refused."""
    from nexusmodel.ensemble.runner import dask_client

    stranger = (
        "import sys\n"
        "from distributed import Client\n"
        "from distributed.security import Security\n"
        "security = Security.temporary() if sys.argv[2] == 'own' else None\n"
        "try:\n"
        "    Client(sys.argv[1], security=security, timeout='3s')\n"
        "    print('JOINED')\n"
        "except Exception as exc:\n"
        "    print('REFUSED', type(exc).__name__)\n"
    )
    with dask_client(workers=1) as client:
        address = client.scheduler_info()["address"]  # type: ignore[attr-defined]
        for certificate in ("none", "own"):
            try:
                out = subprocess.run(
                    [sys.executable, "-c", stranger, address, certificate],
                    capture_output=True,
                    text=True,
                    timeout=60,
                ).stdout
            except subprocess.TimeoutExpired:
                out = "REFUSED (no answer)"
            assert "JOINED" not in out and "REFUSED" in out, (certificate, out)


def test_a_security_file_for_a_real_cluster_is_checked(tmp_path):
    from nexusmodel.ensemble.runner import scheduler_security

    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text("not checked here", encoding="utf-8")
    good = tmp_path / "tls.yaml"
    good.write_text(
        "tls_ca_file: ca.pem\ntls_client_cert: client.pem\ntls_client_key: client.key\n",
        encoding="utf-8",
    )
    security = scheduler_security(good)
    assert security.require_encryption is True  # type: ignore[attr-defined]
    assert security.tls_ca_file == str(tmp_path / "ca.pem")  # type: ignore[attr-defined]
    bad = tmp_path / "bad.yaml"
    bad.write_text("tls_ca_file: nowhere.pem\ntls_cert: x\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        scheduler_security(bad)
    text = str(err.value)
    assert f"{bad}: tls_cert: unknown key" in text
    assert f"{bad}: tls_ca_file: = 'nowhere.pem': no such file" in text


def test_an_option_file_named_dots_cannot_write_outside_the_members_folder(tmp_path):
    from nexusmodel.ensemble import run_ensemble
    from nexusmodel.ensemble.runner import member_path

    body = "hydrology: {kind: stochastic, annual_p5_km3: 58.9, annual_p90_km3: 24.0}\n"
    main = root_scenario(tmp_path, body, years=1, name="main.yaml")
    dots = tmp_path / "...yaml"
    dots.write_text("extends: main.yaml\n", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(InputError) as err:
        run_ensemble(main, 2, [dots], output=tmp_path / "out" / "e.nc", show_progress=False)
    assert f"{dots}: the option's name '..' (the file's stem) cannot name its folder" in str(
        err.value
    )
    assert sorted(tmp_path.rglob("*")) == before  # nothing written anywhere
    with pytest.raises(ValueError, match="not a safe folder name"):
        member_path(tmp_path / "e.members", "..", 0)


@pytest.mark.parametrize("mode", ["simulate", "rolling", "all"])
def test_a_daily_scenario_run_by_month_on_the_command_line_is_a_named_error(
    tmp_path, capsys, monkeypatch, mode
):
    path = root_scenario(tmp_path, "solve: {step: day}\n", years=1)
    code, out = in_process(capsys, monkeypatch, "run", path, "--mode", mode)
    assert code == 2 and "Traceback" not in out
    assert squash(f"{path}: solve.step: = 'day': --mode {mode} steps month by month") in squash(out)


def test_an_unknown_mode_is_a_usage_error(tmp_path, capsys, monkeypatch):
    path = root_scenario(tmp_path, years=1)
    code, out = in_process(capsys, monkeypatch, "run", path, "--mode", "fast")
    assert code == 2 and "Traceback" not in out and "'fast': use one of" in out


def test_a_known_solver_asked_for_on_the_command_line_reaches_pyomo(tmp_path, capsys, monkeypatch):
    import pyomo.environ as pyo

    if pyo.SolverFactory("glpk").available(exception_flag=False):
        pytest.skip("glpk is installed here: this checks the message when it is not")
    path = root_scenario(tmp_path, years=1)
    code, out = in_process(
        capsys, monkeypatch, "run", path, "--solver", "glpk", "-o", tmp_path / "r.nc"
    )
    assert code == 2 and "Traceback" not in out
    assert "solver 'glpk' is not available here" in out
