import ArgumentParser

/// `joycity`: the JoyCity Fleet binary. Every role of the fleet is a subcommand.
@main
struct JoyCityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "joycity",
        abstract: "JoyCity Fleet: a Redis job-queue worker fleet for Wildberries sellers.",
        discussion: "Configuration comes from environment variables; see README.md for the full table.",
        subcommands: [
            AssignmentsCommand.self,
            KPICommand.self,
            ProxyCommand.self,
            FakeWBPortalCommand.self,
            AllCommand.self, APICommand.self, WorkerCommand.self, SchedulerCommand.self, UsersCommand.self, QueueCommand.self, BackupCommand.self,
            AccountsCommand.self, MigrateCommand.self, FakeWBCommand.self, BenchCommand.self,
        ]
    )
}
