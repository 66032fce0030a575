#!/usr/bin/env python3
"""Assertions on `helm template` output of the podguard charts. Used by tests/charts/run.sh.

    check_rendered.py SCENARIO FILE [FILE2]

Prints one "ok - ..." or "FAIL - ..." line per assertion (run.sh counts them) and exits 1 if any
failed, 2 on a usage error. Scenarios are the functions named check_<scenario> below.
"""
import re
import sys

import yaml

RESULTS = {"passed": 0, "failed": 0}
RELEASE = "t"  # run.sh renders every scenario as release "t"
# The component charts name their resources "<release>-<component>"; the umbrella's own (the Ingress)
# "<release>-todo-chatbot".
BACKEND = RELEASE + "-backend"
FRONTEND = RELEASE + "-frontend"
POSTGRESQL = RELEASE + "-postgresql"
UMBRELLA = RELEASE + "-todo-chatbot"


def ok(name):
    RESULTS["passed"] += 1
    print(f"ok   - {name}")


def fail(name, why):
    RESULTS["failed"] += 1
    print(f"FAIL - {name}")
    for line in str(why).splitlines():
        print(f"       {line}")


def check(name, condition, why=""):
    if condition:
        ok(name)
    else:
        fail(name, why or "condition is false")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name=None):
    found = [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]
    return found


def one(docs, kind, name):
    found = find(docs, kind, name)
    if len(found) != 1:
        raise AssertionError(f"expected exactly one {kind} {name}, found {len(found)}")
    return found[0]


def pod_spec(doc):
    return doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]


def workloads(docs):
    return [d for d in docs if d.get("kind") in ("Deployment", "StatefulSet", "Pod")]


def containers(spec):
    """(list name, container) for every container of a pod spec, init containers included."""
    return [("initContainers", c) for c in spec.get("initContainers") or []] + \
           [("containers", c) for c in spec.get("containers") or []]


def container(spec, where, name):
    matches = [c for c in spec.get(where) or [] if c["name"] == name]
    return matches[0] if matches else None


# --- shared assertions ----------------------------------------------------------------------------

def assert_restricted(docs, label):
    """Every container of every workload meets the restricted Pod Security profile."""
    problems = []
    for w in workloads(docs):
        spec = pod_spec(w)
        pod_sc = spec.get("securityContext") or {}
        where = f'{w["kind"]}/{w["metadata"]["name"]}'
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken is not false")
        if pod_sc.get("runAsNonRoot") is not True:
            problems.append(f"{where}: pod runAsNonRoot is not true")
        if (pod_sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: pod seccompProfile is not RuntimeDefault")
        for _, c in containers(spec):
            sc = c.get("securityContext") or {}
            cw = f'{where} container {c["name"]}'
            if sc.get("runAsNonRoot") is not True:
                problems.append(f"{cw}: runAsNonRoot is not true")
            if sc.get("runAsUser") == 0:
                problems.append(f"{cw}: runAsUser 0")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{cw}: allowPrivilegeEscalation is not false")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{cw}: capabilities.drop lacks ALL")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{cw}: adds capabilities")
            if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{cw}: seccompProfile is not RuntimeDefault")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{cw}: readOnlyRootFilesystem is not true")
            if sc.get("privileged"):
                problems.append(f"{cw}: privileged")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for key in ("cpu", "memory"):
                    if key not in (res.get(part) or {}):
                        problems.append(f"{cw}: no {part}.{key}")
    check(f"{label}: every container is restricted (non-root, no escalation, drop ALL, RuntimeDefault, read-only root), "
          "bounded, and no pod mounts a token", not problems, "\n".join(problems))


def assert_labels(docs, label):
    problems = []
    for d in docs:
        labels = d["metadata"].get("labels") or {}
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                    "app.kubernetes.io/managed-by", "helm.sh/chart"):
            if key not in labels:
                problems.append(f'{d["kind"]}/{d["metadata"]["name"]}: no label {key}')
        if d["kind"] in ("Deployment", "StatefulSet"):
            selector = d["spec"]["selector"]["matchLabels"]
            template_labels = d["spec"]["template"]["metadata"]["labels"]
            if any(template_labels.get(k) != v for k, v in selector.items()):
                problems.append(f'{d["kind"]}/{d["metadata"]["name"]}: selector does not match the pod labels')
    check(f"{label}: app.kubernetes.io/* labels on every resource, selectors match", not problems, "\n".join(problems))


def assert_secret_refs_resolve(docs, label, external=()):
    """Every secretKeyRef names a Secret that is rendered, or one of the external ones."""
    secrets = {d["metadata"]["name"] for d in find(docs, "Secret")} | set(external)
    problems = []
    for w in workloads(docs):
        for _, c in containers(pod_spec(w)):
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref and ref["name"] not in secrets:
                    problems.append(f'{w["metadata"]["name"]}/{c["name"]}: {e["name"]} -> Secret {ref["name"]}, not rendered')
    check(f"{label}: every secretKeyRef names a rendered (or an existing) Secret", not problems, "\n".join(problems))


def backend(docs):
    return one(docs, "Deployment", BACKEND)


def healthproxy_location(spec):
    init = container(spec, "initContainers", "healthproxy")
    main = container(spec, "containers", "healthproxy")
    return init, main


def assert_native(docs, label, workload=None):
    spec = pod_spec(workload or backend(docs))
    init, main = healthproxy_location(spec)
    check(f"{label}: healthproxy is a native sidecar (initContainers, restartPolicy Always)",
          init is not None and init.get("restartPolicy") == "Always" and main is None,
          f"initContainers: {init and init.get('restartPolicy')}, containers: {main is not None}")
    names = [c["name"] for c in spec.get("initContainers") or []]
    check(f"{label}: initcheck runs before the native sidecar", names[:2] == ["initcheck", "healthproxy"], names)
    return init


