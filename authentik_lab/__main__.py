from authentik_lab.cli.entry import run

run()
