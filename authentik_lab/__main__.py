from authentik_lab.cli.main import run

run()
