from conventions.templates.build import main

main()
