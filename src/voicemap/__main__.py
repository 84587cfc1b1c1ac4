from voicemap.cli import main

main()
