"""A run whose unknowns are not declared in alphabetical order writes a bundle that re-checks.

The bundle was written with sorted keys, so the task's unknowns came back reordered and the
checker re-derived other quantifier orders and consistency scripts: `reason check` failed on
every claim and join of a valid run (`--unknown y:Int --unknown x:Int`)."""

from typer.testing import CliRunner

from reasoning.cli._main import app


def test_a_bundle_keeps_the_order_of_the_unknowns(tmp_path):
    runner = CliRunner()
    out = tmp_path / "run"
    args = ["run", "--unknown", "y:Int", "--unknown", "x:Int", "--constraint", "x + y = 10"]
    args += ["--constraint", "x - y = 2", "--out", str(out)]
    run = runner.invoke(app, args)
    assert run.exit_code == 0, run.output
    check = runner.invoke(app, ["check", str(out / "bundle.json"), "--no-cvc5"])
    assert check.exit_code == 0, check.output
