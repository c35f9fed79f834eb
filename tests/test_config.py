"""Settings declared once (nnp_tutorial.config): generated options, values refused up front.

Oracles: the dataclass declarations themselves (every field has an option with the field's
default), and for each bad value the contract of the command line: exit status 2, one line on
stderr naming the option, the value and the valid values, no traceback, no output written.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math

import pytest

from nnp_tutorial import cli
from nnp_tutorial.cli.md import MDCommand
from nnp_tutorial.cli.parser import frame_index
from nnp_tutorial.cli.provenance import KEYS, read_header, record
from nnp_tutorial.cli.training import FisherCommand, TrainCommand
from nnp_tutorial.config import SettingError, between, declared, describe, greater_than
from nnp_tutorial.md import MDSettings, size_warning
from nnp_tutorial.training import TrainingConfig

MODEL = "nnp-revpbe0-d3-cheng2019"
DATASET = "revpbe0-d3"


def subparser(name: str) -> argparse.ArgumentParser:
    actions = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices[name]


def options_of(name: str) -> dict[str, argparse.Action]:
    return {a.dest: a for a in subparser(name)._actions}


# -- generated options ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "cls", "required"),
    [
        ("train", TrainingConfig, ["--dataset", DATASET, "--out", "x"]),
        ("train", TrainCommand, ["--dataset", DATASET, "--out", "x"]),
        ("md", MDSettings, ["--model", MODEL, "--out", "x", "--ps", "1"]),
        ("md", MDCommand, ["--model", MODEL, "--out", "x", "--ps", "1"]),
        ("fisher", FisherCommand, ["--model", MODEL, "--dataset", DATASET, "--out", "x"]),
    ],
)
def test_every_declared_field_has_an_option_with_its_default(command, cls, required):
    options = options_of(command)
    args = cli.build_parser().parse_args([command, *required])
    for item in declared(cls):
        assert item.name in options, f"{cls.__name__}.{item.name} has no option"
        assert item.spec.option(item.name) in options[item.name].option_strings
        if item.name != "ps":  # required
            assert getattr(args, item.name) == item.default, item.name
        if item.spec.unit:
            assert item.spec.unit in options[item.name].help


def test_training_config_fields_all_reachable_with_their_defaults():
    """The acceptance test of the issue: every TrainingConfig field, default equal to the field's."""
    args = cli.build_parser().parse_args(["train", "--dataset", DATASET, "--out", "x"])
    defaults = dataclasses.asdict(TrainingConfig())
    assert {f.name for f in dataclasses.fields(TrainingConfig)} == {i.name for i in declared(TrainingConfig)}
    assert {name: getattr(args, name) for name in defaults} == defaults
    assert TrainingConfig(**{name: getattr(args, name) for name in defaults}) == TrainingConfig()


def test_options_parse_into_the_config():
    argv = ["train", "--dataset", DATASET, "--out", "x", "--learning-rate", "2e-4",
            "--hidden-nodes", "8", "4", "--initialization", "nguyen-widrow", "--n-forces", "3",
            "--validation-fraction", "0.25"]  # fmt: skip
    config = cli.parser.from_args(TrainingConfig, cli.build_parser().parse_args(argv))
    assert (config.learning_rate, config.hidden_nodes) == (2e-4, [8, 4])
    assert (config.initialization, config.n_forces, config.validation_fraction) == ("nguyen-widrow", 3, 0.25)
    assert cli.build_parser().parse_args([*argv[:5], "--lr", "2e-4"]).learning_rate == 2e-4  # old spelling


