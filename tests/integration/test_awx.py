# -*- coding: utf-8 -*-
"""AWX, as an administrator runs it.

- awx_setup.yml: every module call, templated as Ansible templates it, is valid for the awx.awx module's own argument
  spec (captured from the module); the surveys follow AWX's survey rules; every object is created after what it
  refers to.
- The job templates' playbooks, run the way AWX runs them: ansible-runner with the project directory, the inventory
  source's path, the kubeconfig credential injected as AWX injects it (its credential type's injectors, read from
  awx_setup.yml: a file in the private data directory and its path in K8S_AUTH_KUBECONFIG and KUBECONFIG), a Vault
  password answered at the prompt as AWX answers it, the survey's answers as extra vars, and the launch's limit. Two
  clusters: each host resolves its own context and server, and in apply mode kubernetes.core itself goes to each
  host's own server.
"""

from __future__ import annotations

import importlib
import os
import socket
import tempfile
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO

ansible_runner = pytest.importorskip("ansible_runner", reason="ansible-runner is in requirements.txt: run make setup")

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402  pylint: disable=wrong-import-position
from ansible.parsing.dataloader import DataLoader  # noqa: E402  pylint: disable=wrong-import-position
from ansible.template import Templar  # noqa: E402  pylint: disable=wrong-import-position

AWX_SETUP = REPO / "playbooks" / "awx_setup.yml"
PRODUCTION = REPO / "inventories" / "production"
TOKEN = "sa-token-that-never-shows-0123456789"
VAULT_PASSWORD = "correct horse battery staple"
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kubeconfig(servers):
    """One context `<host>-admin` per cluster host, each with its own server and a service-account token."""
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": None,
        "clusters": [{"name": h, "cluster": {"server": s, "insecure-skip-tls-verify": True}} for h, s in servers.items()],
        "contexts": [{"name": "%s-admin" % h, "context": {"cluster": h, "user": "%s-deployer" % h}} for h in servers],
        "users": [{"name": "%s-deployer" % h, "user": {"token": TOKEN}} for h in servers],
    })


# ---------------------------------------------------------------------------------------------
# awx_setup.yml against the awx.awx modules


def module_spec(name):
    """The argument spec and checks an awx.awx module gives ControllerAPIModule, captured without a controller."""
    module = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + name)

    class Captured(Exception):
        pass

    class Capture:  # pylint: disable=too-few-public-methods
        def __init__(self, argument_spec, **kwargs):
            raise Captured(argument_spec, kwargs)

    real = module.ControllerAPIModule
    module.ControllerAPIModule = Capture
    try:
        module.main()
    except Captured as exc:
        spec, kwargs = exc.args
        return spec, {k: v for k, v in kwargs.items() if k in ("mutually_exclusive", "required_if", "required_one_of", "required_together")}
    finally:
        module.ControllerAPIModule = real
    raise AssertionError("awx.awx.%s did not build its module" % name)


def setup_calls(tmp_path, **overrides):
    """(module, templated args) of every awx.awx task of awx_setup.yml, loops expanded, omitted values dropped."""
    loader = DataLoader()
    play = loader.load_from_file(str(AWX_SETUP), trusted_as_template=True)[0]
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig({"prod-eu": "https://eu.example:6443", "prod-us": "https://us.example:6443"}), encoding="utf-8")
    variables = dict(play["vars"], awx_kubeconfig_file=str(path), playbook_dir=str(AWX_SETUP.parent), **overrides)
    calls = []
    for task in play["tasks"]:
        module = next((k for k in task if k.startswith("awx.awx.")), None)
        if module is None:
            continue
        templar = Templar(loader=loader, variables=variables)
        if "when" in task and not templar.evaluate_conditional(task["when"]):
            continue
        items = templar.template(task["loop"]) if "loop" in task else [None]
        for item in items:
            args = Templar(loader=loader, variables=dict(variables, item=item)).template(task[module])
            calls.append((module.split(".")[-1], task["name"], {k: v for k, v in args.items() if type(v).__name__ != "Omit"}))
    return calls


