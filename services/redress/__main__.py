from services.redress.app import main

main()
