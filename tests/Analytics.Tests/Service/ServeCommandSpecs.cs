using System.Net;
using System.Text;
using Analytics.Host;
using Analytics.Host.Serve;
using Analytics.Tests.Store;

namespace Analytics.Tests.Service;

/// <summary>The <c>serve</c> command in process: settings errors are one line and exit 2; a stop request exits 0 after the flush.</summary>
public sealed class ServeCommandSpecs
{
    private static CommandLine Parse(params string[] args) => CommandLine.Parse(args, out var error) ?? throw new InvalidOperationException(error);

    [Fact]
    public async Task An_invalid_ingest_setting_stops_the_start_with_one_line_naming_the_key_and_not_the_value()
    {
        const string secret = "too-short";
        var stderr = new StringWriter();
        var dir = StoreTestSupport.NewFolder();
        var code = await ServeCommand.RunAsync(Parse("serve", "--urls", "http://127.0.0.1:0", $"--Analytics:Ingest:ApiKeys:0={secret}"), stderr, CancellationToken.None,
            new Dictionary<string, string?> { ["Analytics:Store:Path"] = Path.Combine(dir, "ledger.db") });
        Assert.Equal(ExitCodes.BadArguments, code);
        var text = stderr.ToString();
        Assert.StartsWith("error: invalid configuration: ", text);
        Assert.Contains("Analytics:Ingest:ApiKeys:0 must be 16 to 256 characters long", text);
        Assert.DoesNotContain(secret, text);
        Assert.Single(text.Trim().Split('\n'));
    }

    [Fact]
    public async Task Serve_listens_takes_events_and_exits_0_when_stopped()
    {
        var dir = StoreTestSupport.NewFolder();
        var ledger = Path.Combine(dir, "ledger.db");
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = ServeCommand.RunAsync(Parse("serve", "--urls", "http://127.0.0.1:0"), TextWriter.Synchronized(stderr), stop.Token,
            new Dictionary<string, string?> { ["Analytics:Store:Path"] = ledger, ["Logging:LogLevel:Default"] = "Warning" },
            started: addresses => listening.TrySetResult(addresses.Single()));
        var first = await Task.WhenAny(listening.Task, run, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == listening.Task, stderr.ToString());
        var baseUrl = await listening.Task;

        using var client = new HttpClient();
        using var response = await client.PostAsync(baseUrl + "/v1/events",
            new StringContent(ServiceHarness.Line("serve-1", 42) + "\n" + ServiceHarness.Line("serve-2", 8), Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        stop.Cancel();
        Assert.Equal(ExitCodes.Ok, await run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("serving on http://127.0.0.1:", stderr.ToString());
        using var connection = Analytics.Actors.Store.LedgerDatabase.OpenExistingReader(ledger);
        Assert.Equal(2, Analytics.Actors.Store.LedgerReader.Count(connection));
    }
}
