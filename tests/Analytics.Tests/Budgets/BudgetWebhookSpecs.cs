using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Analytics.Actors.Budgets;
using Analytics.Tests.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static Analytics.Tests.Budgets.BudgetTestHost;

namespace Analytics.Tests.Budgets;

/// <summary>The webhook against a real Kestrel server on 127.0.0.1: each threshold event arrives once, through a 500 and a 429.</summary>
public sealed class BudgetWebhookSpecs
{
    private sealed record Hit(int Number, long At, string Body, string? Authorization, string Query, int Answer);

    [Fact]
    public async Task Each_threshold_event_is_delivered_once_through_a_500_and_a_429_with_its_Retry_After_honoured()
    {
        var hits = new ConcurrentQueue<Hit>();
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        var (app, baseUrl) = await LoopbackApp.StartAsync(web => web.MapPost("/hooks", async (HttpContext context) =>
        {
            var number = Interlocked.Increment(ref count);
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            var answer = number switch { 1 => 500, 2 => 429, _ => 204 };
            if (answer == 429) context.Response.Headers.RetryAfter = "1";
            hits.Enqueue(new Hit(number, Stopwatch.GetTimestamp(), body, context.Request.Headers.Authorization, context.Request.QueryString.Value ?? "", answer));
            if (hits.Count(h => h.Answer == 204) == 2) delivered.TrySetResult();
            context.Response.StatusCode = answer;
        }));
        try
        {
            var logs = new LogCapture();
            var webhook = baseUrl.Replace("http://", "http://hook-user:pa%20ss@", StringComparison.Ordinal) + "/hooks?key=qs-secret";
            var settings = new Dictionary<string, string?>
            {
                ["Analytics:Budgets:Webhook"] = webhook,
                ["Analytics:Budgets:tiny:Agent"] = "*",
                ["Analytics:Budgets:tiny:LimitUsd"] = "0.001",
                ["Analytics:Budgets:tiny:Thresholds:0"] = "50",
                ["Analytics:Budgets:tiny:Thresholds:1"] = "100",
            };
            using var host = Build(settings, logs: logs, configure: o => o.Budgets.WebhookRetryDelay = TimeSpan.FromMilliseconds(20));
            await host.StartAsync();
            var recorder = host.Services.GetRequiredService<UsageRecorder>();
            Record(recorder, "r1", 0, 600, "agent-1");
            Record(recorder, "r2", 0, 500, "agent-1");

            await delivered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var running = host.Services.GetRequiredService<BudgetRuntime>().Current!;
            await host.StopAsync();

            var all = hits.OrderBy(h => h.Number).ToList();
            Assert.Equal([500, 429, 204, 204], all.Select(h => h.Answer));
            var accepted = all.Where(h => h.Answer == 204).Select(h => JsonDocument.Parse(h.Body).RootElement).ToList();
            Assert.Equal([50, 100], accepted.Select(e => e.GetProperty("threshold_percent").GetInt32()));
            Assert.Equal(2, accepted.Select(e => e.GetProperty("event_id").GetString()).Distinct().Count());
            // The first event was the one retried: every attempt carried the same id.
            Assert.Single(all.Take(3).Select(h => JsonDocument.Parse(h.Body).RootElement.GetProperty("event_id").GetString()).Distinct());
            Assert.True(Stopwatch.GetElapsedTime(all[1].At, all[2].At) >= TimeSpan.FromMilliseconds(950), "the retry after the 429 must wait for its Retry-After");

            var first = accepted[0];
            Assert.Equal(EventTypes.BudgetThresholdReached, first.GetProperty("event_type").GetString());
            Assert.Equal(("tiny", "agent", "*", "day"), (first.GetProperty("budget").GetString(), first.GetProperty("scope").GetString(),
                first.GetProperty("scope_value").GetString(), first.GetProperty("window").GetString()));
            Assert.Equal((600L, 1_000L), (first.GetProperty("spent_micros").GetInt64(), first.GetProperty("limit_micros").GetInt64()));
            Assert.EndsWith("T00:00:00Z", first.GetProperty("window_start").GetString());

            Assert.All(all, h => Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("hook-user:pa ss")), h.Authorization));
            Assert.All(all, h => Assert.Equal("?key=qs-secret", h.Query));
            Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("pa%20ss", StringComparison.Ordinal) || e.Message.Contains("pa ss", StringComparison.Ordinal)
                                                    || e.Message.Contains("qs-secret", StringComparison.Ordinal) || e.Message.Contains("hook-user", StringComparison.Ordinal));
            Assert.True(logs.Contains("threshold events posted to http://***@127.0.0.1"), "the start log names the webhook without its credentials");
            var counters = running.Counters;
            Assert.Equal((2L, 2L, 0L, 0L), (counters.WebhookDelivered, counters.WebhookRetries, counters.WebhookGivenUp, counters.WebhookRefused));
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task A_refusal_is_not_retried_and_a_receiver_that_stays_down_is_given_up_on_at_shutdown()
    {
        var refusals = 0;
        var downs = 0;
        var (app, baseUrl) = await LoopbackApp.StartAsync(web =>
        {
            web.MapPost("/refuse", () => { Interlocked.Increment(ref refusals); return Results.StatusCode(400); });
            web.MapPost("/down", () => { Interlocked.Increment(ref downs); return Results.StatusCode(503); });
        });
        try
        {
            var clients = new ServiceCollection().AddBudgets().BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
            var options = new BudgetsOptions { WebhookRetryDelay = TimeSpan.FromMilliseconds(10), WebhookMaxRetryDelay = TimeSpan.FromMilliseconds(20) };
            var budget = new BudgetDefinition("b", BudgetScope.Model, "gpt-4o", BudgetWindow.Hour, 100, [100]);
            var crossing = new BudgetCrossing(budget, 0, 3_600_000, 100, 120, Guid.NewGuid().ToString("D"), 1);

            var refused = new BudgetWebhook(new Uri(baseUrl + "/refuse"), options, clients, TimeProvider.System, NullLogger.Instance);
            refused.Start();
            refused.Offer(crossing);
            await refused.StopAsync(TimeSpan.FromSeconds(10)); // posts what is queued, then ends

            var down = new BudgetWebhook(new Uri(baseUrl + "/down"), options, clients, TimeProvider.System, NullLogger.Instance);
            down.Start();
            down.Offer(crossing);
            await down.StopAsync(TimeSpan.FromMilliseconds(300));

            Assert.Equal((1, 1L, 0L, 0L), (refusals, refused.Refused, refused.Delivered, refused.Retries));
            Assert.Equal((1L, 0L, 0L), (down.GivenUp, down.Delivered, down.Refused));
            Assert.True(downs >= 2, $"503 is retried until the shutdown (attempts: {downs})");
            Assert.InRange(down.Retries, downs - 1, downs); // the shutdown may cancel the wait after a retry was counted, before its attempt
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }
}