def test_every_awx_setup_call_is_valid_for_the_module_it_calls(tmp_path):
    calls = setup_calls(tmp_path, awx_vault_credential_name="observability-vault", awx_vault_password="pw")
    modules = {m for m, _n, _a in calls}
    assert modules == {"execution_environment", "credential_type", "credential", "project", "inventory", "inventory_source", "job_template"}
    for module, name, args in calls:
        spec, checks = module_spec(module)
        result = ArgumentSpecValidator(spec, **checks).validate(args)
        assert not result.error_messages, "%s (%s): %s" % (name, module, result.error_messages)
        assert not result.unsupported_parameters, "%s (%s): %s" % (name, module, result.unsupported_parameters)
    templates = [a for m, _n, a in calls if m == "job_template"]
    assert len(templates) == 4 and all(t["ask_limit_on_launch"] is True for t in templates)
    check = next(t for t in templates if t["job_type"] == "check")
    assert check["diff_mode"] is True and check["playbook"] == "playbooks/site.yml"
    # The Vault credential, when there is one, goes to every template; none otherwise.
    assert all("observability-vault" in t["credentials"] for t in templates)
    plain = [a for m, _n, a in setup_calls(tmp_path) if m == "job_template"]
    assert all(t["credentials"] == ["observability-kubeconfig"] for t in plain)
    assert not [a for m, _n, a in setup_calls(tmp_path) if m == "credential" and a["credential_type"] == "Vault"]


def test_the_kubeconfig_credential_type_injects_a_file_and_no_bearer_token(tmp_path):
    calls = setup_calls(tmp_path)
    ctype = next(a for m, _n, a in calls if m == "credential_type")
    assert ctype["kind"] == "cloud" and [f["id"] for f in ctype["inputs"]["fields"]] == ["kubeconfig"]
    assert ctype["inputs"]["fields"][0]["secret"] is True
    assert ctype["injectors"]["file"] == {"template.kubeconfig": "{{ kubeconfig }}"}
    assert ctype["injectors"]["env"] == {"K8S_AUTH_KUBECONFIG": "{{ tower.filename.kubeconfig }}", "KUBECONFIG": "{{ tower.filename.kubeconfig }}"}
    credential = next(a for m, _n, a in calls if m == "credential")
    assert credential["credential_type"] == ctype["name"] and TOKEN in credential["inputs"]["kubeconfig"]
    # A second run does not send the secret again (and so reports no change); awx_update_secrets does.
    assert credential["update_secrets"] is False
    assert next(a for m, _n, a in setup_calls(tmp_path, awx_update_secrets=True) if m == "credential")["update_secrets"] is True
    text = AWX_SETUP.read_text(encoding="utf-8")
    assert "K8S_AUTH_HOST" not in text and "Bearer Token" not in text


def test_every_object_is_created_after_what_it_refers_to(tmp_path):
    calls = setup_calls(tmp_path, awx_vault_credential_name="observability-vault", awx_vault_password="pw")
    created = set()
    existing = {("credential_type", "Vault")}  # AWX's own
    refers = {
        "credential": [("credential_type", "credential_type")],
        "project": [("default_environment", "execution_environment")],
        "inventory_source": [("inventory", "inventory"), ("source_project", "project")],
        "job_template": [("project", "project"), ("inventory", "inventory"), ("execution_environment", "execution_environment")],
    }
    for module, name, args in calls:
        for key, kind in refers.get(module, []):
            assert (kind, args[key]) in created | existing, "%s refers to %s %s before it is created" % (name, kind, args[key])
        for cred in args.get("credentials", []):
            assert ("credential", cred) in created, "%s uses credential %s before it is created" % (name, cred)
        created.add((module, args["name"]))


def test_the_surveys_follow_awx_rules_and_feed_the_playbooks(tmp_path):
    templates = [a for m, _n, a in setup_calls(tmp_path) if m == "job_template"]
    surveys = {t["playbook"]: t["survey_spec"] for t in templates if t.get("survey_enabled")}
    assert set(surveys) == {"playbooks/onboard_teams.yml", "playbooks/offboard_team.yml"}
    for playbook, survey in surveys.items():
        assert isinstance(survey.get("name"), str) and isinstance(survey.get("description"), str) and survey["spec"]
        variables = [q["variable"] for q in survey["spec"]]
        assert len(set(variables)) == len(variables)
        for question in survey["spec"]:
            assert question["type"] in SURVEY_TYPES and question["question_name"] and isinstance(question["required"], bool)
            if "min" in question or "max" in question:
                assert isinstance(question["min"], int) and isinstance(question["max"], int) and question["min"] <= question["max"]
            if "default" in question and question["type"] in ("text", "textarea"):
                assert isinstance(question["default"], str) and len(question["default"]) <= question.get("max", 1024)
            # Each answer is read by the playbook or a role it runs.
            text = (REPO / playbook).read_text(encoding="utf-8") + "".join(
                p.read_text(encoding="utf-8") for p in (REPO / "roles").rglob("*.yml")) + "".join(
                p.read_text(encoding="utf-8") for p in (REPO / "plugins").rglob("*.py"))
            assert question["variable"] in text, question["variable"]
    confirm = [q for q in surveys["playbooks/offboard_team.yml"]["spec"] if q["variable"] == "observability_offboard_confirm"]
    assert confirm and confirm[0]["required"] is True


