import BureauCLI

await BureauCommand.start()
