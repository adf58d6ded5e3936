using System.Net;
using System.Text;
using System.Text.Json;
using Analytics.Actors.Store;
using Microsoft.Data.Sqlite;

namespace Analytics.Tests.Service;

/// <summary>POST /v1/events against a real Kestrel: exact sums under concurrency, commit before 202, every status.</summary>
public sealed class IngestSpecs
{
    private static long StoredRows(string ledger)
    {
        using var connection = LedgerDatabase.OpenExistingReader(ledger);
        return LedgerReader.Count(connection);
    }

    [Fact]
    public async Task Concurrent_ingest_from_several_clients_adds_up_exactly_to_what_was_sent()
    {
        await using var service = await ServiceHarness.StartAsync();
        const int clients = 4, requestsPerClient = 25, eventsPerRequest = 20;
        var sent = new long[clients];
        // Real threads: each client posts from a thread-pool thread of its own, JSON Lines and arrays alternating.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (var r = 0; r < requestsPerClient; r++)
            {
                var lines = Enumerable.Range(0, eventsPerRequest).Select(e => ServiceHarness.Line($"c{c}-r{r}-e{e}", input: 1 + c * 1_000 + r * 10 + e)).ToList();
                using var response = r % 2 == 0
                    ? await service.PostLinesAsync(lines)
                    : await service.PostAsync("[" + string.Join(',', lines) + "]", "application/json");
                var body = await ServiceHarness.JsonAsync(response);
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToString());
                Assert.Equal(eventsPerRequest, body.GetProperty("accepted").GetInt64());
                sent[c] += lines.Sum(l => JsonDocument.Parse(l).RootElement.GetProperty("input_tokens").GetInt64());
            }
        })));

        var stats = await service.StatsAsync();
        Assert.Equal(clients * requestsPerClient * eventsPerRequest, stats.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(sent.Sum(), stats.GetProperty("totals").GetProperty("input_tokens").GetInt64());
        Assert.Equal(clients * requestsPerClient, stats.GetProperty("ingest").GetProperty("requests").GetInt64());
        Assert.Equal(clients * requestsPerClient * eventsPerRequest, StoredRows(service.LedgerPath));
    }

    [Fact]
    public async Task A_202_is_sent_only_once_the_events_are_in_the_ledger()
    {
        await using var service = await ServiceHarness.StartAsync(new Dictionary<string, string?> { ["Analytics:Store:BatchInterval"] = "00:00:00.200" });
        for (var round = 1; round <= 3; round++)
        {
            using var response = await service.PostLinesAsync(Enumerable.Range(0, 50).Select(i => ServiceHarness.Line($"r{round}-{i}", 100)));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            // Read straight from the file, bypassing the service: a 202 before the commit would find fewer rows.
            Assert.Equal(round * 50, StoredRows(service.LedgerPath));
        }
    }

    [Fact]
    public async Task An_event_id_sent_again_counts_as_accepted_and_is_stored_once()
    {
        await using var service = await ServiceHarness.StartAsync();
        var lines = Enumerable.Range(0, 30).Select(i => ServiceHarness.Line($"dup-{i}", 1_000)).ToList();
        foreach (var _ in new[] { 1, 2 })
        {
            using var response = await service.PostLinesAsync(lines);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(30, (await ServiceHarness.JsonAsync(response)).GetProperty("accepted").GetInt64());
        }
        var stats = await service.StatsAsync();
        Assert.Equal(30, stats.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(30_000, stats.GetProperty("totals").GetProperty("input_tokens").GetInt64());
        Assert.Equal(30, stats.GetProperty("store").GetProperty("duplicates").GetInt64());
        Assert.Equal(30, StoredRows(service.LedgerPath));
    }

    [Fact]
    public async Task Bad_lines_are_listed_with_their_line_numbers_and_the_parsers_reasons_and_the_rest_is_accepted()
    {
        await using var service = await ServiceHarness.StartAsync();
        var bad = """{"event_type":"llm_request_completed","model":"gpt-4o","input_tokens":-5}""";
        var duplicateKey = """{"event_type":"llm_request_completed","model":"gpt-4o","model":"x"}""";
        UsageLogParser.Parse(bad, out var badReason);
        UsageLogParser.Parse(duplicateKey, out var duplicateReason);
        string[] lines = [ServiceHarness.Line("ok-1", 10), bad, "", ServiceHarness.Line("ok-2", 10), duplicateKey, "not json"];

        using var response = await service.PostAsync(string.Join("\r\n", lines), "application/x-ndjson; charset=utf-8");
        var body = await ServiceHarness.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, body.GetProperty("accepted").GetInt64());
        var rejected = body.GetProperty("rejected").EnumerateArray().Select(r => (r.GetProperty("line").GetInt64(), r.GetProperty("reason").GetString())).ToList();
        // The blank third line is skipped but counted, as in a replayed log.
        Assert.Equal(3, rejected.Count);
        Assert.Equal((2L, badReason), rejected[0]);
        Assert.Equal((5L, duplicateReason), rejected[1]);
        Assert.Equal(6L, rejected[2].Item1);

        // The same events as a JSON array: line numbers are index + 1 and the reasons are the same.
        using var array = await service.PostAsync($"[{ServiceHarness.Line("ok-3", 10)},{bad},{duplicateKey},\"text\"]", "application/json");
        var arrayBody = await ServiceHarness.JsonAsync(array);
        Assert.Equal(HttpStatusCode.Accepted, array.StatusCode);
        Assert.Equal(1, arrayBody.GetProperty("accepted").GetInt64());
        var arrayRejected = arrayBody.GetProperty("rejected").EnumerateArray().Select(r => (r.GetProperty("line").GetInt64(), r.GetProperty("reason").GetString())).ToList();
        Assert.Equal([(2L, badReason), (3L, duplicateReason)], arrayRejected.Take(2));
        Assert.Equal(4L, arrayRejected[2].Item1);
        Assert.Equal(3, (await service.StatsAsync()).GetProperty("totals").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Invalid_UTF8_in_one_array_element_rejects_that_element_with_the_parsers_reason()
    {
        await using var service = await ServiceHarness.StartAsync();
        var badElement = Encoding.UTF8.GetBytes("""{"event_type":"llm_request_completed","model":"gpt-4o","agent_id":"ab""").Concat(new byte[] { 0xC3 })
            .Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        UsageLogParser.Parse(badElement, out var reason);
        Assert.StartsWith("invalid UTF-8 at byte", reason);
        var body = Encoding.UTF8.GetBytes("[").Concat(badElement).Concat(Encoding.UTF8.GetBytes("," + ServiceHarness.Line("utf-ok", 3) + "]")).ToArray();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await service.Client.PostAsync("/v1/events", content);
        var json = await ServiceHarness.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, json.GetProperty("accepted").GetInt64());
        var rejected = json.GetProperty("rejected").EnumerateArray().Single();
        Assert.Equal(1, rejected.GetProperty("line").GetInt64());
        Assert.Equal(reason, rejected.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_body_with_no_valid_event_is_400_and_an_empty_body_is_202()
    {
        await using var service = await ServiceHarness.StartAsync();
        using var none = await service.PostLinesAsync(["{}", "[1]"]);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        var body = await ServiceHarness.JsonAsync(none);
        Assert.Equal(0, body.GetProperty("accepted").GetInt64());
        Assert.Equal([1L, 2L], body.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("line").GetInt64()));

        using var broken = await service.PostAsync($"[{ServiceHarness.Line("b-1", 1)},", "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("malformed", (await ServiceHarness.JsonAsync(broken)).GetProperty("error").GetString());

        using var notArray = await service.PostAsync(ServiceHarness.Line("b-2", 1), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, notArray.StatusCode);
        Assert.Contains("must be a JSON array", (await ServiceHarness.JsonAsync(notArray)).GetProperty("error").GetString());

        foreach (var (text, type) in new[] { ("", "application/x-ndjson"), ("", "application/json"), (" \n", "application/json"), ("[]", "application/json") })
        {
            using var empty = await service.PostAsync(text, type);
            Assert.Equal(HttpStatusCode.Accepted, empty.StatusCode);
            Assert.Equal(0, (await ServiceHarness.JsonAsync(empty)).GetProperty("accepted").GetInt64());
        }
        Assert.Equal(0, (await service.StatsAsync()).GetProperty("totals").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Another_content_type_is_415()
    {
        await using var service = await ServiceHarness.StartAsync();
        foreach (var type in new[] { "text/plain", "application/xml", "application/x-ndjson; charset=utf-16", "multipart/form-data; boundary=x" })
        {
            using var response = await service.PostAsync(ServiceHarness.Line("t", 1), type);
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{type}: {(int)response.StatusCode}");
        }
        Assert.Equal(0, (await service.StatsAsync()).GetProperty("totals").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task With_keys_configured_ingest_and_stats_need_one_of_them()
    {
        const string key = "k-0123456789abcdef", other = "other-key-0123456789";
        await using var service = await ServiceHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Analytics:Ingest:ApiKeys:0"] = other, ["Analytics:Ingest:ApiKeys:1"] = key,
        });
        foreach (var presented in new string?[] { null, "wrong-key-0123456789", key + "x", key[..^1] })
        {
            using var response = await service.PostLinesAsync([ServiceHarness.Line("a-1", 5)], presented);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.DoesNotContain(key, await response.Content.ReadAsStringAsync());
        }
        using var statsWithout = await service.Client.GetAsync("/v1/stats");
        Assert.Equal(HttpStatusCode.Unauthorized, statsWithout.StatusCode);

        using var accepted = await service.PostLinesAsync([ServiceHarness.Line("a-1", 5)], key);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var second = await service.PostLinesAsync([ServiceHarness.Line("a-2", 5)], other);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var stats = await service.StatsAsync(key: key);
        Assert.Equal(2, stats.GetProperty("totals").GetProperty("requests").GetInt64());
        // Ingest's own refusals (the stats GET is not an ingest request).
        Assert.Equal(4, stats.GetProperty("ingest").GetProperty("refused_401").GetInt64());
    }

    [Fact]
    public void Without_keys_only_loopback_clients_are_served()
    {
        var gate = new Analytics.AspNetCore.ApiKeyGate([]);
        foreach (var (address, allowed) in new[] { ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("::ffff:127.0.0.1", true), ("10.0.0.7", false), ("192.168.1.20", false), ("2001:db8::1", false) })
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            context.Connection.RemoteIpAddress = IPAddress.Parse(address);
            Assert.True((gate.Refusal(context) is null) == allowed, address);
        }
        Assert.NotNull(gate.Refusal(new Microsoft.AspNetCore.Http.DefaultHttpContext()));
    }

    [Fact]
    public async Task A_full_store_is_503_with_retry_after_and_the_retry_is_stored_once()
    {
        await using var service = await ServiceHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Analytics:Store:QueueCapacity"] = "2", ["Analytics:Ingest:RoomWait"] = "00:00:00.200", ["Analytics:Ingest:RetryAfterSeconds"] = "7",
            ["Analytics:AskTimeout"] = "00:00:01",
        });
        var lines = Enumerable.Range(0, 20).Select(i => ServiceHarness.Line($"full-{i}", 10)).ToList();
        // Another process's write lock on the ledger: the writer cannot commit, its queue fills, ingest waits and gives up.
        using (var blocker = new SqliteConnection($"Data Source={service.LedgerPath};Pooling=False"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }
            using var refused = await service.PostLinesAsync(lines);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter!.Delta);
            Assert.Contains("retry", (await ServiceHarness.JsonAsync(refused)).GetProperty("error").GetString());
            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        // The lock is gone: a client retrying the same body (sooner than Retry-After asks, to keep the spec short) is
        // accepted once the writer's back-off ends, and each event is stored once.
        var attempts = 1;
        while (true)
        {
            using var retried = await service.PostLinesAsync(lines);
            attempts++;
            if (retried.StatusCode == HttpStatusCode.Accepted) break;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, retried.StatusCode);
            Assert.True(attempts < 60, "still 503 after 60 attempts");
            await Task.Delay(200);
        }
        Assert.Equal(20, StoredRows(service.LedgerPath));
        var stats = await service.StatsAsync();
        Assert.Equal(20, stats.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(attempts - 1, stats.GetProperty("ingest").GetProperty("refused_503").GetInt64());
    }
}