def assert_regular(docs, label, workload=None):
    spec = pod_spec(workload or backend(docs))
    init, main = healthproxy_location(spec)
    check(f"{label}: healthproxy is a regular container (containers, no restartPolicy)",
          init is None and main is not None and "restartPolicy" not in main,
          f"in initContainers: {init is not None}, in containers: {main is not None}")
    return main


def assert_healthproxy(hp, label, ready_path="/servingz"):
    probes = {k: hp.get(k) or {} for k in ("startupProbe", "readinessProbe", "livenessProbe")}
    get = {k: (v.get("httpGet") or {}) for k, v in probes.items()}
    check(f"{label}: startupProbe is GET /livez on the admin port (never the database)",
          get["startupProbe"].get("path") == "/livez" and get["startupProbe"].get("port") == 9901, probes["startupProbe"])
    check(f"{label}: readinessProbe GET {ready_path} (healthproxy.readinessGate), livenessProbe GET /livez on 9901",
          get["readinessProbe"] == {"path": ready_path, "port": 9901} and get["livenessProbe"] == {"path": "/livez", "port": 9901},
          get)
    ports = {p["name"]: p["containerPort"] for p in hp.get("ports") or []}
    check(f"{label}: healthproxy ports http-proxy 8080 and admin 9901", ports == {"http-proxy": 8080, "admin": 9901}, ports)
    args = hp.get("args") or []
    want = ["--listen=0.0.0.0:8080", "--upstream=127.0.0.1:8000", "--admin=0.0.0.0:9901", "--db-url-env=DATABASE_URL"]
    check(f"{label}: healthproxy listens on 8080, forwards to 127.0.0.1:8000, admin on 9901",
          args[:4] == want, args)
    check(f"{label}: healthproxy never gets the URL as a flag (ps would show it)",
          not any(a.startswith("--db-url=") for a in args), args)
    env = [e["name"] for e in hp.get("env") or []]
    check(f"{label}: healthproxy gets only DATABASE_URL from the Secret", env == ["DATABASE_URL"], env)
    return args


def assert_initcheck(spec, label, want_require):
    ic = container(spec, "initContainers", "initcheck")
    if ic is None:
        fail(f"{label}: initcheck init container exists", [c["name"] for c in spec.get("initContainers") or []])
        return None
    ok(f"{label}: initcheck init container exists")
    requires = [a for a in ic.get("args") or [] if a.startswith("--require")]
    check(f"{label}: initcheck --require args", requires == want_require, requires)
    check(f"{label}: initcheck termination message: /dev/termination-log, FallbackToLogsOnError",
          ic.get("terminationMessagePath") == "/dev/termination-log"
          and ic.get("terminationMessagePolicy") == "FallbackToLogsOnError", ic.get("terminationMessagePolicy"))
    check(f"{label}: initcheck runs as 65532 (the image's user)",
          ic["securityContext"].get("runAsUser") == 65532, ic["securityContext"])
    check(f"{label}: initcheck image podguard/initcheck tagged with the appVersion",
          ic["image"] == "podguard/initcheck:0.1.0", ic["image"])
    return ic


BACKEND_REQUIRE = ["--require=DATABASE_URL=postgres-url",
                   "--require=OPENAI_API_KEY=openai-key|ANTHROPIC_API_KEY=anthropic-key",
                   "--require=BETTER_AUTH_SECRET=secret"]


def leaf_paths(values, prefix=""):
    for key, value in values.items():
        if isinstance(value, dict) and value:
            yield from leaf_paths(value, f"{prefix}{key}.")
        else:
            yield prefix + key


# --- scenarios ------------------------------------------------------------------------------------

def documented(path, values, label):
    """Every leaf value of a values file has an @param comment (itself or a parent)."""
    with open(path, encoding="utf-8") as f:
        params = set(re.findall(r"@param\s+(\S+)", f.read()))
    undocumented = [p for p in leaf_paths(values)
                    if not any(".".join(p.split(".")[:i]) in params for i in range(1, p.count(".") + 2))]
    check(f"{label}: every value has an @param comment (itself or its parent)", not undocumented, undocumented)


def secret_fields(values):
    """The secret values a values file sets: {path: value} (existingSecret and databaseUrlSecret name Secrets, not secrets)."""
    found = {}
    for prefix, section in (("global.secrets", (values.get("global") or {}).get("secrets")),
                            ("secrets", values.get("secrets")),
                            ("backend.secrets", (values.get("backend") or {}).get("secrets")),
                            ("frontend.secrets", (values.get("frontend") or {}).get("secrets"))):
        for key, value in (section or {}).items():
            if key not in ("existingSecret", "databaseUrlSecret"):
                found[f"{prefix}.{key}"] = value
    for prefix, section in (("auth", values.get("auth")), ("postgresql.auth", (values.get("postgresql") or {}).get("auth"))):
        if section and "password" in section:
            found[f"{prefix}.password"] = section["password"]
    return found


