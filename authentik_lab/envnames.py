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