def test_one_option_vocabulary_across_subcommands():
    for command in ("md", "train", "fisher", "make-teacher-dataset"):
        assert {"seed", "out", "data_dir"} <= set(options_of(command)), command
    for command in ("predict", "evaluate", "md", "fisher"):
        assert options_of(command)["model"].option_strings == ["--model"]
    for command in ("predict", "evaluate", "fisher"):
        assert options_of(command)["index"].type is frame_index
    args = cli.build_parser().parse_args(["train", "--dataset", DATASET, "--out", "x", "--data-dir", "D"])
    assert args.data_dir == "D"
    args = cli.build_parser().parse_args(["--data-dir", "D", "train", "--dataset", DATASET, "--out", "x"])
    assert args.data_dir == "D"


@pytest.mark.parametrize("command", ["evaluate", "md", "train", "fisher", "make-teacher-dataset"])
def test_help_lists_the_output_files(command):
    epilog = subparser(command).epilog
    assert epilog.startswith("output files:")
    assert "always" in epilog or "optional" in epilog


def test_initializations_equal_the_models():
    from nnp_tutorial.model import INITIALIZATIONS

    spec = next(i.spec for i in declared(TrainingConfig) if i.name == "initialization")
    assert spec.choices == INITIALIZATIONS


# -- the library refuses the same values ------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "field", "value", "message"),
    [
        (TrainingConfig, "steps", 0, "steps = 0: must be >= 1"),
        (TrainingConfig, "learning_rate", -1e-3, "learning_rate = -0.001: must be > 0"),
        (TrainingConfig, "learning_rate", math.nan, "learning_rate = nan: must be finite and > 0"),
        (TrainingConfig, "validate_every", 0, "validate_every = 0: must be >= 1"),
        (TrainingConfig, "hidden_nodes", [25, 0], r"hidden_nodes = \[25, 0\]: must be >= 1"),
        (TrainingConfig, "hidden_nodes", [], "needs at least one value"),
        (TrainingConfig, "validation_fraction", 1.0, r"must be in \(0, 1\)"),
        (TrainingConfig, "optimizer", "sgd", "one of ekf, adam"),
        (MDSettings, "temperature_K", 0, "temperature_K = 0.0: must be > 0"),
        (MDSettings, "timestep_fs", -0.5, "timestep_fs = -0.5: must be > 0"),
        (MDSettings, "log_every", 0, "log_every = 0: must be >= 1"),
        (MDSettings, "ensemble", "nph", "one of npt, nve, nvt"),
    ],
)
def test_library_refuses_bad_values_naming_the_field(cls, field, value, message):
    with pytest.raises(SettingError, match=message) as caught:
        cls(**{field: value})
    assert caught.value.field == field and isinstance(caught.value, ValueError)


def test_library_converts_and_types():
    assert TrainingConfig(learning_rate=1).learning_rate == 1.0
    assert isinstance(MDSettings(temperature_K=300).temperature_K, float)
    with pytest.raises(TypeError, match="steps must be int"):
        TrainingConfig(steps=10.5)
    with pytest.raises(TypeError, match="learning_rate must be float"):
        TrainingConfig(learning_rate="1e-3")


def test_intervals_and_description():
    assert str(greater_than(0)) == "> 0" and str(between(0, 1, closed=False)) == "in (0, 1)"
    assert math.inf not in greater_than(0) and math.nan not in between(0, 1)
    lines = describe(MDSettings).splitlines()
    assert lines[1] == "temperature_K: initial velocities and thermostat target, K; > 0; default 300.0"


def test_size_warning_gives_the_expected_time():
    assert size_warning(512, 10**6) is None
    warning = size_warning(4096, 20_000)
    assert warning.startswith("4096 molecules is far beyond a workshop box (<= 512)") and "h" in warning


# -- the command line refuses bad values before any work ----------------------------------------
TRAIN = ["train", "--dataset", DATASET]
MD = ["md", "--model", MODEL, "--ps", "0.01"]
EVALUATE = ["evaluate", "--model", MODEL, "--dataset", DATASET]
FISHER = ["fisher", "--model", MODEL, "--dataset", DATASET]

