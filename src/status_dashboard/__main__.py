"""`python -m status_dashboard` runs the command line."""

from status_dashboard.cli import main

main()
