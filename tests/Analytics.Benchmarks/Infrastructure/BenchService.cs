using Akka.Hosting;
using Analytics.Tests.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>The service as a user maps it (MapUsageAnalytics on Kestrel, 127.0.0.1, a free port), store on or off.</summary>
internal sealed class BenchService : IAsyncDisposable
{
    private BenchService(WebApplication app, string baseUrl, string dir)
    {
        App = app;
        Dir = dir;
        // Enough connections for every concurrent client; loopback needs no proxy.
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(2) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public string Dir { get; }

    /// <summary>Starts the service; <paramref name="batchInterval"/> is the store's <c>BatchInterval</c> (null: its default, 20 ms).</summary>
    public static async Task<BenchService> StartAsync(bool store, TimeSpan? batchInterval = null)
    {
        var dir = Directory.CreateTempSubdirectory("analytics-bench-service-").FullName;
        var (app, baseUrl) = await LoopbackApp.StartAsync(app => app.MapUsageAnalytics(), builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Analytics:Store:Path"] = store ? Path.Combine(dir, "ledger.db") : "",
                // Room for the largest invoke (4 x 4 x 1,000 events) so no case measures waiting for the ring.
                ["Analytics:BufferCapacity"] = "65536",
                ["Analytics:Store:BatchInterval"] = (batchInterval ?? new StoreOptions().BatchInterval).ToString("c"),
            });
            builder.Services.AddUsageAnalytics(builder.Configuration);
            builder.Services.AddAkka("bench-service", akka => akka.AddHocon(Hocon.Quiet, HoconAddMode.Prepend).WithUsageAnalytics());
            builder.Services.AddUsageAnalyticsEndpoints();
        });
        return new BenchService(app, baseUrl, dir);
    }

    /// <summary>Starts the service for a benchmark's <c>Store</c> parameter: <c>off</c>, or the store's <c>BatchInterval</c> in ms (<c>20ms</c>).</summary>
    public static BenchService Start(string store) => StartAsync(store != "off",
        store == "off" ? null : TimeSpan.FromMilliseconds(int.Parse(store[..^2], System.Globalization.CultureInfo.InvariantCulture))).GetAwaiter().GetResult();

    /// <summary>A usage-log line with a fresh id.</summary>
    public static string Line(string id, int i) =>
        $"{{\"event_type\":\"llm_request_completed\",\"event_id\":\"{id}\",\"model\":\"{(i % 3 == 0 ? "claude-sonnet-4-5" : "gpt-4o-mini")}\",\"agent_id\":\"agent-{i % 7}\",\"input_tokens\":{1_000 + i % 500},\"output_tokens\":{100 + i % 50},\"duration_ms\":{200 + i % 900}}}";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // Left to the system's temp cleaning.
        }
    }
}