def test_awx_setup_refuses_a_kubeconfig_without_every_cluster_context(tmp_path):
    from ansible_collections.vigil.observability.tests.support.playbook_helpers import run_playbook  # pylint: disable=import-outside-toplevel

    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig({"prod-eu": "https://eu.example:6443"}), encoding="utf-8")
    proc = run_playbook(AWX_SETUP, "localhost,", "-e", "awx_kubeconfig_file=%s" % path, check=False)
    assert proc.returncode != 0
    assert "has no context prod-us-admin (host prod-us); its contexts: prod-eu-admin" in proc.stdout, proc.stdout[-3000:]
    assert TOKEN not in proc.stdout + proc.stderr
    assert "TASK [Execution environment" not in proc.stdout


# ---------------------------------------------------------------------------------------------
# The job templates' playbooks, as AWX runs them


def injected(private, servers):
    """What AWX does for the kubeconfig credential: writes the input to a file, sets the env its injectors name."""
    ctype = yaml.safe_load(AWX_SETUP.read_text(encoding="utf-8").replace("!unsafe ", ""))[0]["tasks"]
    injectors = next(t for t in ctype if "awx.awx.credential_type" in t)["awx.awx.credential_type"]["injectors"]
    path = Path(private) / "env" / "tmpk8s_kubeconfig"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(injectors["file"]["template.kubeconfig"].replace("{{ kubeconfig }}", kubeconfig(servers)), encoding="utf-8")
    path.chmod(0o600)
    return {k: v.replace("{{ tower.filename.kubeconfig }}", str(path)) for k, v in injectors["env"].items()}


def vaulted_inventory(tmp_path):
    """The production inventory with its vault file really encrypted, as a team using the Vault credential has it."""
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel
    import shutil  # pylint: disable=import-outside-toplevel

    inventory = tmp_path / "inventory"
    shutil.copytree(PRODUCTION, inventory)
    placeholder = inventory / "group_vars" / "all" / "vault_placeholder.yml"
    plain = placeholder.read_text(encoding="utf-8")
    placeholder.unlink()
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    (inventory / "group_vars" / "all" / "vault.yml").write_bytes(vault.encrypt(plain))
    return inventory


