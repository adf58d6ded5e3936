using Analytics.Contracts;

namespace Analytics.Tests.Store;

/// <summary>Settings, folders and events shared by the store specs (and by host specs that must keep the store off).</summary>
internal static class StoreTestSupport
{
    /// <summary>
    /// <paramref name="settings"/> with the store off unless they set a path: the host program defaults the ledger to
    /// analytics.db in the current directory, which specs must never share.
    /// </summary>
    public static Dictionary<string, string?> WithoutStore(IDictionary<string, string?>? settings)
    {
        var copy = settings is null ? [] : new Dictionary<string, string?>(settings);
        copy.TryAdd("Analytics:Store:Path", "");
        return copy;
    }

    /// <summary>A fresh folder under the system temp folder, deleted by the caller.</summary>
    public static string NewFolder() => Directory.CreateTempSubdirectory("analytics-store-").FullName;

    /// <summary>A completed event with everything set.</summary>
    public static LlmRequestCompleted Completed(string id, long timestampMs, string model = "gpt-4o", string provider = "openai", string? agent = "agent-1",
        long input = 1_000, long output = 200, long cost = 4_500) => new()
    {
        EventId = id,
        TimestampMs = timestampMs,
        AgentId = agent,
        Model = model,
        Provider = provider,
        ProviderId = "ip_openai-001",
        InputTokens = input,
        OutputTokens = output,
        CacheReadInputTokens = input / 2,
        CacheCreationInputTokens = input / 10,
        ReasoningTokens = output / 4,
        CostMicros = cost,
        DurationMs = 800,
        TimeToFirstTokenMs = 150,
    };

    /// <summary>A failed event.</summary>
    public static LlmRequestFailed Failed(string id, long timestampMs, string model = "claude-sonnet-4-5", string? agent = null) => new()
    {
        EventId = id,
        TimestampMs = timestampMs,
        AgentId = agent,
        Model = model,
        Provider = "anthropic",
        ErrorCode = "overloaded",
        ErrorMessage = "try later",
        DurationMs = 120,
    };
}

/// <summary>A temp folder for a ledger and a Protocol 012 test server, for specs that sync from the store.</summary>
internal sealed class StoreTestBed : IAsyncDisposable
{
    private StoreTestBed(Analytics.Tests.Sync.Protocol012TestServer server) => Server = server;

    /// <summary>The folder (deleted with the bed).</summary>
    public string Dir { get; } = StoreTestSupport.NewFolder();

    /// <summary>The server sync delivers to.</summary>
    public Analytics.Tests.Sync.Protocol012TestServer Server { get; }

    /// <summary>The ledger file inside <see cref="Dir"/>.</summary>
    public string Ledger => Path.Combine(Dir, "analytics.db");

    public static async Task<StoreTestBed> StartAsync() => new(await Analytics.Tests.Sync.Protocol012TestServer.StartAsync());

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
