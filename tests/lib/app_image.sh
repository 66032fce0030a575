# Builds images/app/backend.Dockerfile around the stand-in backend (tests/app), offline: the base is
# Debian's python3 FastAPI stack (tests/app/python-base.Dockerfile, on images/local-base.sh's
# debian:bookworm-slim) instead of python:3.12-slim, and the virtualenv sees its packages
# (VENV_OPTIONS=--system-site-packages), so pip finds every requirement installed and downloads
# nothing. The context is laid out as the user's backend/ directory: requirements.txt, the app
# package, the .dockerignore from images/app, and a .env with a secret that must stay out.
# Used by tests/integration/image_app_backend.sh and the cluster tests. Source it (bash); needs a
# Docker Engine and root (local-base.sh).
APP_IMAGE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APP_PYTHON_BASE=podguard-test/python-fastapi:bookworm
# The .env the context carries: the build must not copy it (backend.dockerignore).
APP_IMAGE_DOTENV_SECRET=dotenv-must-not-ship-9f3c2a

# app_backend_context DIR: the user's backend/ directory, with the stand-in as app/main.py.
app_backend_context() {
  local dir=$1
  mkdir -p "$dir/app" || return 1
  cp "$APP_IMAGE_REPO/tests/app/todo_app.py" "$dir/app/main.py" &&
    cp "$APP_IMAGE_REPO/tests/app/todo_auth.py" "$dir/app/todo_auth.py" &&
    : >"$dir/app/__init__.py" &&
    # fastapi is left out: Debian's fastapi 0.92 declares starlette<0.26 while Debian ships 0.26.1,
    # and pip would go to PyPI for a matching starlette. The base provides it.
    printf 'uvicorn\nsqlalchemy\npsycopg2\nwebsockets\n' >"$dir/requirements.txt" &&
    cp "$APP_IMAGE_REPO/images/app/backend.dockerignore" "$dir/.dockerignore" &&
    printf 'BETTER_AUTH_SECRET=%s\n' "$APP_IMAGE_DOTENV_SECRET" >"$dir/.env"
}

# build_app_backend_image TAG LOG: local base, Python base, then the backend image; output in LOG.
build_app_backend_image() {
  local tag=$1 log=$2 ctx
  ctx=$(mktemp -d /tmp/podguard-backend-ctx.XXXXXX)
  {
    timeout 1800 bash "$APP_IMAGE_REPO/images/local-base.sh" &&
      timeout 1800 docker build -t "$APP_PYTHON_BASE" - <"$APP_IMAGE_REPO/tests/app/python-base.Dockerfile" &&
      app_backend_context "$ctx" &&
      timeout 1800 docker build -f "$APP_IMAGE_REPO/images/app/backend.Dockerfile" \
        --build-arg PYTHON_IMAGE="$APP_PYTHON_BASE" --build-arg VENV_OPTIONS=--system-site-packages \
        -t "$tag" "$ctx"
  } >"$log" 2>&1
  local rc=$?
  rm -rf "$ctx"
  return $rc
}
