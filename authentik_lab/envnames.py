"""Every environment variable authlab reads, in one place.

Options that can come from the environment name their variable in --help as `[env: NAME]`
(typer does this when `envvar=` is given); keeping the names here stops them drifting apart.
"""

LAB_DIR = "AUTHLAB_DIR"
URL = "AUTHENTIK_URL"
TOKEN = "AUTHENTIK_TOKEN"
LAB_FILE = "AUTHLAB_FILE"
TIMEOUT = "AUTHLAB_TIMEOUT"
DEBUG = "AUTHLAB_DEBUG"
CI = "CI"
NO_COLOR = "NO_COLOR"
GITHUB_ENV = "GITHUB_ENV"

# read by the compose files themselves (same meaning as in the official file)
AUTHENTIK_IMAGE = "AUTHENTIK_IMAGE"
AUTHENTIK_TAG = "AUTHENTIK_TAG"
CACHE_DIR = "AUTHLAB_CACHE_DIR"  # where authlab keeps looked-up object ids (default ~/.cache/authlab)
COMPOSE_FILE = "AUTHLAB_COMPOSE_FILE"
COMPOSE_PORT_HTTP = "COMPOSE_PORT_HTTP"  # host HTTP port of a lab (.env, or the shell, which wins as in compose)
COMPOSE_PORT_HTTPS = "COMPOSE_PORT_HTTPS"  # host HTTPS port of a lab
AUTHLAB_BIND = "AUTHLAB_BIND"  # host address a lab's ports are published on (default 127.0.0.1)
GITHUB_ACTIONS = "GITHUB_ACTIONS"  # "true" on GitHub runners: `authlab ci` then masks exported secrets
DOCKER_HOST = "DOCKER_HOST"  # where the Docker engine listens (read by docker itself; authlab names it in errors)
XDG_CACHE_HOME = "XDG_CACHE_HOME"  # where the object-id cache lives when AUTHLAB_CACHE_DIR is unset
SNAPSHOTS = "AUTHLAB_SNAPSHOTS"  # "0" turns database snapshots off (no restore, no automatic save)
