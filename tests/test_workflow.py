"""The CI workflow for forks (.github/): valid for GitHub, and running what the README says.

It cannot run here. check-jsonschema validates it against GitHub's own workflow and action
schemas (shipped with it: offline), and the checks below tie it to this project: every
expression names a matrix value or step that exists, the quick start's commands run in their
order, every `./inv` command it runs is one the README documents, the release matrix is the
releases of docs/compatibility.json, and the caches hold the trees the tasks fetch.
"""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tools import build as building
from tools import matrix as matrixing
from tools.settings import DEFAULTS, ROOT, Layout

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
EXPR = re.compile(r"\$\{\{(.*?)\}\}")


def _yaml(path):
    from ruamel.yaml import YAML  # check-jsonschema's YAML parser (requirements.txt)

    return YAML(typ="safe").load(Path(path).read_text())


def _validate(path, schema):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor." + schema, str(path)], capture_output=True, text=True)


def _commands(steps):
    # The ./inv commands of steps' run scripts, from ./inv on (sudo, env and variables before
    # it dropped), one a line.
    out = []
    for step in steps:
        for line in str(step.get("run", "")).splitlines():
            if "./inv" in line:
                out.append(line[line.index("./inv"):].split("#")[0].strip())
    return out


def _shape(command):
    # A command as the task and the options it passes, their values aside: "./inv matrix
    # --refs v1.28.0 --target qemu" and "./inv matrix --refs ${{ matrix.ref }} ..." are alike.
    words = shlex.split(EXPR.sub("X", command))
    assert words[0] == "./inv", command
    return words[1], tuple(sorted(w for w in words[2:] if w.startswith("-")))


def _readme():
    return (ROOT / "README.md").read_text()


def _quick_start():
    # The commands of the first sh block under "## Quick start".
    section = _readme().split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def _documented():
    # Every ./inv command the README shows: lines of its sh blocks, and inline code.
    text = _readme()
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        found += _commands({"run": line} for line in block.splitlines())
    found += _commands({"run": span} for span in re.findall(r"`([^`\n]*\./inv [^`\n]*)`", text))
    return found


def _local_action_steps(job):
    # The steps of the job's local composite actions (uses: ./.github/actions/NAME).
    steps = []
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("./"):
            steps += _yaml(ROOT / uses / "action.yml")["runs"]["steps"]
    return steps


def test_readme_has_a_quick_start_and_commands():
    # The parsers below read something: a changed README layout fails here, not silently.
    assert len(_quick_start()) >= 2 and all(c.startswith("./inv ") for c in _quick_start())
    assert len(_documented()) > 10


@pytest.mark.parametrize("path, schema", [(WORKFLOW, "github-workflows")]
                         + [(a, "github-actions") for a in ACTIONS],
                         ids=lambda v: v if isinstance(v, str) else str(v.relative_to(ROOT)))
def test_the_workflow_validates(path, schema):
    proc = _validate(path, schema)
    assert "No module named" not in proc.stderr, \
        "check-jsonschema is missing: run tasks through ./inv, or pip install -r requirements.txt"
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("old, new", [
    ("runs-on: ubuntu-24.04", "run-on: ubuntu-24.04"),
    ("contents: read", "contents: sometimes"),
    ("  push:", "  pushed:"),
    ("      - run: ./inv build\n", "      - name: nothing to do\n"),
], ids=["misspelt key", "value outside its enum", "unknown event", "step that does nothing"])
def test_the_validator_rejects_a_broken_workflow(tmp_path, old, new):
    text = WORKFLOW.read_text()
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1))
    proc = _validate(broken, "github-workflows")
    assert proc.returncode != 0, "check-jsonschema accepted a workflow with {!r}".format(new)


def _unknown_names(workflow):
    # What a schema does not see: ${{ matrix.X }} is one of the job's matrix values, and
    # ${{ steps.ID.outputs.X }} an earlier step of the same job. One line per name that is not.
    problems = []
    for name, job in workflow["jobs"].items():
        matrix = job.get("strategy", {}).get("matrix", {})
        seen = set()
        parts = [({k: v for k, v in job.items() if k != "steps"}, None)]
        parts += [(step, step.get("id")) for step in job["steps"]]
        for part, step_id in parts:
            for expr in EXPR.findall(json.dumps(part)):
                problems += ["job {}: matrix.{} is not a matrix value".format(name, key)
                             for key in re.findall(r"\bmatrix\.(\w+)", expr) if key not in matrix]
                problems += ["job {}: step '{}' is not an earlier step".format(name, ref)
                             for ref in re.findall(r"\bsteps\.([\w-]+)\.", expr)
                             if ref not in seen]
            if step_id:
                seen.add(step_id)
    return problems


