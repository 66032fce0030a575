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
FULL = RELEASE + "-todo-chatbot"


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
    return one(docs, "Deployment", f"{FULL}-backend")


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

def check_values_file(path, *examples):
    """values.yaml (and the example values files) hold nothing secret."""
    with open(path, encoding="utf-8") as f:
        values = yaml.safe_load(f)
    label = "values.yaml"
    secret_values = dict(values["secrets"], **{"postgresql.auth.password": values["postgresql"]["auth"]["password"]})
    secret_values.pop("existingSecret")
    check(f"{label}: every secret value is empty ({', '.join(sorted(secret_values))})",
          all(v == "" for v in secret_values.values()), secret_values)
    with open(path, encoding="utf-8") as f:
        documented = set(re.findall(r"@param\s+(\S+)", f.read()))
    undocumented = [p for p in leaf_paths(values)
                    if not any(".".join(p.split(".")[:i]) in documented for i in range(1, p.count(".") + 2))]
    check(f"{label}: every value has an @param comment (itself or its parent)", not undocumented, undocumented)
    check(f"{label}: backend.replicas defaults to 2", values["backend"]["replicas"] == 2, values["backend"]["replicas"])
    check(f"{label}: healthproxy.sidecarMode defaults to auto", values["healthproxy"]["sidecarMode"] == "auto")
    check(f"{label}: initcheck image podguard/initcheck, tag empty (the chart's appVersion)",
          values["initcheck"]["image"]["repository"] == "podguard/initcheck" and values["initcheck"]["image"]["tag"] == "")
    for example in examples:
        with open(example, encoding="utf-8") as f:
            ex = yaml.safe_load(f) or {}
        given = {k: v for k, v in (ex.get("secrets") or {}).items() if v} | \
                ({"postgresql.auth.password": 1} if ((ex.get("postgresql") or {}).get("auth") or {}).get("password") else {})
        check(f"{example.rsplit('/', 1)[-1]}: holds no secret value", not given, sorted(given))


