using System.Collections.Concurrent;
using Akka.Hosting;
using Analytics.Actors;
using Analytics.Actors.Hosting;
using Analytics.Actors.Sync;
using Analytics.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Analytics.Tests.Sync;

/// <summary>Events, hosts, sinks and log capture shared by the sync specs.</summary>
internal static class SyncTestSupport
{
    public const string Token = "tok-secret-4f1c";

    private static long _ids;

    public static LlmRequestCompleted Completed(string? id = null, string model = "gpt-4o", string provider = "openai", string? providerId = null) => new()
    {
        EventId = id ?? NewId(),
        TimestampMs = 1_764_400_000_000,
        Model = model,
        Provider = provider,
        ProviderId = providerId,
        InputTokens = 1200,
        OutputTokens = 300,
        CostMicros = 4_500,
    };

    public static LlmRequestFailed Failed(string? id = null, string? errorCode = "rate_limit", string? errorMessage = "slow down") => new()
    {
        EventId = id ?? NewId(),
        TimestampMs = 1_764_400_000_500,
        Model = "claude-3-5-haiku-20241022",
        Provider = "anthropic",
        ErrorCode = errorCode,
        ErrorMessage = errorMessage,
    };

    public static string NewId() => $"evt-{Interlocked.Increment(ref _ids):D6}-{Guid.NewGuid():N}";

    public static string TempFile(string name) => Path.Combine(Path.GetTempPath(), "analytics-sync-tests", $"{Guid.NewGuid():N}-{name}");

    /// <summary>Settings for a fast sync against <paramref name="endpoint"/>; <paramref name="extra"/> wins.</summary>
    public static Dictionary<string, string?> Config(string? endpoint, string deadLetterPath, params (string Key, string Value)[] extra)
    {
        var config = new Dictionary<string, string?>
        {
            ["Analytics:Sync:Endpoint"] = endpoint ?? "",
            ["Analytics:Sync:Token"] = Token,
            ["Analytics:Sync:Interval"] = "00:00:00.050",
            ["Analytics:Sync:Timeout"] = "00:00:05",
            ["Analytics:Sync:RetryDelay"] = "00:00:00.010",
            ["Analytics:Sync:MaxRetryDelay"] = "00:00:00.200",
            ["Analytics:Sync:RetryBudget"] = "00:00:30",
            ["Analytics:Sync:FlushTimeout"] = "00:00:20",
            ["Analytics:Sync:DeadLetterPath"] = deadLetterPath,
        };
        foreach (var (key, value) in extra) config[$"Analytics:Sync:{key}"] = value;
        return config;
    }

    /// <summary>A generic host wired like the product host: AddUsageAnalytics + AddAkka(...WithUsageAnalytics()).</summary>
    public static IHost BuildHost(IDictionary<string, string?> config, LogCapture? logs = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("sync-spec", akka => akka.WithUsageAnalytics());
        return builder.Build();
    }

    /// <summary>The HTTP sink alone, with the product's HTTP client registration and dead-letter file (token scrubbed).</summary>
    public static (Protocol012HttpSink Sink, SyncMetrics Metrics, DeadLetterFile DeadLetters) Sink(SyncOptions options, LogCapture? logs = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(l =>
        {
            if (logs is not null) l.AddProvider(logs);
        });
        // The client exactly as the product registers it (no redirects followed, no decompression).
        services.AddSync();
        var sp = services.BuildServiceProvider();
        var loggers = sp.GetRequiredService<ILoggerFactory>();
        var metrics = new SyncMetrics();
        var deadLetters = new DeadLetterFile(options.DeadLetterPath, TimeProvider.System, loggers.CreateLogger<DeadLetterFile>(), options.Token);
        metrics.Attach(deadLetters);
        var sink = new Protocol012HttpSink(options, sp.GetRequiredService<IHttpClientFactory>(), metrics, deadLetters, TimeProvider.System, loggers.CreateLogger<Protocol012HttpSink>());
        return (sink, metrics, deadLetters);
    }

    public static SyncOptions SinkOptions(string endpoint, string deadLetterPath) => new()
    {
        Endpoint = endpoint,
        Token = Token,
        Timeout = TimeSpan.FromSeconds(5),
        RetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        RetryBudget = TimeSpan.FromSeconds(30),
        MaxConcurrentRequestsPerBatch = 4,
        DeadLetterPath = deadLetterPath,
    };

    public static string[] ReadLines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>The repository root (where Analytics.sln is).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Analytics.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Analytics.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Keeps every log line (level, category, formatted message) for assertions.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public bool Contains(string text) => Entries.Any(e => e.Message.Contains(text, StringComparison.Ordinal));

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Entries.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
