using Analytics.Actors;
using Analytics.Host.Replay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Analytics.Host.Serve;

/// <summary>
/// <c>serve</c>: the analytics as a sidecar service (the endpoints of <c>app.MapUsageAnalytics()</c> on Kestrel) until
/// SIGTERM or Ctrl-C. Then the web server stops taking requests and finishes those in flight, and the actor system shuts
/// down through CoordinatedShutdown (the ring drained, the store and sync flushed); the exit code is 0. A second signal
/// stops at once.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Where the service listens without <c>--urls</c>: loopback only.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>Settings <c>serve</c> defaults differently: per-request log lines of ASP.NET Core are off unless asked for.</summary>
    private static readonly IReadOnlyDictionary<string, string?> ServeDefaults = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };

    /// <summary>Runs the service.</summary>
    /// <param name="command">The parsed command line (<see cref="CommandLine.Urls"/>).</param>
    /// <param name="stderr">Receives the listening line, errors and the signal messages.</param>
    /// <param name="stopping">Fires on the first SIGINT or SIGTERM (or when a test wants the service to stop).</param>
    /// <param name="overrides">Configuration layered over the files (tests).</param>
    /// <param name="started">Called with the addresses the server listens on, once it does.</param>
    /// <param name="describe">Receives what the signal messages report as left undelivered (<c>ShutdownSignals.Describe</c>).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(CommandLine command, TextWriter stderr, CancellationToken stopping, IDictionary<string, string?>? overrides = null,
        Action<IReadOnlyList<string>>? started = null, Action<Func<string>>? describe = null)
    {
        if (command.ConfigFile is not null && !File.Exists(command.ConfigFile))
        {
            await stderr.WriteLineAsync($"error: settings file '{command.ConfigFile}' not found");
            return ExitCodes.BadArguments;
        }
        WebApplication app;
        try
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            AnalyticsHost.Configure(builder, command.ConfigFile, command.ConfigurationArgs, overrides, ServeDefaults);
            builder.WebHost.UseKestrelCore().UseUrls(command.Urls ?? DefaultUrls);
            builder.Services.AddRoutingCore();
            builder.Services.AddUsageAnalyticsEndpoints();
            app = builder.Build();
            app.MapUsageAnalytics();
        }
        catch (Exception e) when (e is HostConfigurationException or OptionsValidationException or InvalidOperationException or FormatException or InvalidDataException)
        {
            await stderr.WriteLineAsync($"error: invalid configuration: {ReplayCommand.Describe(e)}");
            return ExitCodes.BadArguments;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or FormatException)
            {
                await stderr.WriteLineAsync($"error: invalid configuration: {ReplayCommand.Describe(e)}");
                return ExitCodes.BadArguments;
            }
            catch (IOException e)
            {
                // Kestrel could not bind (the port is taken, the address is not local).
                await stderr.WriteLineAsync($"error: cannot listen on {command.Urls ?? DefaultUrls}: {e.Message}");
                return ExitCodes.BadArguments;
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
            await stderr.WriteLineAsync($"serving on {string.Join(", ", addresses)}: dashboard at /, POST /v1/events, GET /v1/stats, /metrics, /health/live, /health/ready; " +
                                        "SIGTERM or Ctrl-C stops");
            if (app.Services.GetRequiredService<IClusterUsageStats>() is { Enabled: true, Address: { } node })
            {
                await stderr.WriteLineAsync($"cluster node {node}: other nodes join with --{AnalyticsOptions.SectionName}:Cluster:Seeds:0={node}; " +
                                            "GET /v1/stats?scope=cluster[&consistency=local|majority|all] reads every node's usage");
            }
            started?.Invoke(addresses);
            var recorder = app.Services.GetRequiredService<UsageRecorder>();
            describe?.Invoke(() => $"{recorder.PendingCount} events not drained yet");

            try
            {
                await Task.Delay(Timeout.Infinite, stopping);
            }
            catch (OperationCanceledException)
            {
                // The signal: stop below.
            }
            // Kestrel stops first (the web server is the last hosted service to start), finishing requests in flight;
            // then the actor system runs CoordinatedShutdown: the final drain, the store's commit and the sync flush.
            await app.StopAsync(CancellationToken.None);
            await stderr.WriteLineAsync($"stopped: {recorder.AcceptedCount} events recorded since start, {recorder.PendingCount} left undrained");
            return ExitCodes.Ok;
        }
    }
}
