#!/usr/bin/python3
"""images/app/frontend.Dockerfile without building it (npm's registry is unreachable here): Docker's
own parser accepts it, and its stages, arguments, user, ports and command are what a Next.js
standalone image for the chart needs. Also the .dockerignore beside it, and that backend.Dockerfile
parses. Prints "ok   - ..." / "FAIL - ..." lines and "N passed, M failed"; exit 1 on any failure.
Docker is used only to parse (a --target that does not exist stops it before any pull); without a
Docker Engine that check fails rather than being skipped.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKERFILE = os.path.join(REPO, "images", "app", "frontend.Dockerfile")
results = []


def check(name: str, ok: bool, detail: str = "") -> None:
    results.append(ok)
    print(("ok   - " if ok else "FAIL - ") + name + ("" if ok or not detail else "\n       " + detail))


def instructions(path: str) -> list:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    out, pending = [], ""
    for line in open(path, encoding="utf-8"):
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = (pending + stripped).strip()
        pending = ""
        word, _, rest = text.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages(instrs: list) -> tuple[list, dict]:
    """(ARGs before the first FROM, {stage name: [instructions after its FROM]}) and the FROM lines."""
    global_args, result, current = [], {}, None
    for word, rest in instrs:
        if word == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            current = (m.group(2) or str(len(result))).lower()
            result[current] = [("FROM", m.group(1))]
        elif current is None:
            global_args.append((word, rest))
        else:
            result[current].append((word, rest))
    return global_args, result


def docker_parses(path: str) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as ctx:
        try:
            r = subprocess.run(["docker", "build", "-f", path, "--target", "podguard-parse-only", ctx],
                               capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, str(e)
    out = r.stdout + r.stderr
    return "failed to reach build target podguard-parse-only" in out, out.strip()[-400:]


for name in ("frontend.Dockerfile", "backend.Dockerfile"):
    ok, out = docker_parses(os.path.join(REPO, "images", "app", name))
    check(f"Docker's parser accepts images/app/{name}", ok, out)

instrs = instructions(DOCKERFILE)
global_args, st = stages(instrs)
check("three stages: deps, build, runner (in that order)", list(st) == ["deps", "build", "runner"], str(list(st)))
check("the base is the build ARG NODE_IMAGE, declared before the first FROM",
      any(w == "ARG" and r.startswith("NODE_IMAGE=") for w, r in global_args)
      and all(s[0][1] == "${NODE_IMAGE}" for s in st.values()), str([s[0] for s in st.values()]))

deps, build, runner = st.get("deps", []), st.get("build", []), st.get("runner", [])
check("deps: installs exactly the lockfile (COPY package.json package-lock.json, npm ci)",
      ("COPY", "package.json package-lock.json ./") in deps and any(w == "RUN" and r.startswith("npm ci") for w, r in deps))

# NEXT_PUBLIC_API_URL: a build ARG, turned into ENV before `npm run build` (Next.js reads it then).
arg_at = next((i for i, (w, r) in enumerate(build) if w == "ARG" and re.match(r"NEXT_PUBLIC_API_URL(=|$)", r)), None)
env_at = next((i for i, (w, r) in enumerate(build) if w == "ENV" and "NEXT_PUBLIC_API_URL=${NEXT_PUBLIC_API_URL}" in r), None)
run_at = next((i for i, (w, r) in enumerate(build) if w == "RUN" and "npm run build" in r), None)
check("build: NEXT_PUBLIC_API_URL is a build ARG, set in the environment before `npm run build`",
      None not in (arg_at, env_at, run_at) and arg_at < env_at < run_at, f"ARG at {arg_at}, ENV at {env_at}, RUN at {run_at}")
check("build: node_modules come from the deps stage", ("COPY", "--from=deps /app/node_modules ./node_modules") in build)

env = {}
for w, r in runner:
    if w == "ENV":
        env.update(dict(kv.split("=", 1) for kv in r.split()))
users = [r for w, r in runner if w == "USER"]
check("runner: USER 1001:1001, numeric (the chart's frontend.runAsUser)", users[-1:] == ["1001:1001"], str(users))
check("runner: EXPOSE 3000 and PORT=3000", [r for w, r in runner if w == "EXPOSE"] == ["3000"] and env.get("PORT") == "3000")
check("runner: HOSTNAME=0.0.0.0 (not the pod name Kubernetes puts there)", env.get("HOSTNAME") == "0.0.0.0", str(env))
check("runner: NODE_ENV=production", env.get("NODE_ENV") == "production")
copies = [r for w, r in runner if w == "COPY"]
check("runner: only the standalone server, .next/static and public/ from the build",
      sorted(copies) == sorted(["--from=build /app/public ./public", "--from=build /app/.next/standalone ./",
                                "--from=build /app/.next/static ./.next/static"]), str(copies))
cmd = next((r for w, r in reversed(runner) if w == "CMD"), "")
check('runner: CMD ["node", "server.js"] in exec form (node is PID 1 and gets SIGTERM)',
      cmd.startswith("[") and json.loads(cmd) == ["node", "server.js"], cmd)
check("runner: no ENTRYPOINT through a shell or npm", not [r for w, r in runner if w == "ENTRYPOINT"])

secretish = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|DATABASE_URL|PRIVATE", re.IGNORECASE)
named = [(w, r) for w, r in instrs if w in ("ARG", "ENV") and secretish.search(r.split("=")[0])]
check("no ARG or ENV names a secret (BETTER_AUTH_SECRET is given at run time)", not named, str(named))

ignore = open(os.path.join(REPO, "images", "app", "frontend.dockerignore"), encoding="utf-8").read().split()
check("frontend.dockerignore keeps .env files, keys and the host's node_modules out",
      all(p in ignore for p in (".env", ".env.*", "*.pem", "node_modules/", ".next/")), str(ignore))

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
