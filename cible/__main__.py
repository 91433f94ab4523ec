from cible.cli import main

main()
