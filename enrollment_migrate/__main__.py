from enrollment_migrate.cli import main

main()