BAD = [
    (TRAIN, ["--steps", "0"], "--steps", ">= 1"),
    (TRAIN, ["--steps", "1.5"], "--steps", "expected an integer >= 1"),
    (TRAIN, ["--lr", "-1"], "--lr", "> 0"),
    (TRAIN, ["--lr", "0"], "--lr", "> 0"),
    (TRAIN, ["--lr", "nan"], "--lr", "finite and > 0"),
    (TRAIN, ["--learning-rate", "inf"], "--lr", "finite and > 0"),
    (TRAIN, ["--eta-tau", "0"], "--eta-tau", "> 0"),
    (TRAIN, ["--validate-every", "0"], "--validate-every", ">= 1"),
    (TRAIN, ["--checkpoint-every", "-1"], "--checkpoint-every", ">= 0"),
    (TRAIN, ["--energy-probability", "1.5"], "--energy-probability", "in [0, 1]"),
    (TRAIN, ["--validation-fraction", "1"], "--validation-fraction", "in (0, 1)"),
    (TRAIN, ["--hidden-nodes", "25", "0"], "--hidden-nodes", ">= 1"),
    (TRAIN, ["--n-forces", "0"], "--n-forces", ">= 1"),
    (TRAIN, ["--seed", "-1"], "--seed", ">= 0"),
    (TRAIN, ["--optimizer", "sgd"], "--optimizer", "'ekf', 'adam'"),
    (TRAIN, ["--minutes", "0"], "--minutes", "> 0"),
    (TRAIN, ["--snapshot-minutes", "2,x"], "--snapshot-minutes", "numbers > 0"),
    (MD, ["--temperature", "0"], "--temperature", "> 0"),
    (MD, ["--temperature", "-10"], "--temperature", "> 0"),
    (MD, ["--density", "0"], "--density", "> 0"),
    (MD, ["--molecules", "0"], "--molecules", ">= 1"),
    (MD, ["--timestep", "0"], "--timestep", "> 0"),
    (MD, ["--ps", "-1"], "--ps", ">= 0"),
    (MD, ["--log-every", "0"], "--log-every", ">= 1"),
    (MD, ["--taut", "0"], "--taut", "> 0"),
    (MD, ["--ensemble", "nph"], "--ensemble", "'npt', 'nve', 'nvt'"),
    (MD, ["--until-converged", "1"], "--until-converged", "--ensemble npt"),
    (MD, ["--ensemble", "npt", "--until-converged", "0.005"], "--until-converged", "shorter than --ps"),
    (MD, ["--extend-ps", "1"], "--extend-ps", "needs --until-converged"),
    (MD, ["--start", "dataset:revpbe0-d3"], "--start", "dataset:NAME:INDEX"),
    (MD, ["--start", "dataset:revpbe0-d3:5000"], "--start dataset:revpbe0-d3:5000", "0 to 1592"),
    (MD, ["--start", "dataset:revpbe0-d3:0", "--density", "0.9"], "--density", "--start"),
    (EVALUATE, ["--index", "abc"], "--index", "START:STOP[:STEP]"),
    (EVALUATE, ["--index", "5:5"], "--index", "selects no frames"),
    (EVALUATE, ["--index", "::0"], "--index", "step must not be 0"),
    (EVALUATE, ["--index", "99999"], "--index 99999", "0 to 1592"),
    (EVALUATE, ["--index", "5000:6000"], "--index 5000:6000", "selects no frames; revpbe0-d3 has 1593"),
    (FISHER, ["--batches", "0"], "--batches", ">= 1"),
    (FISHER, ["--index", "-5000"], "--index -5000", "0 to 1592"),
]


@pytest.mark.parametrize(("command", "bad", "option", "valid"), BAD, ids=[" ".join(b) for _, b, _, _ in BAD])
def test_bad_value_exits_2_with_one_line_before_any_work(
    capsys, tmp_path, fetch, command, bad, option, valid
):
    fetch(DATASET)
    out = tmp_path / "out"
    target = ["--out", str(out / "errors.csv")] if command is EVALUATE else ["--out", str(out)]
    status = cli.main([*command, *target, *bad])
    stdout, err = capsys.readouterr()
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert option in lines[0] and valid in lines[0], lines[0]
    assert bad[-1] in lines[0] or bad[-2] in lines[0]  # the value given
    assert not out.exists() and stdout == ""