def check_values_file(umbrella, backend_values, frontend_values, postgresql_values, *examples):
    """The charts' values.yaml files (and the example values files) hold nothing secret, and document every value."""
    loaded = {}
    for path in (umbrella, backend_values, frontend_values, postgresql_values):
        with open(path, encoding="utf-8") as f:
            loaded[path] = yaml.safe_load(f)
        label = "/".join(path.rsplit("/", 2)[-2:])
        fields = secret_fields(loaded[path])
        check(f"{label}: every secret value is empty ({', '.join(sorted(fields))})",
              fields and all(v == "" for v in fields.values()), fields)
        documented(path, loaded[path], label)
    b = loaded[backend_values]
    check("backend/values.yaml: replicas defaults to 2", b["replicas"] == 2, b["replicas"])
    check("backend/values.yaml: healthproxy.sidecarMode defaults to auto", b["healthproxy"]["sidecarMode"] == "auto")
    check("backend/values.yaml: initcheck image podguard/initcheck, tag empty (the chart's appVersion)",
          b["initcheck"]["image"]["repository"] == "podguard/initcheck" and b["initcheck"]["image"]["tag"] == "")
    check("backend/values.yaml: service.name defaults to empty (global.backendService.name, else the fullname)",
          b["service"]["name"] == "", b["service"])
    u = loaded[umbrella]
    check("todo-chatbot/values.yaml: sets no component value the component chart already defaults (only the wiring)",
          u["backend"] == {"secrets": {"databaseUrlSecret": {"name": "{{ .Release.Name }}-postgresql"}}}
          and u["frontend"] == {"enabled": True} and u["postgresql"] == {"enabled": True}, {k: u[k] for k in ("backend", "frontend", "postgresql")})
    for example in examples:
        with open(example, encoding="utf-8") as f:
            ex = yaml.safe_load(f) or {}
        given = sorted(k for k, v in secret_fields(ex).items() if v)
        check(f"{example.rsplit('/', 1)[-1]}: holds no secret value", not given, given)


def env_ref(container, name):
    """The secretKeyRef of a container's env entry, or None."""
    for e in container.get("env") or []:
        if e["name"] == name:
            return ((e.get("valueFrom") or {}).get("secretKeyRef"))
    return None


def secret_keys(docs, name):
    return sorted(one(docs, "Secret", name).get("data") or {})