def check_default(path):
    """Default values plus fake secrets, Kubernetes 1.30."""
    docs = load(path)
    label = "default"
    assert_restricted(docs, label)
    assert_labels(docs, label)
    assert_secret_refs_resolve(docs, label)
    assert_network_policies(docs, label)
    assert_backend_pdb(docs, label)

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

    svc = one(docs, "Service", f"{FULL}-backend")
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

    annotations = b["spec"]["template"]["metadata"].get("annotations") or {}
    check(f"{label}: backend pod template has checksum/config and checksum/secret",
          len(annotations.get("checksum/config", "")) == 64 and len(annotations.get("checksum/secret", "")) == 64, annotations)
    lifecycle = app.get("lifecycle", {}).get("preStop", {})
    check(f"{label}: backend preStop is a sleep action on 1.30 (no shell needed)", lifecycle == {"sleep": {"seconds": 5}}, lifecycle)

    f = one(docs, "Deployment", f"{FULL}-frontend")
    fspec = pod_spec(f)
    fapp = container(fspec, "containers", "frontend")
    check(f"{label}: frontend listens on 3000", [p["containerPort"] for p in fapp["ports"]] == [3000], fapp["ports"])
    check(f"{label}: frontend resources 128Mi/100m requests, 256Mi/300m limits",
          fapp["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "300m", "memory": "256Mi"}},
          fapp["resources"])
    assert_initcheck(fspec, f"{label} frontend", ["--require=BETTER_AUTH_SECRET=secret"])
    fenv = [e["name"] for e in fapp.get("env") or []]
    check(f"{label}: frontend reads only BETTER_AUTH_SECRET from the Secret",
          [e["name"] for e in fapp["env"] if "valueFrom" in e] == ["BETTER_AUTH_SECRET"], fenv)
    check(f"{label}: frontend listens on all addresses (HOSTNAME=0.0.0.0, not the pod name)",
          {"name": "HOSTNAME", "value": "0.0.0.0"} in fapp["env"], fapp["env"])
    fann = f["spec"]["template"]["metadata"].get("annotations") or {}
    check(f"{label}: frontend pod template has checksum/config and checksum/secret",
          "checksum/config" in fann and "checksum/secret" in fann, fann)
    fsvc = one(docs, "Service", f"{FULL}-frontend")
    check(f"{label}: frontend Service is NodePort on 3000",
          fsvc["spec"]["type"] == "NodePort" and fsvc["spec"]["ports"][0]["port"] == 3000, fsvc["spec"])
    fcm = one(docs, "ConfigMap", f"{FULL}-frontend")
    check(f"{label}: frontend ConfigMap points server-side code at the backend Service",
          fcm["data"].get("BACKEND_URL") == f"http://{FULL}-backend:8000", fcm["data"])

    sts = one(docs, "StatefulSet", f"{FULL}-postgresql")
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
    headless = one(docs, "Service", f"{FULL}-postgresql")
    check(f"{label}: postgresql Service is headless and is the StatefulSet's serviceName",
          headless["spec"].get("clusterIP") == "None" and sts["spec"]["serviceName"] == headless["metadata"]["name"], headless["spec"])
    check(f"{label}: postgresql pod has checksum/secret", "checksum/secret" in (sts["spec"]["template"]["metadata"].get("annotations") or {}))

    secret = one(docs, "Secret", f"{FULL}-secrets")
    check(f"{label}: the app Secret holds only the keys given (no ANTHROPIC_API_KEY without a value)",
          sorted(secret["data"]) == ["BETTER_AUTH_SECRET", "DATABASE_URL", "OPENAI_API_KEY"], sorted(secret["data"]))

    test = one(docs, "Pod", f"{FULL}-test-backend-ready")
    tc = test["spec"]["containers"][0]
    check(f"{label}: helm test hook pod", (test["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test",
          test["metadata"].get("annotations"))
    check(f"{label}: helm test runs `healthproxy probe http://<backend>:9901/readyz` (exec, no shell)",
          tc["image"].startswith("podguard/healthproxy:") and "command" not in tc
          and tc["args"][0] == "probe" and tc["args"][-1] == f"http://{FULL}-backend:9901/readyz", tc)
    check(f"{label}: no Ingress unless enabled", not find(docs, "Ingress"))
    check(f"{label}: one ServiceAccount, token not automounted",
          [s.get("automountServiceAccountToken") for s in find(docs, "ServiceAccount")] == [False])


def assert_network_policies(docs, label):
    """One NetworkPolicy per component: ingress only on the ports it serves, egress open."""
    policies = {p["metadata"]["name"]: p["spec"] for p in find(docs, "NetworkPolicy")}
    check(f"{label}: a NetworkPolicy per component", sorted(policies) == sorted(
        f"{FULL}-{c}" for c in ("backend", "frontend", "postgresql", "test")), sorted(policies))
    for name, spec in policies.items():
        component = name[len(FULL) + 1:]
        check(f"{label}: NetworkPolicy {component} selects its component's pods",
              spec["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == component
              and spec["podSelector"]["matchLabels"].get("app.kubernetes.io/instance") == RELEASE, spec["podSelector"])
        check(f"{label}: NetworkPolicy {component} governs ingress and egress, egress open",
              spec["policyTypes"] == ["Ingress", "Egress"] and spec["egress"] == [{}], spec)
    ports = lambda c: sorted(p["port"] for rule in policies[f"{FULL}-{c}"]["ingress"] for p in rule["ports"])
    check(f"{label}: the backend admits only healthproxy's ports 8080 and 9901 (never the app's 8000)",
          ports("backend") == [8080, 9901], policies[f"{FULL}-backend"]["ingress"])
    check(f"{label}: the frontend admits its port 3000", ports("frontend") == [3000], policies[f"{FULL}-frontend"]["ingress"])
    pg_rules = policies[f"{FULL}-postgresql"]["ingress"]
    sources = [f["podSelector"] for rule in pg_rules for f in rule.get("from", [])]
    check(f"{label}: PostgreSQL admits 5432 only from this release's backend and frontend pods",
          ports("postgresql") == [5432] and len(sources) == 1 and all("from" in r for r in pg_rules)
          and sources[0]["matchLabels"].get("app.kubernetes.io/instance") == RELEASE
          and sources[0]["matchExpressions"] == [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["backend", "frontend"]}],
          pg_rules)
    check(f"{label}: the helm test pod admits nothing", policies[f"{FULL}-test"]["ingress"] == [], policies[f"{FULL}-test"])


def assert_backend_pdb(docs, label):
    pdb = one(docs, "PodDisruptionBudget", f"{FULL}-backend")
    check(f"{label}: the backend's PodDisruptionBudget allows one eviction at a time, always lets a not-ready pod go, and selects the backend pods",
          pdb["spec"]["maxUnavailable"] == 1
          and pdb["spec"].get("unhealthyPodEvictionPolicy") == "AlwaysAllow"
          and pdb["spec"]["selector"]["matchLabels"] == backend(docs)["spec"]["selector"]["matchLabels"], pdb["spec"])


def check_single(path):
    """backend.replicas=1, networkPolicy.enabled=false: no PDB (it would block drains), no policies."""
    docs = load(path)
    check("one backend replica: no PodDisruptionBudget", find(docs, "PodDisruptionBudget") == [], find(docs, "PodDisruptionBudget"))
    check("networkPolicy.enabled=false: no NetworkPolicy", find(docs, "NetworkPolicy") == [])


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
    ingress = one(docs, "Ingress", FULL)
    rule = ingress["spec"]["rules"][0]
    paths = {p["path"]: (p["backend"]["service"]["name"], p["backend"]["service"]["port"].get("name")) for p in rule["http"]["paths"]}
    check(f"{label}: Ingress /api -> backend, / -> frontend, /api/auth stays with Next.js",
          paths == {"/api": (f"{FULL}-backend", "http"), "/": (f"{FULL}-frontend", "http"), "/api/auth": (f"{FULL}-frontend", "http")}
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
          not find(docs, "StatefulSet") and not find(docs, "Service", f"{FULL}-postgresql")
          and not find(docs, "Secret", f"{FULL}-postgresql"))
    ic = container(pod_spec(backend(docs)), "initContainers", "initcheck")
    check(f"{label}: initcheck --strict --connect --connect-timeout=10s",
          all(a in ic["args"] for a in ("--strict", "--connect", "--connect-timeout=10s")), ic["args"])
    hp = assert_native(docs, label)
    if hp:
        check(f"{label}: idle probing lets Neon scale to zero",
              "--idle-probe-interval=10m" in hp["args"] and "--idle-after=5m" in hp["args"], hp["args"])


def check_minimal(path):
    """initcheck, frontend, tests off, on 1.28: the backend pod has no init containers at all."""
    docs = load(path)
    label = "initcheck, frontend and tests off (kube 1.28)"
    assert_restricted(docs, label)
    spec = pod_spec(backend(docs))
    check(f"{label}: the backend pod has no initContainers key", "initContainers" not in spec, spec.get("initContainers"))
    check(f"{label}: no frontend objects, no test pod",
          not [d for d in docs if d["metadata"]["name"].endswith("-frontend")] and not find(docs, "Pod"))


def check_existing_secrets(path):
    """secrets.existingSecret and postgresql.auth.existingSecret: the chart renders no Secret."""
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
          checksum(a, f"{FULL}-backend", "checksum/config") != checksum(b, f"{FULL}-backend", "checksum/config"))
    check(f"{label}: leaves its checksum/secret",
          checksum(a, f"{FULL}-backend", "checksum/secret") == checksum(b, f"{FULL}-backend", "checksum/secret"))
    check(f"{label}: leaves the frontend's checksum/config",
          checksum(a, f"{FULL}-frontend", "checksum/config") == checksum(b, f"{FULL}-frontend", "checksum/config"))


def check_checksum_secret(path_a, path_b):
    a, b = load(path_a), load(path_b)
    label = "secret value change"
    for component in ("backend", "frontend"):
        check(f"{label}: changes the {component}'s checksum/secret",
              checksum(a, f"{FULL}-{component}", "checksum/secret") != checksum(b, f"{FULL}-{component}", "checksum/secret"))
    check(f"{label}: leaves the backend's checksum/config",
          checksum(a, f"{FULL}-backend", "checksum/config") == checksum(b, f"{FULL}-backend", "checksum/config"))


def check_url_encoding(path):
    """postgresql.auth.password='p@ss/w:rd #1+' must be percent-encoded in the DATABASE_URL the chart builds."""
    import base64
    docs = load(path)
    secret = one(docs, "Secret", f"{FULL}-secrets")
    url = base64.b64decode(secret["data"]["DATABASE_URL"]).decode()
    want = f"postgresql://todo:p%40ss%2Fw%3Ard%20%231%2B@{FULL}-postgresql:5432/todo"
    check("DATABASE_URL built from postgresql.auth percent-encodes the password", url == want, f"got  {url}\nwant {want}")
    pg = one(docs, "Secret", f"{FULL}-postgresql")
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
