using Analytics.Host;
using Analytics.Host.Replay;
using Analytics.Host.Serve;
using Analytics.Host.Stats;
using Analytics.Host.SyncCommand;

// Whatever fails below, the process says so in one line on stderr and exits 1: never a stack trace, never exit 134.
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    Console.Error.WriteLine($"error: unexpected failure on a background thread: {Program.OneLine(e.ExceptionObject as Exception)}; the run was not completed");
    Environment.Exit(ExitCodes.Failure);
};

try
{
    if (args is ["--help"] or ["-h"] or ["help"])
    {
        Console.WriteLine(CommandLine.Usage);
        return ExitCodes.Ok;
    }

    var command = CommandLine.Parse(args, out var error);
    if (command is null)
    {
        // One line, as scripts expect of an argument error; the usage is one --help away.
        Console.Error.WriteLine($"error: {error} (usage: Analytics.Host replay <usage-log.jsonl> | stats [--since T] [--by hour|day] | sync | serve [--urls URL]; --help for more)");
        return ExitCodes.BadArguments;
    }

    switch (command.Command)
    {
        // stats and sync read and mark the ledger, which keeps whatever a signal interrupts: the runtime's default
        // handling (stop now) loses nothing there.
        case "stats":
            return await StatsCommand.RunAsync(command, Console.Out, Console.Error);
        case "sync":
            return await SyncCommand.RunAsync(command, Console.Out, Console.Error);
        case "serve":
            using (var signals = ShutdownSignals.Register(Console.Error, stopping: ShutdownSignals.ServiceStopping))
                return await ServeCommand.RunAsync(command, Console.Error, signals.Stopping, describe: signals.Describe);
        default:
            using (var signals = ShutdownSignals.Register(Console.Error))
                return await ReplayCommand.RunAsync(command, Console.Out, Console.Error, signals: signals);
    }
}
catch (Exception e)
{
    Console.Error.WriteLine($"error: unexpected failure: {Program.OneLine(e)}");
    return ExitCodes.Failure;
}

/// <summary>The entry point, and what every part of the host shares about failing.</summary>
internal sealed partial class Program
{
    /// <summary>An exception as one line: its type and message (inner messages appended), no stack trace.</summary>
    public static string OneLine(Exception? e)
    {
        if (e is null) return "(no exception)";
        var text = $"{e.GetType().Name}: {e.Message}";
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!text.Contains(inner.Message, StringComparison.Ordinal)) text += $" ({inner.GetType().Name}: {inner.Message})";
        }
        return text.ReplaceLineEndings(" ");
    }
}

namespace Analytics.Host
{
    /// <summary>Process exit codes (also listed by <c>--help</c> and in the README).</summary>
    internal static class ExitCodes
    {
        /// <summary>Every line was recorded or skipped (skipped lines are reported, not failures), and everything recorded was delivered.</summary>
        public const int Ok = 0;

        /// <summary>An unexpected failure; one line on stderr says what. What was recorded is still reported when possible.</summary>
        public const int Failure = 1;

        /// <summary><c>sync</c> finished with events still undelivered in the ledger (the contract: exit 1).</summary>
        public const int Incomplete = 1;

        /// <summary>Bad arguments, configuration or input file (missing, unreadable, not UTF-8); nothing or only part of it was replayed.</summary>
        public const int BadArguments = 2;

        /// <summary>The report is complete but not everything arrived: events dropped, rejected, undelivered or not dead-lettered.</summary>
        public const int NotDelivered = 3;
    }
}