def test_index_on_a_structure_file_is_checked(capsys, tmp_path):
    from ase.build import molecule
    from ase.io import write

    path = tmp_path / "two.xyz"
    write(path, [molecule("H2O"), molecule("H2O")], format="extxyz")
    status = cli.main(["predict", "--model", MODEL, str(path), "--index", "5"])
    assert status == 2
    assert (
        capsys.readouterr().err.strip()
        == f"nnp-tutorial: error: --index 5: no such frame; {path} has 2 frames (0 to 1)"
    )


# -- provenance ----------------------------------------------------------------------------------
def test_provenance_record_and_csv_header(tmp_path, fetch):
    fetch(MODEL)
    given = tmp_path / "input.data"
    given.write_text("begin\nend\n")
    provenance = record(["md", "--model", MODEL], [MODEL, given], data_dir=None)
    assert tuple(provenance.to_dict()) == KEYS
    assert provenance.command == f"nnp-tutorial md --model {MODEL}"
    assert provenance.inputs[str(given)] == hashlib.sha256(b"begin\nend\n").hexdigest()
    assert len(provenance.inputs[MODEL]) == 64  # from the registry's sha256 of its files
    table = tmp_path / "table.csv"
    table.write_text("\n".join([*provenance.header(), "a,b", "1,2"]) + "\n")
    assert read_header(table) == provenance.to_dict()
    summary = provenance.write_summary(tmp_path / "summary.json", {"seconds": 1.0})
    assert list(json.loads((tmp_path / "summary.json").read_text())) == [*KEYS, "seconds"] == list(summary)


@pytest.mark.slow
def test_every_subcommand_writes_the_same_provenance_keys(capsys, tmp_path, monkeypatch, fetch):
    """evaluate, md, train and fisher on tiny inputs: one record, the same keys, first in each file."""
    fetch(MODEL)
    fetch("rpbe-d3-train20")
    cheng = cli.inputs.load_model(MODEL)
    monkeypatch.setattr(cli.inputs, "load_model", lambda spec, data_dir=None: cheng)
    runs = {
        "evaluate": ["--model", MODEL, "--dataset", DATASET, "--index", ":1",
                     "--out", str(tmp_path / "e.csv")],
        "md": ["--model", MODEL, "--ps", "0.002", "--molecules", "8", "--log-every", "2",
               "--no-progress", "--out", str(tmp_path / "md")],
        "train": ["--dataset", "rpbe-d3-train20", "--steps", "2", "--hidden-nodes", "2",
                  "--validate-every", "1", "--validation-subset", "1", "--no-progress",
                  "--out", str(tmp_path / "train")],
        "fisher": ["--model", MODEL, "--dataset", "rpbe-d3-train20", "--batches", "2",
                   "--out", str(tmp_path / "fisher")],
    }  # fmt: skip
    for command, argv in runs.items():
        assert cli.main([command, *argv]) == 0, capsys.readouterr().err
    records = {"evaluate": read_header(tmp_path / "e.csv")}
    for command in ("md", "train", "fisher"):
        summary = json.loads((tmp_path / command / "summary.json").read_text())
        records[command] = {key: summary[key] for key in KEYS}
        assert list(summary)[: len(KEYS)] == list(KEYS) or command == "md"  # md: parameters first
    for command, provenance in records.items():
        assert tuple(provenance) == KEYS, command
        assert provenance["command"] == f"nnp-tutorial {command} " + " ".join(runs[command])
        assert all(len(digest) == 64 for digest in provenance["inputs"].values()) and provenance["inputs"]
