using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Hosting;
using Analytics.Tests.Store;
using Analytics.Tests.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Analytics.Tests.Service;

/// <summary>
/// A real ASP.NET Core app on 127.0.0.1 (a free port) wired the way a library user wires it: AddUsageAnalytics,
/// WithUsageAnalytics, AddUsageAnalyticsEndpoints, MapUsageAnalytics; the store in a folder of its own.
/// </summary>
internal sealed class ServiceHarness : IAsyncDisposable
{
    private ServiceHarness(WebApplication app, string baseUrl, string dir)
    {
        App = app;
        BaseUrl = baseUrl;
        Dir = dir;
        Client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }

    public string BaseUrl { get; }

    public string Dir { get; }

    public string LedgerPath => Path.Combine(Dir, "ledger.db");

    public HttpClient Client { get; }

    /// <summary>Starts the app; <paramref name="settings"/> are layered over the harness's (store on, in its folder).</summary>
    public static async Task<ServiceHarness> StartAsync(IDictionary<string, string?>? settings = null, bool store = true)
    {
        var dir = StoreTestSupport.NewFolder();
        var config = new Dictionary<string, string?>
        {
            ["Analytics:Store:Path"] = store ? Path.Combine(dir, "ledger.db") : "",
            ["Analytics:Store:BatchInterval"] = "00:00:00.005",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var (app, baseUrl) = await LoopbackApp.StartAsync(app => app.MapUsageAnalytics(), builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.Services.AddUsageAnalytics(builder.Configuration);
            builder.Services.AddAkka("service-spec", akka => akka.WithUsageAnalytics());
            builder.Services.AddUsageAnalyticsEndpoints();
        });
        return new ServiceHarness(app, baseUrl, dir);
    }

    /// <summary>POSTs a JSON Lines body.</summary>
    public Task<HttpResponseMessage> PostLinesAsync(IEnumerable<string> lines, string? key = null) =>
        PostAsync(string.Join('\n', lines) + "\n", "application/x-ndjson", key);

    /// <summary>POSTs a body with a content type.</summary>
    public Task<HttpResponseMessage> PostAsync(string body, string contentType, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return Client.SendAsync(request);
    }

    /// <summary>GET /v1/stats (with a query string) as parsed JSON; fails on any status but 200.</summary>
    public async Task<JsonElement> StatsAsync(string query = "", string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/stats" + query);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /v1/stats{query}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>A usage-log line of a completed request with an id of its own.</summary>
    public static string Line(string id, long input, long output = 10, string model = "gpt-4o", string? agent = "agent-1", long? costMicros = null,
        long? timestampMs = null, long? durationMs = null)
    {
        var extra = (agent is null ? "" : $",\"agent_id\":\"{agent}\"") + (costMicros is null ? "" : $",\"cost_micros\":{costMicros}") +
                    (timestampMs is null ? "" : $",\"timestamp_ms\":{timestampMs}") + (durationMs is null ? "" : $",\"duration_ms\":{durationMs}");
        return $"{{\"event_type\":\"llm_request_completed\",\"event_id\":\"{id}\",\"model\":\"{model}\",\"input_tokens\":{input},\"output_tokens\":{output}{extra}}}";
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(stopping.Token);
        await App.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a reader of the spec: the temp folder is cleaned by the system.
        }
    }
}
