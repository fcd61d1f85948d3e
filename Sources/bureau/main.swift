import BureauCLI

await BureauCommand.main()
