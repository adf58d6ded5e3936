using Analytics.Host;
using Analytics.Host.Replay;

var command = CommandLine.Parse(args, out var error);
if (command is null)
{
    Console.Error.WriteLine($"error: {error}");
    Console.Error.WriteLine(CommandLine.Usage);
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
