"""Fourth red team on `reason check`: each case exited 0 before its fix."""

import json

from typer.testing import CliRunner

from reasoning.cli._main import app

runner = CliRunner()


def test_check_refuses_lines_it_would_not_recheck(tmp_path):
    # One good verdict line and a line holding a forged verdict under another key: the second line
    # was skipped as "no certificate or verdict", and the file exited 0.
    good = runner.invoke(app, ["verify", "--json", "x^2 >= 0"]).stdout.strip()
    forged = dict(json.loads(good), claim="1 = 2")
    path = tmp_path / "verdicts.jsonl"
    for other in ({"results": [forged]}, {"claim": "1 = 2", "verdict": "proved"}, [forged], ["x"]):
        path.write_text(good + "\n" + json.dumps(other) + "\n")
        result = runner.invoke(app, ["check", str(path)])
        assert result.exit_code != 0, (other, result.stdout)
    path.write_text(good + "\n" + good + "\n")
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
    path.write_text(json.dumps([json.loads(good), json.loads(good)]))
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0
