"""doctor's judging, pure: each module turns observed facts into check outcomes (core.checks), with no I/O.

compose.py (the compose file: root, socket, ports, time mounts, image tags), services.py (worker present, per-service
environment), mounts.py (storage folders for each service's user and the engine's uid mapping), volumes.py (volume
targets), env.py (the .env), runtime.py and http.py (containers, logs, health), provider.py (OAuth2 providers),
app_env.py, app_urls.py and app_code.py (an app's env files and source).
"""
