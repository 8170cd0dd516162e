"""The shipped CSVs are exactly what their seeded generators produce, byte for byte."""

from __future__ import annotations

import argparse
import shutil

import pytest
from qilab.datasets.catalogue import DATA_DIR, csv_path, dictionary
from qilab.datasets.csvformat import GeneratedDataError, to_csv_bytes
from qilab.datasets.generators import GENERATORS

from qilab import datasets
from qilab.cli import datasets as cli

NAMES = datasets.names()


def test_check_finds_every_shipped_csv_identical_to_a_rebuild():
    report = datasets.regenerate(check=True)
    assert report.ok, str(report)
    assert sorted(report.matching) == NAMES
    assert "byte-for-byte identical" in str(report)


def test_writing_into_a_folder_reproduces_the_shipped_bytes(tmp_path):
    report = datasets.regenerate(directory=tmp_path)
    assert sorted(report.written) == NAMES
    for name in NAMES:
        assert (tmp_path / f"{name}.csv").read_bytes() == csv_path(name).read_bytes(), name


@pytest.mark.parametrize("name", NAMES)
def test_csv_bytes_are_plain_utf8_with_unix_line_endings(name):
    data = csv_path(name).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    assert data.endswith(b"\n") and not data.endswith(b"\n\n")
    data.decode("utf-8")


def test_check_reports_a_tampered_and_a_missing_csv(tmp_path):
    for name in NAMES:
        shutil.copy(DATA_DIR / f"{name}.csv", tmp_path)
    tampered = tmp_path / "ward_falls.csv"
    tampered.write_bytes(tampered.read_bytes().replace(b"\n", b"\r\n"))
    (tmp_path / "red_beads.csv").unlink()
    report = datasets.regenerate(check=True, directory=tmp_path)
    assert not report.ok
    assert report.differing == ["ward_falls"]
    assert report.missing == ["red_beads"]
    text = str(report)
    assert "ward_falls" in text and "red_beads" in text and "qilab datasets regenerate" in text


def test_check_can_be_limited_to_named_data_sets():
    report = datasets.regenerate(["ed_daily", "Ward-Falls"], check=True)
    assert report.matching == ["ed_daily", "ward_falls"]


def test_generators_are_deterministic_within_a_process():
    first = to_csv_bytes(
        GENERATORS["sepsis_antibiotics"].generate(), dictionary("sepsis_antibiotics")
    )
    again = to_csv_bytes(
        GENERATORS["sepsis_antibiotics"].generate(), dictionary("sepsis_antibiotics")
    )
    assert first == again


def test_writer_refuses_data_that_contradict_the_dictionary():
    frame = GENERATORS["red_beads"].generate()
    with pytest.raises(GeneratedDataError, match="differ"):
        to_csv_bytes(frame.drop(columns="day"), dictionary("red_beads"))
    frame.loc[0, "worker"] = "Zed"
    with pytest.raises(GeneratedDataError, match="not one of its categories"):
        to_csv_bytes(frame, dictionary("red_beads"))


# ---- the command line -----------------------------------------------------------------------


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="qilab")
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["datasets", *argv])
    return args.func(args)


def test_cli_list_prints_names_levels_and_titles(capsys):
    assert _run("list", "--level", "foundation") == 0
    out = capsys.readouterr().out
    assert "ward_falls" in out and "foundation" in out and "sepsis_antibiotics" not in out


def test_cli_describe_prints_the_dictionary(capsys):
    assert _run("describe", "red_beads", "--tutor-notes") == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC DATA" in out and "Tutor notes" in out


def test_cli_regenerate_check_exits_zero_when_all_match(capsys):
    assert _run("regenerate", "--check") == 0
    assert "identical" in capsys.readouterr().out


def test_cli_regenerate_check_exits_one_when_a_csv_differs(tmp_path, monkeypatch, capsys):
    for name in NAMES:
        shutil.copy(DATA_DIR / f"{name}.csv", tmp_path)
    (tmp_path / "hand_hygiene.csv").write_text("month\n", encoding="utf-8")
    monkeypatch.setattr("qilab.datasets.rebuild.DATA_DIR", tmp_path)
    assert _run("regenerate", "--check") == 1
    assert "hand_hygiene" in capsys.readouterr().out


def test_a_generator_bug_is_one_line_naming_data_set_column_and_fix(monkeypatch, capsys):
    from qilab import cli as qilab_cli
    from qilab.errors import QilabError

    class Broken:
        def generate(self):
            frame = GENERATORS["red_beads"].generate()
            frame.loc[3, "worker"] = "Zed"  # a worker the dictionary does not list
            return frame

    real = GENERATORS.__getitem__
    monkeypatch.setattr(
        "qilab.datasets.rebuild.generator",
        lambda name: Broken() if name == "red_beads" else real(name),
    )
    monkeypatch.setattr(qilab_cli, "SUBCOMMANDS", ["datasets"])
    assert issubclass(GeneratedDataError, QilabError)
    assert qilab_cli.main(["datasets", "regenerate", "--check"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in captured.err
    assert err.startswith("qilab: error: red_beads: column 'worker' holds 'Zed'")
    assert "datasets/gen_*.py" in err and "qilab datasets regenerate" in err


def test_cli_without_an_action_prints_help(capsys):
    assert _run() == 2
    assert "describe" in capsys.readouterr().out


def test_cli_unknown_name_is_one_line_and_exit_2_through_main(monkeypatch, capsys):
    from qilab import cli as qilab_cli

    monkeypatch.setattr(qilab_cli, "SUBCOMMANDS", ["datasets"])
    assert qilab_cli.main(["datasets", "describe", "ward_fals"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qilab: error: There is no data set called 'ward_fals'")
    assert "'ward_falls'" in err and len(err.strip().splitlines()) == 1
