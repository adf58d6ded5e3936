using Analytics.Host;
using Analytics.Host.Replay;

if (args is ["--help"] or ["-h"] or ["help"])
{
    Console.WriteLine(CommandLine.Usage);
    return ExitCodes.Ok;
}

var command = CommandLine.Parse(args, out var error);
if (command is null)
{
    // One line, as scripts expect of an argument error; the usage is one --help away.
    Console.Error.WriteLine($"error: {error} (usage: Analytics.Host replay <usage-log.jsonl> [--format table|json]; --help for more)");
    return ExitCodes.BadArguments;
}

return await ReplayCommand.RunAsync(command, Console.Out, Console.Error);

namespace Analytics.Host
{
    /// <summary>Process exit codes.</summary>
    internal static class ExitCodes
    {
        public const int Ok = 0;
        public const int BadArguments = 2;
    }
}
