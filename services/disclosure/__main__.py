from services.disclosure.app import main

main()
