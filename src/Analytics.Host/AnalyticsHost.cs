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
    public static IHost Build(string? configFile, IReadOnlyList<string> configurationArgs, IDictionary<string, string?>? overrides = null,
        IReadOnlyDictionary<string, string?>? defaults = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(HostDefaults);
        if (defaults is not null) builder.Configuration.AddInMemoryCollection(defaults);
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        if (configFile is not null) builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine([.. configurationArgs]);

        // stdout carries the report (one JSON object with --format json), so every log line goes to stderr.
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        // A failed start is reported by the command as one line naming the setting; the host's own stack trace
        // of the same error would bury it.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("analytics", akka => akka.WithUsageAnalytics());
        return builder.Build();
    }
}
