using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Host.Stats;
using Analytics.Host.SyncCommand;

if (args is ["--help"] or ["-h"] or ["help"])
{
    Console.WriteLine(CommandLine.Usage);
    return ExitCodes.Ok;
}

var command = CommandLine.Parse(args, out var error);
if (command is null)
{
    // One line, as scripts expect of an argument error; the usage is one --help away.
    Console.Error.WriteLine($"error: {error} (usage: Analytics.Host replay <usage-log.jsonl> | stats [--since T] [--by hour|day] | sync; --help for more)");
    return ExitCodes.BadArguments;
}

return command.Command switch
{
    "stats" => await StatsCommand.RunAsync(command, Console.Out, Console.Error),
    "sync" => await SyncCommand.RunAsync(command, Console.Out, Console.Error),
    _ => await ReplayCommand.RunAsync(command, Console.Out, Console.Error),
};

namespace Analytics.Host
{
    /// <summary>Process exit codes.</summary>
    internal static class ExitCodes
    {
        public const int Ok = 0;

        /// <summary><c>sync</c> finished with events still undelivered in the ledger.</summary>
        public const int Incomplete = 1;
        public const int BadArguments = 2;
    }
}
