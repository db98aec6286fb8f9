"""The `reason` command line, run in-process through typer's test runner."""

import json

from typer.testing import CliRunner

from reasoning.cli._main import app

runner = CliRunner()
JSON_KEYS = {"claim", "status", "backend", "elapsed_ms", "certificate", "counterexample", "message"}


def test_verify_json_gives_one_object_per_claim_in_order():
    result = runner.invoke(app, ["verify", "--json", "1 + 1 = 2", "(x+1)^2 = x^2 + 1", "1 + = 2"])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in rows] == ["proved", "refuted", "invalid"]
    assert all(set(r) >= JSON_KEYS for r in rows)
    assert rows[1]["counterexample"]["assignment"]
    assert rows[2]["details"]["column"] == 5


def test_verify_exit_zero_when_all_proved_and_human_output():
    result = runner.invoke(app, ["verify", "2^10 = 1024", "pi > 3"])
    assert result.exit_code == 0
    assert result.stdout.count("proved") == 2


def test_verify_file_reports_line_numbers(tmp_path):
    path = tmp_path / "claims.txt"
    path.write_text("# header\n1 = 1\n\n2 = 3\n")
    result = runner.invoke(app, ["verify", "--json", "--file", str(path)])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["status"]) for r in rows] == [(2, "proved"), (4, "refuted")]


def test_verify_usage_errors_exit_two(tmp_path):
    assert runner.invoke(app, ["verify"]).exit_code == 2
    assert runner.invoke(app, ["verify", "--file", str(tmp_path / "missing.txt")]).exit_code == 2
    assert runner.invoke(app, ["verify", "--budget", "0", "1 = 1"]).exit_code == 2


def test_check_rechecks_verify_output(tmp_path):
    result = runner.invoke(app, ["verify", "--json", "forall n in Int: n^2 >= n", "x/x = 1"])
    path = tmp_path / "verdicts.jsonl"
    path.write_text(result.stdout)
    checked = runner.invoke(app, ["check", "--json", str(path)])
    assert checked.exit_code == 0, checked.stdout
    reports = [json.loads(line) for line in checked.stdout.splitlines()]
    assert [r["ok"] for r in reports] == [True, True]


def test_check_fails_on_a_forged_certificate(tmp_path):
    path = tmp_path / "cert.json"
    path.write_text(json.dumps({"kind": "exact", "claim": "1 = 2", "holds": True}))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "FAILED" in result.stdout


def test_check_rejects_files_without_certificates(tmp_path):
    path = tmp_path / "nothing.json"
    path.write_text('{"hello": 1}')
    assert runner.invoke(app, ["check", str(path)]).exit_code == 2
    path.write_text("not json at all")
    assert runner.invoke(app, ["check", str(path)]).exit_code == 2


def test_equiv_json_and_check_of_its_output(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        '{"gold": "\\\\frac{1}{2}", "prediction": "0.5"}\n{"gold": "1/2^{99}", "prediction": "1/2^{98}"}\nnot json\n'
    )
    result = runner.invoke(app, ["equiv", "--json", "--file", str(pairs)])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["equivalent"] for r in rows] == [True, False, None]
    assert rows[2]["status"] == "invalid" and "line 3" in rows[2]["message"]
    assert all(
        set(r) >= {"gold", "prediction", "status", "equivalent", "backend", "elapsed_ms"} for r in rows
    )
    verdicts = tmp_path / "out.jsonl"
    verdicts.write_text("\n".join(json.dumps(r) for r in rows[:2]))
    checked = runner.invoke(app, ["check", str(verdicts)])
    assert checked.exit_code == 0, checked.stdout


def test_equiv_single_pair_human_output():
    result = runner.invoke(app, ["equiv", "\\frac{\\pi}{2}", "\\pi/2"])
    assert result.exit_code == 0
    assert "equivalent" in result.stdout


# ------------------------------------------------------------------ contracts of the command line


def test_version_prints_the_package_version():
    from reasoning.cli._main import package_version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"reason {package_version()}"


def test_verify_over_a_file_ends_with_a_summary_line(tmp_path):
    path = tmp_path / "claims.txt"
    path.write_text("1 = 1\n2 = 3\n1 + = 2\n2^10 = 1024\n")
    result = runner.invoke(app, ["verify", "--file", str(path)])
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("4 claims in ") and last.endswith(": 2 proved, 1 refuted, 1 invalid"), last
    as_json = runner.invoke(app, ["verify", "--json", "--file", str(path)])
    assert [json.loads(line)["status"] for line in as_json.stdout.splitlines()]  # stdout stays JSON lines
    assert "4 claims in " in as_json.stderr


def test_equiv_over_a_file_ends_with_a_summary_line(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"gold": "1/2", "prediction": "0.5"}\n{"gold": "1", "prediction": "2"}\nnot json\n')
    last = runner.invoke(app, ["equiv", "--file", str(pairs)]).stdout.strip().splitlines()[-1]
    assert last.startswith("3 pairs in ") and "1 equivalent, 1 not equivalent, 1 invalid" in last, last


def test_user_text_is_printed_as_written_not_as_markup_or_emoji():
    result = runner.invoke(app, ["verify", "a:x: = [b]c:smile:"])
    assert ":x:" in result.stdout and "[b]c:smile:" in result.stdout and "❌" not in result.stdout


def test_help_is_not_cut_at_80_columns():
    result = runner.invoke(app, ["solve", "--help"])
    assert result.exit_code == 0
    assert "reason solve countdown --numbers 25 50 75 100 3 6 --target 952 --solutions 4" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) > 80


def test_solve_domain_help_lists_that_domains_fields():
    result = runner.invoke(app, ["solve", "countdown", "--help"])
    assert result.exit_code == 0
    assert "--numbers INT ..." in result.stdout and "--target INT" in result.stdout
    assert "required" in result.stdout and "--grid" not in result.stdout
    sudoku = runner.invoke(app, ["solve", "sudoku", "--help"]).stdout
    assert "--grid" in sudoku and "--numbers" not in sudoku
    assert runner.invoke(app, ["solve", "no-such-domain", "--help"]).exit_code == 2


def test_every_command_renders_its_help():
    """Help texts are rich markup: a stray `[/x]` in one would crash `--help`."""
    commands = ["verify", "equiv", "check", "run", "solve", "domains", "serve", "mcp", "serve-model"]
    for command in [*commands, "eval reasoning-gym"]:
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, (command, result.output[-500:])
        assert "Usage" in result.stdout
