"""The GitHub Pages workflow: valid against the published workflow schema, and doing what
the deployment needs (triggers, permissions, the official Pages actions, base path)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "pages.yml"


def test_workflow_matches_the_github_workflow_schema() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker, "check-jsonschema is pinned in requirements.txt"
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_builds_and_deploys_the_catalog() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "workflow_dispatch" in triggers
    paths = triggers["push"]["paths"]
    for watched in ("dumps/**", "content/**", "templates/**", "config.yaml", "papershelf/**", "build.py"):
        assert watched in paths
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "write", "pages": "write", "id-token": "write"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [step.get("uses", "") for step in build["steps"]]
    assert any(u.startswith("actions/configure-pages@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    script = "\n".join(step.get("run", "") for step in build["steps"])
    assert "make setup" in script and "build.py ingest" in script and "git push" in script
    assert "steps.pages.outputs.base_path" in script
    assert next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))["with"]["path"] == "site"
    cache = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".cache" and build["steps"].index(cache) < next(
        i for i, s in enumerate(build["steps"]) if "build.py ingest" in s.get("run", "")
    )
