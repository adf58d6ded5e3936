using Analytics.Actors;
using Analytics.Host.Replay;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Host.Store;

/// <summary>What <c>stats</c> and <c>sync</c> share: the host with its settings, and an existing ledger file.</summary>
internal static class LedgerCommand
{
    /// <summary>
    /// Builds the host (not started) and finds the ledger; on a problem writes one line to <paramref name="stderr"/> and
    /// returns null (exit 2): a missing settings file, an invalid setting, the store off, or no ledger file.
    /// </summary>
    public static async Task<(IHost Host, AnalyticsOptions Options)?> PrepareAsync(CommandLine command, TextWriter stderr, IDictionary<string, string?>? overrides,
        IReadOnlyDictionary<string, string?>? defaults = null)
    {
        if (command.ConfigFile is not null && !File.Exists(command.ConfigFile))
        {
            await stderr.WriteLineAsync($"error: settings file '{command.ConfigFile}' not found");
            return null;
        }
        IHost host;
        try
        {
            host = AnalyticsHost.Build(command.ConfigFile, command.ConfigurationArgs, overrides, defaults);
        }
        catch (Exception e) when (e is HostConfigurationException or InvalidOperationException or FormatException or InvalidDataException)
        {
            await stderr.WriteLineAsync($"error: invalid configuration: {ReplayCommand.Describe(e)}");
            return null;
        }
        string? problem;
        AnalyticsOptions? options = null;
        try
        {
            options = host.Services.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
            problem = !options.Store.Enabled ? $"{command.Command} reads the store, but it is off ({AnalyticsOptions.SectionName}:Store:Path is empty)"
                : !File.Exists(options.Store.FullPath) ? $"no store at '{options.Store.FullPath}' (nothing recorded there yet, or set {AnalyticsOptions.SectionName}:Store:Path)"
                : null;
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or FormatException)
        {
            problem = $"invalid configuration: {ReplayCommand.Describe(e)}";
        }
        if (problem is null) return (host, options!);
        host.Dispose();
        await stderr.WriteLineAsync($"error: {problem}");
        return null;
    }
}