def run_job(tmp_path, playbook, extravars, servers, limit=None, cmdline="", env=None):
    private = Path(tempfile.mkdtemp(prefix="private-%s-" % Path(playbook).stem, dir=tmp_path))
    envvars = injected(private, servers)
    envvars.update(env or {})
    envvars.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".venv" / "collections"),
                    "HOME": str(tmp_path / "home"), "PATH": str(REPO / ".venv" / "bin") + os.pathsep + os.environ.get("PATH", "")})
    for key in ("ANSIBLE_CONFIG", "KUBECONFIG", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_CONTEXT"):
        envvars.setdefault(key, "")
    envvars["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    result = ansible_runner.run(
        private_data_dir=str(private), project_dir=str(REPO), playbook=playbook, inventory=str(vaulted_inventory(private)),
        extravars=extravars, envvars=envvars, limit=limit, cmdline=("--ask-vault-pass " + cmdline).strip(),
        passwords={r"^Vault password:\s*?$": VAULT_PASSWORD}, quiet=True, timeout=900)
    return result


def events(result, task):
    return {e["event_data"]["host"]: e["event_data"]["res"] for e in result.events
            if e.get("event") in ("runner_on_ok", "runner_on_failed") and e["event_data"].get("task") == task}


def stdout(result):
    return result.stdout.read()


SERVERS = {"prod-eu": "https://eu.example:6443", "prod-us": "https://us.example:6443"}


def test_onboarding_resolves_each_cluster_hosts_own_context_and_server(tmp_path):
    out = tmp_path / "rendered"
    result = run_job(tmp_path, "playbooks/onboard_teams.yml",
                     {"observability_only_teams_csv": "payments", "observability_mode": "render", "observability_render_dir": str(out)},
                     SERVERS)
    text = stdout(result)
    assert result.rc == 0, text[-5000:]
    plans = events(result, "Plan | Build and validate the cluster's whole plan (every problem at once, nothing written yet)")
    assert set(plans) == {"prod-eu", "prod-us"}
    for host, res in plans.items():
        conn = res["connection"]
        assert conn["context"] == "%s-admin" % host and conn["context_from"] == "observability_kube_context"
        assert conn["kubeconfig_from"] == "K8S_AUTH_KUBECONFIG (environment)" and conn["kubeconfig"].endswith("env/tmpk8s_kubeconfig")
        assert conn["server"] == SERVERS[host]
    shown = events(result, "Connection | The cluster this host reaches")
    assert shown["prod-eu"]["msg"].startswith("https://eu.example:6443: context prod-eu-admin")
    assert shown["prod-us"]["msg"].startswith("https://us.example:6443: context prod-us-admin")
    # The vault file was read with the password AWX answers at the prompt; neither it nor the token is printed.
    assert (out / "prod-eu").is_dir() and (out / "prod-us").is_dir()
    assert TOKEN not in text and VAULT_PASSWORD not in text and "PLACEHOLDER-pagerduty" not in text


def test_the_check_template_with_a_limit_runs_one_cluster_in_check_and_diff_mode(tmp_path):
    result = run_job(tmp_path, "playbooks/site.yml", {"observability_mode": "render", "observability_render_dir": str(tmp_path / "r")},
                     SERVERS, limit="prod-us", cmdline="--check --diff")
    text = stdout(result)
    assert result.rc == 0, text[-5000:]
    shown = events(result, "Connection | The cluster this host reaches")
    assert set(shown) == {"prod-us"} and shown["prod-us"]["msg"].startswith("https://us.example:6443: context prod-us-admin")
    assert not (tmp_path / "r").exists(), "check mode writes nothing"


def test_in_apply_mode_kubernetes_core_goes_to_each_hosts_own_server(tmp_path):
    # Nothing listens there: each host's first cluster call fails on its own port, and the plan reports it, before
    # anything is applied.
    ports = {"prod-eu": free_port(), "prod-us": free_port()}
    servers = {h: "https://127.0.0.1:%d" % p for h, p in ports.items()}
    result = run_job(tmp_path, "playbooks/site.yml", {}, servers)
    text = stdout(result)
    assert result.rc != 0
    lookups = events(result, "Preflight | Look for cert-manager in the cluster (the operator's webhook certificates)")
    for host, port in ports.items():
        assert "port=%d" % port in lookups[host].get("msg", ""), {k: v for k, v in lookups[host].items() if k != "invocation"}
        other = ports["prod-us" if host == "prod-eu" else "prod-eu"]
        assert "port=%d" % other not in lookups[host]["msg"]
    plans = events(result, "Plan | Build and validate the cluster's whole plan (every problem at once, nothing written yet)")
    for host, res in plans.items():
        shown = {k: v for k, v in res.items() if k not in ("scopes", "releases")}
        assert "the cluster could not be asked before planning" in res.get("msg", ""), shown
        assert "port=%d" % ports[host] in res["msg"]
    assert "TASK [vigil.observability.helm_release" not in text and TOKEN not in text


def test_a_bearer_token_credential_fails_the_run_before_anything_is_applied(tmp_path):
    # The old credential: one server for every host, whatever their contexts.
    env = {"K8S_AUTH_HOST": "https://127.0.0.1:%d" % free_port(), "K8S_AUTH_API_KEY": TOKEN}
    result = run_job(tmp_path, "playbooks/site.yml", {}, SERVERS, env=env)
    text = stdout(result)
    assert result.rc != 0
    plans = events(result, "Plan | Build and validate the cluster's whole plan (every problem at once, nothing written yet)")
    for host, res in plans.items():
        assert "observability_kube_context: %s-admin is not used: K8S_AUTH_HOST and K8S_AUTH_API_KEY (environment) take precedence" % host in res["msg"]
    assert TOKEN not in text


def test_offboarding_needs_its_confirmation(tmp_path):
    base = {"observability_offboard_team": "payments", "observability_mode": "render", "observability_render_dir": str(tmp_path / "o")}
    result = run_job(tmp_path, "playbooks/offboard_team.yml", dict(base, observability_offboard_confirm="paymnets"), SERVERS, limit="prod-eu")
    text = stdout(result)
    assert result.rc != 0 and "observability_offboard_confirm: must repeat the team's name (payments)" in text
    assert not (tmp_path / "o").exists()
    result = run_job(tmp_path, "playbooks/offboard_team.yml", dict(base, observability_offboard_confirm="payments"), SERVERS, limit="prod-eu")
    assert result.rc == 0, stdout(result)[-5000:]