def test_expressions_name_what_exists():
    assert _unknown_names(_yaml(WORKFLOW)) == []


@pytest.mark.parametrize("old, new, problem", [
    ("--target ${{ matrix.target }}", "--target ${{ matrix.targets }}",
     "job matrix: matrix.targets is not a matrix value"),
    ("steps.settings.outputs.ref", "steps.setting.outputs.ref",
     "job test: step 'setting' is not an earlier step"),
], ids=["matrix", "steps"])
def test_an_unknown_name_is_found(tmp_path, old, new, problem):
    broken = tmp_path / "ci.yml"
    broken.write_text(WORKFLOW.read_text().replace(old, new, 1))
    assert _unknown_names(_yaml(broken)) == [problem]


def test_it_runs_the_quick_start_in_order():
    # The README's quick start, in its order, each command as written or with more options
    # (./inv test with --full: CI's part of the suite).
    job = _yaml(WORKFLOW)["jobs"]["test"]
    ran = _commands(job["steps"])
    quick = _quick_start()
    at = 0
    for command in quick:
        task, flags = _shape(command)
        while at < len(ran) and not (_shape(ran[at])[0] == task
                                     and set(flags) <= set(_shape(ran[at])[1])):
            at += 1
        assert at < len(ran), "the workflow's test job does not run {!r} in the quick " \
            "start's order; it runs {}".format(command, ran)
    tests = [c for c in ran if _shape(c)[0] == "test"]
    assert tests and all("--full" in _shape(c)[1] for c in tests), tests


def test_it_runs_only_what_the_readme_documents():
    workflow = _yaml(WORKFLOW)
    documented = {_shape(c) for c in _documented()}
    for name, job in workflow["jobs"].items():
        for command in _commands(job["steps"] + _local_action_steps(job)):
            assert _shape(command) in documented, \
                "job {} runs {!r}, which the README does not show".format(name, command)


def test_the_matrix_is_the_compatibility_table():
    job = _yaml(WORKFLOW)["jobs"]["matrix"]
    matrix = job["strategy"]["matrix"]
    table = json.loads((ROOT / "docs" / "compatibility.json").read_text())
    assert matrix["ref"] == [r["ref"] for r in table["releases"]]
    assert set(table["targets"]) <= set(matrix["target"]) <= set(building.PLATFORMS)
    assert _commands(job["steps"]) == [
        "./inv matrix --refs ${{ matrix.ref }} --target ${{ matrix.target }}"]


def _step(job, uses):
    return [s for s in job["steps"] if s.get("uses", "").startswith(uses)]


def test_the_caches_hold_the_fetched_trees():
    # The tree ./inv build fetches, keyed on the pinned release; each release's tree of the
    # matrix (tools/matrix.py's layout_for), keyed on its release: restored before the
    # command, saved after it under the same path and key.
    jobs = _yaml(WORKFLOW)["jobs"]
    base = Layout.from_settings(DEFAULTS)
    trees = {"test": DEFAULTS["micropython_dir"],
             "matrix": str(matrixing.layout_for(base, "${{ matrix.ref }}").micropython
                           .relative_to(ROOT))}
    for name, tree in trees.items():
        (restore,) = _step(jobs[name], "actions/cache/restore@")
        (save,) = _step(jobs[name], "actions/cache/save@")
        assert restore["with"]["path"] == save["with"]["path"] == tree
        assert restore["with"]["key"] == save["with"]["key"]
        ran = [i for i, s in enumerate(jobs[name]["steps"]) if "./inv" in s.get("run", "")]
        assert jobs[name]["steps"].index(restore) < ran[0] < jobs[name]["steps"].index(save)
    settings = [s for s in jobs["test"]["steps"] if s.get("id") == "settings"][0]
    assert "DEFAULTS[\"micropython_ref\"]" in settings["run"]
    assert "steps.settings.outputs.ref" in _step(jobs["test"], "actions/cache/restore@")[0][
        "with"]["key"]
    assert "${{ matrix.ref }}" in _step(jobs["matrix"], "actions/cache/restore@")[0]["with"][
        "key"]
    for job in jobs.values():  # pip's downloads, in every job, by requirements.txt
        (pip,) = [s for s in _local_action_steps(job) if s.get("uses", "").startswith(
            "actions/cache@") and s["with"]["path"] == "~/.cache/pip"]
        assert "hashFiles('requirements.txt')" in pip["with"]["key"]


def test_the_reports_are_kept():
    jobs = _yaml(WORKFLOW)["jobs"]
    build = DEFAULTS["build_dir"]
    kept = {s["with"]["path"] for job in jobs.values()
            for s in _step(job, "actions/upload-artifact@")}
    assert kept == {build + "/bench", build + "/matrix"}