def check_default(path):
    """Default values plus fake secrets, Kubernetes 1.30."""
    docs = load(path)
    label = "default"
    assert_restricted(docs, label)
    assert_labels(docs, label)
    assert_secret_refs_resolve(docs, label)
    assert_network_policies(docs, label)
    assert_backend_pdb(docs, label)
    # 0.1.x's single chart selected on these three labels; a Deployment's and a StatefulSet's selector
    # is immutable, so the same values are what lets `helm upgrade` from 0.1.x update them in place.
    for kind, name, component in (("Deployment", BACKEND, "backend"), ("Deployment", FRONTEND, "frontend"),
                                  ("StatefulSet", POSTGRESQL, "postgresql")):
        sel = one(docs, kind, name)["spec"]["selector"]
        check(f"{label}: {kind} {name} selects on 0.1.x's labels (name todo-chatbot, instance, component)",
              sel == {"matchLabels": {"app.kubernetes.io/name": "todo-chatbot", "app.kubernetes.io/instance": RELEASE,
                                      "app.kubernetes.io/component": component}}, sel)

    b = backend(docs)
    check(f"{label}: backend has 2 replicas", b["spec"]["replicas"] == 2, b["spec"]["replicas"])
    spec = pod_spec(b)
    app = container(spec, "containers", "backend")
    check(f"{label}: backend resources 256Mi/200m requests, 512Mi/500m limits",
          app["resources"] == {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
          app["resources"])
    check(f"{label}: the backend app listens on 8000 inside the pod",
          [p["containerPort"] for p in app.get("ports") or []] == [8000], app.get("ports"))
    check(f"{label}: backend /tmp is an emptyDir (read-only root)",
          any(m["mountPath"] == "/tmp" for m in app.get("volumeMounts") or []), app.get("volumeMounts"))
    check(f"{label}: backend replicas spread over nodes (podAntiAffinity)",
          "podAntiAffinity" in (spec.get("affinity") or {}), spec.get("affinity"))

    svc = one(docs, "Service", BACKEND)
    ports = {p["name"]: p for p in svc["spec"]["ports"]}
    check(f"{label}: backend Service is ClusterIP, port 8000 targets healthproxy's 8080",
          svc["spec"].get("type") == "ClusterIP" and ports["http"]["port"] == 8000 and ports["http"]["targetPort"] == 8080,
          svc["spec"])
    check(f"{label}: backend Service exposes the admin port 9901", ports.get("admin", {}).get("targetPort") == 9901, ports)
    check(f"{label}: backend Service selects the backend pods",
          svc["spec"]["selector"].items() <= spec_labels(b).items(), svc["spec"]["selector"])

    assert_initcheck(spec, label, BACKEND_REQUIRE)
    hp = assert_native(docs, label)
    if hp:
        args = assert_healthproxy(hp, label)
        for flag in ("--probe-interval=5s", "--probe-timeout=3s", "--drain-min=5s", "--drain-max=25s"):
            check(f"{label}: healthproxy flag {flag} from values", flag in args, args)
        check(f"{label}: empty flag values keep healthproxy's defaults (no --backoff-max=)",
              not any(a.startswith("--backoff-max") or a.endswith("=") for a in args), args)
        check(f"{label}: healthproxy image podguard/healthproxy tagged with the appVersion",
              hp["image"] == "podguard/healthproxy:0.1.0", hp["image"])
        check(f"{label}: healthproxy reads DATABASE_URL from the postgresql chart's Secret (key database-url)",
              env_ref(hp, "DATABASE_URL") == {"name": POSTGRESQL, "key": "database-url", "optional": True}, hp.get("env"))
    want_refs = {"DATABASE_URL": {"name": POSTGRESQL, "key": "database-url", "optional": True}} | {
        k: {"name": BACKEND, "key": k, "optional": True} for k in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "BETTER_AUTH_SECRET")}
    got_refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in app.get("env") or [] if "secretKeyRef" in (e.get("valueFrom") or {})}
    check(f"{label}: the backend reads DATABASE_URL from the postgresql chart's Secret, the other keys from its own (optional refs)",
          got_refs == want_refs, got_refs)

    annotations = b["spec"]["template"]["metadata"].get("annotations") or {}
    check(f"{label}: backend pod template has checksum/config and checksum/secret",
          len(annotations.get("checksum/config", "")) == 64 and len(annotations.get("checksum/secret", "")) == 64, annotations)
    lifecycle = app.get("lifecycle", {}).get("preStop", {})
    check(f"{label}: backend preStop is a sleep action on 1.30 (no shell needed)", lifecycle == {"sleep": {"seconds": 5}}, lifecycle)

    f = one(docs, "Deployment", FRONTEND)
    fspec = pod_spec(f)
    fapp = container(fspec, "containers", "frontend")
    check(f"{label}: frontend listens on 3000", [p["containerPort"] for p in fapp["ports"]] == [3000], fapp["ports"])
    check(f"{label}: frontend resources 128Mi/100m requests, 256Mi/300m limits",
          fapp["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "300m", "memory": "256Mi"}},
          fapp["resources"])
    assert_initcheck(fspec, f"{label} frontend", ["--require=BETTER_AUTH_SECRET=secret"])
    fenv = [e["name"] for e in fapp.get("env") or []]
    check(f"{label}: frontend reads only BETTER_AUTH_SECRET, from its own Secret",
          [(e["name"], e["valueFrom"]["secretKeyRef"]["name"]) for e in fapp["env"] if "valueFrom" in e] == [("BETTER_AUTH_SECRET", FRONTEND)], fenv)
    check(f"{label}: frontend listens on all addresses (HOSTNAME=0.0.0.0, not the pod name)",
          {"name": "HOSTNAME", "value": "0.0.0.0"} in fapp["env"], fapp["env"])
    fann = f["spec"]["template"]["metadata"].get("annotations") or {}
    check(f"{label}: frontend pod template has checksum/config and checksum/secret",
          "checksum/config" in fann and "checksum/secret" in fann, fann)
    fsvc = one(docs, "Service", FRONTEND)
    check(f"{label}: frontend Service is NodePort on 3000",
          fsvc["spec"]["type"] == "NodePort" and fsvc["spec"]["ports"][0]["port"] == 3000, fsvc["spec"])
    fcm = one(docs, "ConfigMap", FRONTEND)
    check(f"{label}: frontend ConfigMap points server-side code at the backend Service",
          fcm["data"].get("BACKEND_URL") == f"http://{BACKEND}:8000", fcm["data"])

    sts = one(docs, "StatefulSet", POSTGRESQL)
    pspec = pod_spec(sts)
    pg = container(pspec, "containers", "postgresql")
    check(f"{label}: postgresql from the official image postgres:16-alpine", pg["image"] == "postgres:16-alpine", pg["image"])
    check(f"{label}: postgresql has a volumeClaimTemplate",
          [t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates") or []] == ["data"], sts["spec"].get("volumeClaimTemplates"))
    check(f"{label}: postgresql runs as uid 70 with fsGroup 70",
          pspec["securityContext"].get("runAsUser") == 70 and pspec["securityContext"].get("fsGroup") == 70, pspec["securityContext"])
    cmd = (pg.get("readinessProbe") or {}).get("exec", {}).get("command", [])
    check(f"{label}: postgresql readinessProbe is exec pg_isready", cmd[:1] == ["pg_isready"], cmd)
    check(f"{label}: postgresql livenessProbe is a TCP check (pg_isready fails during crash recovery)",
          (pg.get("livenessProbe") or {}).get("tcpSocket") == {"port": "postgresql"}, pg.get("livenessProbe"))
    headless = one(docs, "Service", POSTGRESQL)
    check(f"{label}: postgresql Service is headless and is the StatefulSet's serviceName",
          headless["spec"].get("clusterIP") == "None" and sts["spec"]["serviceName"] == headless["metadata"]["name"], headless["spec"])
    check(f"{label}: postgresql pod has checksum/secret", "checksum/secret" in (sts["spec"]["template"]["metadata"].get("annotations") or {}))

    check(f"{label}: each component's Secret holds only the keys it reads and was given (no ANTHROPIC_API_KEY without a value)",
          secret_keys(docs, BACKEND) == ["BETTER_AUTH_SECRET", "OPENAI_API_KEY"]
          and secret_keys(docs, FRONTEND) == ["BETTER_AUTH_SECRET"]
          and secret_keys(docs, POSTGRESQL) == ["database-url", "password"],
          {n: secret_keys(docs, n) for n in (BACKEND, FRONTEND, POSTGRESQL)})
    check(f"{label}: three Secrets, one per component", sorted(d["metadata"]["name"] for d in find(docs, "Secret")) == sorted([BACKEND, FRONTEND, POSTGRESQL]),
          [d["metadata"]["name"] for d in find(docs, "Secret")])

    assert_test_pods(docs, label, BACKEND)
    check(f"{label}: no Ingress unless enabled", not find(docs, "Ingress"))
    check(f"{label}: a ServiceAccount per component, token not automounted",
          sorted((s["metadata"]["name"], s.get("automountServiceAccountToken")) for s in find(docs, "ServiceAccount"))
          == [(BACKEND, False), (FRONTEND, False), (POSTGRESQL, False)], find(docs, "ServiceAccount"))


def assert_test_pods(docs, label, backend_service, components=("backend", "frontend", "postgresql")):
    """The `helm test` pods: one per component, each a hook pod run without a shell."""
    pods = {p["metadata"]["name"]: p for p in find(docs, "Pod")}
    check(f"{label}: a helm test pod per component ({', '.join(components)})",
          sorted(pods) == sorted(f"{RELEASE}-{c}-test" for c in components), sorted(pods))
    for name, pod in pods.items():
        check(f"{label}: {name} is a helm test hook pod", (pod["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test",
              pod["metadata"].get("annotations"))
    if "backend" in components:
        tc = pods[f"{BACKEND}-test"]["spec"]["containers"][0]
        check(f"{label}: helm test runs `healthproxy probe http://<backend Service>:9901/readyz` (exec, no shell)",
              tc["image"].startswith("podguard/healthproxy:") and "command" not in tc
              and tc["args"][0] == "probe" and tc["args"][-1] == f"http://{backend_service}:9901/readyz", tc)
    if "frontend" in components:
        tc = pods[f"{FRONTEND}-test"]["spec"]["containers"][0]
        check(f"{label}: helm test runs `healthproxy probe http://<frontend>:3000/` (the page answers)",
              tc["image"].startswith("podguard/healthproxy:") and tc["args"][0] == "probe" and tc["args"][-1] == f"http://{FRONTEND}:3000/", tc)
    if "postgresql" in components:
        tc = pods[f"{POSTGRESQL}-test"]["spec"]["containers"][0]
        check(f"{label}: helm test runs pg_isready against the PostgreSQL Service, from the server's image",
              tc["command"][0] == "pg_isready" and f"--host={POSTGRESQL}" in tc["command"] and tc["image"] == pod_spec(one(docs, "StatefulSet", POSTGRESQL))["containers"][0]["image"], tc)


def assert_network_policies(docs, label):
    """A NetworkPolicy per component and per helm test pod: ingress only on the ports it serves, egress open."""
    policies = {p["metadata"]["name"]: p["spec"] for p in find(docs, "NetworkPolicy")}
    want = {BACKEND: "backend", FRONTEND: "frontend", POSTGRESQL: "postgresql",
            f"{BACKEND}-test": "test", f"{FRONTEND}-test": "test", f"{POSTGRESQL}-test": "test"}
    check(f"{label}: a NetworkPolicy per component and per test pod", sorted(policies) == sorted(want), sorted(policies))
    for name, spec in policies.items():
        component = want.get(name)
        check(f"{label}: NetworkPolicy {name} selects its component's pods",
              spec["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == component
              and spec["podSelector"]["matchLabels"].get("app.kubernetes.io/instance") == RELEASE, spec["podSelector"])
        check(f"{label}: NetworkPolicy {name} governs ingress and egress, egress open",
              spec["policyTypes"] == ["Ingress", "Egress"] and spec["egress"] == [{}], spec)
    ports = lambda n: sorted(p["port"] for rule in policies[n]["ingress"] for p in rule["ports"])
    check(f"{label}: the backend admits only healthproxy's ports 8080 and 9901 (never the app's 8000)",
          ports(BACKEND) == [8080, 9901], policies[BACKEND]["ingress"])
    check(f"{label}: the frontend admits its port 3000", ports(FRONTEND) == [3000], policies[FRONTEND]["ingress"])
    pg_rules = policies[POSTGRESQL]["ingress"]
    # The application's name label: the umbrella's global.applicationName (todo-chatbot), which every
    # test pod of the release shares, or the chart's own name when installed alone.
    app_name = policies[POSTGRESQL]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
    sources = [f["podSelector"] for rule in pg_rules for f in rule.get("from", [])]
    check(f"{label}: PostgreSQL admits 5432 only from this release's backend and frontend pods and its own test pod",
          ports(POSTGRESQL) == [5432] and all("from" in r for r in pg_rules) and len(sources) == 2
          and sources[0] == {"matchLabels": {"app.kubernetes.io/instance": RELEASE},
                             "matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["backend", "frontend"]}]}
          and sources[1]["matchLabels"] == {"app.kubernetes.io/name": app_name, "app.kubernetes.io/instance": RELEASE,
                                            "app.kubernetes.io/component": "test"},
          pg_rules)
    for name in (f"{BACKEND}-test", f"{FRONTEND}-test", f"{POSTGRESQL}-test"):
        check(f"{label}: the helm test pod {name} admits nothing", policies[name]["ingress"] == [], policies[name])


def assert_backend_pdb(docs, label):
    pdb = one(docs, "PodDisruptionBudget", BACKEND)
    check(f"{label}: the backend's PodDisruptionBudget allows one eviction at a time, always lets a not-ready pod go, and selects the backend pods",
          pdb["spec"]["maxUnavailable"] == 1
          and pdb["spec"].get("unhealthyPodEvictionPolicy") == "AlwaysAllow"
          and pdb["spec"]["selector"]["matchLabels"] == backend(docs)["spec"]["selector"]["matchLabels"], pdb["spec"])


def check_single(path):
    """backend.replicas=1, networkPolicy.enabled=false: no PDB (it would block drains), no policies."""
    docs = load(path)
    check("one backend replica: no PodDisruptionBudget", find(docs, "PodDisruptionBudget") == [], find(docs, "PodDisruptionBudget"))
    check("networkPolicy.enabled=false: no NetworkPolicy", find(docs, "NetworkPolicy") == [])


def check_frontend_scaled(path):
    """frontend.replicas=2: a frontend PodDisruptionBudget (one at a time) selecting exactly its pods."""
    docs = load(path)
    pdbs = {p["metadata"]["name"]: p["spec"] for p in find(docs, "PodDisruptionBudget")}
    front = one(docs, "Deployment", FRONTEND)
    check("two frontend replicas: a PodDisruptionBudget for each replicated component",
          sorted(pdbs) == sorted([BACKEND, FRONTEND]), sorted(pdbs))
    check("the frontend's PodDisruptionBudget: maxUnavailable 1, AlwaysAllow, its Deployment's selector",
          pdbs.get(FRONTEND, {}).get("maxUnavailable") == 1 and pdbs[FRONTEND].get("unhealthyPodEvictionPolicy") == "AlwaysAllow"
          and pdbs[FRONTEND]["selector"] == front["spec"]["selector"], pdbs.get(FRONTEND))


def spec_labels(workload):
    return workload["spec"]["template"]["metadata"]["labels"]


def check_regular(path):
    """Default values on Kubernetes 1.28: healthproxy is a regular container."""
    docs = load(path)
    label = "kube 1.28"
    assert_restricted(docs, label)
    hp = assert_regular(docs, label)
    if hp:
        assert_healthproxy(hp, label)
    app = container(pod_spec(backend(docs)), "containers", "backend")
    check(f"{label}: backend preStop falls back to exec sleep before 1.30",
          app["lifecycle"]["preStop"] == {"exec": {"command": ["sleep", "5"]}}, app.get("lifecycle"))


def check_gate_database(path):
    """healthproxy.readinessGate=database: the kubelet's readiness is /readyz (the database)."""
    docs = load(path)
    label = "readinessGate=database"
    hp = assert_native(docs, label)
    if hp:
        assert_healthproxy(hp, label, ready_path="/readyz")


def check_forced_native(path):
    """sidecarMode: native on 1.28."""
    assert_native(load(path), "sidecarMode=native on 1.28")


def check_forced_regular(path):
    """sidecarMode: regular on 1.30."""
    assert_regular(load(path), "sidecarMode=regular on 1.30")


def check_dev(path):
    docs = load(path)
    label = "values-dev.yaml"
    assert_restricted(docs, label)
    assert_labels(docs, label)
    hp = assert_native(docs, label)
    if hp:
        args = assert_healthproxy(hp, label)
        check(f"{label}: list flags repeat (--passthrough, --cors-allow-origin)",
              "--passthrough=/health" in args and "--cors-allow-origin=http://todo.local" in args
              and "--cors-allow-origin=http://localhost:3000" in args, args)
    ingress = one(docs, "Ingress", UMBRELLA)
    rule = ingress["spec"]["rules"][0]
    paths = {p["path"]: (p["backend"]["service"]["name"], p["backend"]["service"]["port"].get("name")) for p in rule["http"]["paths"]}
    check(f"{label}: Ingress /api -> backend, / -> frontend, /api/auth stays with Next.js",
          paths == {"/api": (BACKEND, "http"), "/": (FRONTEND, "http"), "/api/auth": (FRONTEND, "http")}
          and rule.get("host") == "todo.local" and ingress["spec"].get("ingressClassName") == "nginx", paths)
    ic = container(pod_spec(backend(docs)), "initContainers", "initcheck")
    check(f"{label}: strict initcheck", "--strict" in ic["args"], ic["args"])
    check(f"{label}: backend 1 replica", backend(docs)["spec"]["replicas"] == 1)


def check_neon(path):
    docs = load(path)
    label = "values-neon.yaml"
    assert_restricted(docs, label)
    assert_secret_refs_resolve(docs, label)
    check(f"{label}: no in-cluster PostgreSQL (StatefulSet, its Service, its Secret)",
          not find(docs, "StatefulSet") and not find(docs, "Service", POSTGRESQL)
          and not find(docs, "Secret", POSTGRESQL) and not find(docs, "Pod", f"{POSTGRESQL}-test"))
    check(f"{label}: the backend's Secret holds the DATABASE_URL given, and the backend reads it there",
          "DATABASE_URL" in secret_keys(docs, BACKEND)
          and env_ref(container(pod_spec(backend(docs)), "containers", "backend"), "DATABASE_URL")["name"] == BACKEND,
          secret_keys(docs, BACKEND))
    ic = container(pod_spec(backend(docs)), "initContainers", "initcheck")
    check(f"{label}: initcheck --strict --connect --connect-timeout=10s",
          all(a in ic["args"] for a in ("--strict", "--connect", "--connect-timeout=10s")), ic["args"])
    hp = assert_native(docs, label)
    if hp:
        check(f"{label}: idle probing lets Neon scale to zero",
              "--idle-probe-interval=10m" in hp["args"] and "--idle-after=5m" in hp["args"], hp["args"])


def check_minimal(path):
    """backend.initcheck, the frontend, every test pod off, on 1.28: the backend pod has no init containers at all."""
    docs = load(path)
    label = "initcheck, frontend and tests off (kube 1.28)"
    assert_restricted(docs, label)
    spec = pod_spec(backend(docs))
    check(f"{label}: the backend pod has no initContainers key", "initContainers" not in spec, spec.get("initContainers"))
    check(f"{label}: no frontend objects, no test pod",
          not [d for d in docs if d["metadata"]["name"].endswith("-frontend")] and not find(docs, "Pod"))


def check_existing_secrets(path):
    """global.secrets.existingSecret and postgresql.auth.existingSecret: the charts render no Secret."""
    docs = load(path)
    label = "existingSecret"
    check(f"{label}: no Secret rendered", not find(docs, "Secret"), [d["metadata"]["name"] for d in find(docs, "Secret")])
    assert_secret_refs_resolve(docs, label, external=("app-secrets", "pg-secret"))
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for w in workloads(docs) for _, c in containers(pod_spec(w))
            for e in c.get("env") or [] if "secretKeyRef" in (e.get("valueFrom") or {})}
    check(f"{label}: pods read app-secrets and pg-secret", refs == {"app-secrets", "pg-secret"}, refs)
    ann = backend(docs)["spec"]["template"]["metadata"]["annotations"]
    check(f"{label}: checksum/secret still present (from the Secret's name)", len(ann.get("checksum/secret", "")) == 64, ann)


def checksum(docs, name, key):
    return one(docs, "Deployment", name)["spec"]["template"]["metadata"]["annotations"][key]


def check_checksum_config(path_a, path_b):
    a, b = load(path_a), load(path_b)
    label = "backend.config change"
    check(f"{label}: changes the backend's checksum/config",
          checksum(a, BACKEND, "checksum/config") != checksum(b, BACKEND, "checksum/config"))
    check(f"{label}: leaves its checksum/secret",
          checksum(a, BACKEND, "checksum/secret") == checksum(b, BACKEND, "checksum/secret"))
    check(f"{label}: leaves the frontend's checksum/config",
          checksum(a, FRONTEND, "checksum/config") == checksum(b, FRONTEND, "checksum/config"))


def check_checksum_secret(path_a, path_b):
    a, b = load(path_a), load(path_b)
    label = "secret value change"
    for component in ("backend", "frontend"):
        check(f"{label}: changes the {component}'s checksum/secret",
              checksum(a, f"{RELEASE}-{component}", "checksum/secret") != checksum(b, f"{RELEASE}-{component}", "checksum/secret"))
    check(f"{label}: leaves the backend's checksum/config",
          checksum(a, BACKEND, "checksum/config") == checksum(b, BACKEND, "checksum/config"))


def check_url_encoding(path):
    """postgresql.auth.password='p@ss/w:rd #1+' must be percent-encoded in the DATABASE_URL the chart builds."""
    import base64
    docs = load(path)
    secret = one(docs, "Secret", POSTGRESQL)
    url = base64.b64decode(secret["data"]["database-url"]).decode()
    want = f"postgresql://todo:p%40ss%2Fw%3Ard%20%231%2B@{POSTGRESQL}:5432/todo"
    check("the DATABASE_URL the postgresql chart builds (database-url) percent-encodes the password", url == want, f"got  {url}\nwant {want}")
    pg = one(docs, "Secret", POSTGRESQL)
    check("the postgres Secret holds the raw password",
          base64.b64decode(pg["data"]["password"]).decode() == "p@ss/w:rd #1+", pg["data"])


def check_thirdparty(path, mode):
    """The README's example: a third-party chart that includes the library's templates."""
    docs = load(path)
    label = f"third-party chart ({mode})"
    assert_restricted(docs, label)
    d = one(docs, "Deployment", f"{RELEASE}-web")
    spec = pod_spec(d)
    assert_initcheck(spec, label, ["--require=DATABASE_URL=postgres-url", "--require=SESSION_SECRET=secret:48"])
    hp = assert_native(docs, label, d) if mode == "native" else assert_regular(docs, label, d)
    if hp:
        check(f"{label}: healthproxy forwards to the app's port 3000", "--upstream=127.0.0.1:3000" in hp["args"], hp["args"])
        check(f"{label}: app container keeps readiness on /readyz via podguard.probes, no liveness",
              (container(spec, "containers", "web").get("readinessProbe") or {}).get("httpGet", {}).get("path") == "/readyz"
              and "livenessProbe" not in container(spec, "containers", "web"), container(spec, "containers", "web"))

def check_backend_service(path):
    """global.backendService.name=backend-service: the Service, and everything that names it, follow."""
    docs = load(path)
    label = "global.backendService.name=backend-service"
    svc = find(docs, "Service", "backend-service")
    check(f"{label}: the backend Service is backend-service (and no {BACKEND} Service)",
          len(svc) == 1 and not find(docs, "Service", BACKEND)
          and svc[0]["spec"]["selector"].items() <= spec_labels(backend(docs)).items(), [d["metadata"]["name"] for d in find(docs, "Service")])
    fcm = one(docs, "ConfigMap", FRONTEND)
    check(f"{label}: the frontend's BACKEND_URL is http://backend-service:8000",
          fcm["data"].get("BACKEND_URL") == "http://backend-service:8000", fcm["data"])
    rule = one(docs, "Ingress", UMBRELLA)["spec"]["rules"][0]
    paths = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    check(f"{label}: the Ingress sends /api to backend-service", paths.get("/api") == "backend-service", paths)
    assert_test_pods(docs, label, "backend-service")
    check(f"{label}: the other backend resources keep their names ({BACKEND})",
          backend(docs) and one(docs, "ConfigMap", BACKEND) and one(docs, "NetworkPolicy", BACKEND) and one(docs, "Secret", BACKEND))


def assert_chart_alone(docs, label, name, kinds, external=()):
    """What every component chart installed alone must hold: restricted pods, the standard labels,
    Secret references that resolve (except those named external), and exactly the resources
    (kind, name) named after it."""
    assert_restricted(docs, label)
    assert_labels(docs, label)
    assert_secret_refs_resolve(docs, label, external=external)
    got = sorted({(d["kind"], d["metadata"]["name"]) for d in docs})
    check(f"{label}: its resources, named {name}", got == sorted(kinds), got)


def check_backend_alone(path, database="given"):
    """The backend chart installed alone (release t): everything it needs, nothing of the other charts."""
    docs = load(path)
    label = f"backend chart alone (DATABASE_URL {database})"
    assert_chart_alone(docs, label, BACKEND,
                       [("ConfigMap", BACKEND), ("Deployment", BACKEND), ("NetworkPolicy", BACKEND), ("NetworkPolicy", f"{BACKEND}-test"),
                        ("Pod", f"{BACKEND}-test"), ("PodDisruptionBudget", BACKEND), ("Secret", BACKEND), ("Service", BACKEND),
                        ("ServiceAccount", BACKEND)],
                       external=("postgresql",) if database == "from the postgresql release" else ())
    check(f"{label}: labelled app.kubernetes.io/name=backend", spec_labels(backend(docs)).get("app.kubernetes.io/name") == "backend", spec_labels(backend(docs)))
    spec = pod_spec(backend(docs))
    assert_initcheck(spec, label, BACKEND_REQUIRE)
    hp = assert_native(docs, label)
    if hp:
        assert_healthproxy(hp, label)
    app = container(spec, "containers", "backend")
    if database == "given":
        check(f"{label}: its Secret holds DATABASE_URL, the AI key and BETTER_AUTH_SECRET",
              secret_keys(docs, BACKEND) == ["BETTER_AUTH_SECRET", "DATABASE_URL", "OPENAI_API_KEY"], secret_keys(docs, BACKEND))
        check(f"{label}: the backend reads DATABASE_URL from its Secret", env_ref(app, "DATABASE_URL")["name"] == BACKEND, app["env"])
    else:
        check(f"{label}: the backend reads DATABASE_URL from the Secret postgresql, key database-url",
              env_ref(app, "DATABASE_URL") == {"name": "postgresql", "key": "database-url", "optional": True}
              and env_ref(hp, "DATABASE_URL") == env_ref(app, "DATABASE_URL"), app["env"])
        check(f"{label}: its Secret holds no DATABASE_URL", "DATABASE_URL" not in secret_keys(docs, BACKEND), secret_keys(docs, BACKEND))
    assert_test_pods(docs, label, BACKEND, components=("backend",))


def check_frontend_alone(path):
    """The frontend chart installed alone (release t)."""
    docs = load(path)
    label = "frontend chart alone"
    assert_chart_alone(docs, label, FRONTEND,
                       [("ConfigMap", FRONTEND), ("Deployment", FRONTEND), ("NetworkPolicy", FRONTEND), ("NetworkPolicy", f"{FRONTEND}-test"),
                        ("Pod", f"{FRONTEND}-test"), ("Secret", FRONTEND), ("Service", FRONTEND), ("ServiceAccount", FRONTEND)])
    check(f"{label}: BACKEND_URL defaults to http://backend:8000 (the backend chart installed as release backend)",
          one(docs, "ConfigMap", FRONTEND)["data"].get("BACKEND_URL") == "http://backend:8000", one(docs, "ConfigMap", FRONTEND)["data"])
    check(f"{label}: its Secret holds only BETTER_AUTH_SECRET", secret_keys(docs, FRONTEND) == ["BETTER_AUTH_SECRET"], secret_keys(docs, FRONTEND))
    assert_initcheck(pod_spec(one(docs, "Deployment", FRONTEND)), label, ["--require=BETTER_AUTH_SECRET=secret"])
    assert_test_pods(docs, label, None, components=("frontend",))


def check_postgresql_alone(path):
    """The postgresql chart installed alone (release t)."""
    import base64
    docs = load(path)
    label = "postgresql chart alone"
    assert_chart_alone(docs, label, POSTGRESQL,
                       [("NetworkPolicy", POSTGRESQL), ("NetworkPolicy", f"{POSTGRESQL}-test"), ("Pod", f"{POSTGRESQL}-test"),
                        ("Secret", POSTGRESQL), ("Service", POSTGRESQL), ("ServiceAccount", POSTGRESQL), ("StatefulSet", POSTGRESQL)])
    data = one(docs, "Secret", POSTGRESQL)["data"]
    check(f"{label}: its Secret publishes database-url for the backend",
          base64.b64decode(data["database-url"]).decode() == f"postgresql://todo:pg-test-password@{POSTGRESQL}:5432/todo", sorted(data))
    assert_test_pods(docs, label, None, components=("postgresql",))


def check_library_once(charts_dir):
    """One probe helper and one secret key list across the charts' templates."""
    import glob
    import os
    templates = sorted(glob.glob(os.path.join(charts_dir, "*", "templates", "**", "*"), recursive=True))
    texts = {t: open(t, encoding="utf-8").read() for t in templates if os.path.isfile(t)}
    probe_defines = sorted(d for text in texts.values() for d in re.findall(r'define "([^"]*[Pp]robe[^"]*)"', text))
    check("charts: the probe helpers are the library's podguard.probe (one probe from {enabled, fields}) and podguard.probes, which builds on it",
          probe_defines == ["podguard.probe", "podguard.probes"], probe_defines)
    enabled_tests = [t for t, text in texts.items() if re.search(r"\.enabled\)? *\)? *\"false\"|probe\.enabled|\$probe\.enabled", text)]
    check("charts: one template decides what a missing `enabled` means for a probe",
          [os.path.relpath(t, charts_dir) for t in enabled_tests] == ["podguard/templates/_probes.tpl"], enabled_tests)
    # The todo-chatbot charts' templates (the podguard library's usage comments show keys as examples).
    lists = [os.path.relpath(t, charts_dir) for t, text in texts.items()
             if "ANTHROPIC_API_KEY" in text and not os.path.relpath(t, charts_dir).startswith("podguard/")]
    check("charts: the application Secret's key list is written once (todo-common/templates/_secrets.tpl)",
          lists == ["todo-common/templates/_secrets.tpl"], lists)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    scenario = globals().get("check_" + argv[1].replace("-", "_"))
    if scenario is None:
        print(f"unknown scenario {argv[1]}", file=sys.stderr)
        return 2
    try:
        scenario(*argv[2:])
    except Exception as e:  # a missing resource or key is a failed assertion, with the reason
        fail(f"{argv[1]}: assertions ran to the end", f"{type(e).__name__}: {e}")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
