using Akka.Hosting;
using Analytics.Actors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Analytics.Host;

/// <summary>Builds the generic host the commands run in: configuration, logging to stderr, Akka, analytics.</summary>
internal static class AnalyticsHost
{
    /// <summary>
    /// Akka settings of the host process. stdout carries the report (one JSON object with <c>--format json</c>), so
    /// Akka's own console logger, which prints while the logging bus starts, after it stopped, and whatever a stopped
    /// logger still had queued (the CoordinatedShutdown lines of a fast stop), writes to stderr instead
    /// (<see cref="StandardErrorLogger"/>). The command stops the host itself (a signal is handled by
    /// <see cref="ShutdownSignals"/>), so Akka's process-exit hook, which would run a second shutdown of up to the flush
    /// timeout inside <see cref="Environment.Exit"/>, is off.
    /// </summary>
    public const string ProcessHocon =
        """
        akka.stdout-logger-class = "Analytics.Host.StandardErrorLogger, Analytics.Host"
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """;

    /// <summary>The actor system's name: the <c>system</c> part of the cluster seed addresses (<c>akka.tcp://analytics@host:port</c>).</summary>
    public const string SystemName = "analytics";

    /// <summary>
    /// Settings the host program defaults differently from the library, under every other source: the program keeps a
    /// ledger in the current directory (<c>--Analytics:Store:Path=</c> turns it off); the library leaves it off.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string?> HostDefaults = new Dictionary<string, string?>
    {
        ["Analytics:Store:Path"] = "analytics.db",
    };

    /// <summary>
    /// Builds the host. Configuration layers, later wins: <see cref="HostDefaults"/>, the command's <paramref name="defaults"/>,
    /// appsettings.json next to the binary, the
    /// <paramref name="configFile"/>, <paramref name="overrides"/> (tests), environment variables,
    /// then <c>--Section:Key=value</c> switches.
    /// </summary>
    /// <exception cref="HostConfigurationException">A setting the host itself reads is invalid (a log level).</exception>
    public static IHost Build(string? configFile, IReadOnlyList<string> configurationArgs, IDictionary<string, string?>? overrides = null,
        IReadOnlyDictionary<string, string?>? defaults = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        Configure(builder, configFile, configurationArgs, overrides, defaults);
        return builder.Build();
    }

    /// <summary>
    /// What every command's host shares, on any builder (the generic host's or the web host's of <c>serve</c>): the
    /// configuration layers of <see cref="Build"/>, logging to stderr, no console lifetime, the analytics and Akka.
    /// </summary>
    /// <exception cref="HostConfigurationException">A setting the host itself reads is invalid (a log level).</exception>
    public static void Configure(IHostApplicationBuilder builder, string? configFile, IReadOnlyList<string> configurationArgs,
        IDictionary<string, string?>? overrides = null, IReadOnlyDictionary<string, string?>? defaults = null)
    {
        builder.Configuration.AddInMemoryCollection(HostDefaults);
        if (defaults is not null) builder.Configuration.AddInMemoryCollection(defaults);
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        if (configFile is not null) builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine([.. configurationArgs]);
        CheckLogLevels(builder.Configuration.GetSection("Logging"));

        // stdout carries the report (one JSON object with --format json), so every log line goes to stderr.
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        // A failed start is reported by the command as one line naming the setting; the host's own stack trace
        // of the same error would bury it.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // The console lifetime would take SIGINT and SIGTERM and only ask the host to stop, which a command that is
        // reading its input never notices; ShutdownSignals handles them instead.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();

        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka(SystemName, (akka, services) => akka
            .AddHocon(ProcessHocon, HoconAddMode.Prepend)
            .WithUsageAnalytics()
            .WithUsageAnalyticsCluster(services));
    }

    /// <summary>
    /// The logging system throws a bare "Configuration value 'Loud' is not supported" from deep inside the host's build
    /// for a bad level; checked here first, the error names the key and the allowed values.
    /// </summary>
    private static void CheckLogLevels(IConfigurationSection logging)
    {
        foreach (var child in logging.GetChildren())
        {
            // Logging:LogLevel:* and Logging:<Provider>:LogLevel:* are the sections the logging system reads levels from.
            var levels = child.Key.Equals("LogLevel", StringComparison.OrdinalIgnoreCase) ? child : child.GetSection("LogLevel");
            foreach (var level in levels.GetChildren())
            {
                if (string.IsNullOrEmpty(level.Value) || Enum.TryParse<LogLevel>(level.Value, ignoreCase: true, out _)) continue;
                throw new HostConfigurationException(
                    $"{level.Path} must be one of {string.Join(", ", Enum.GetNames<LogLevel>())} (got '{level.Value}').");
            }
        }
    }

    /// <summary>A lifetime that waits for nothing and listens to no signal: the command decides when the host stops.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>A setting the host reads for itself (not an <c>Analytics</c> option) is invalid; the message names it.</summary>
internal sealed class HostConfigurationException(string message) : Exception(message);
