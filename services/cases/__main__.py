from services.cases.app import main

main()
