using System.Net;
using Analytics.Actors.AI;
using Analytics.Actors.Ingress;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

using Analytics.Tests.Ingress;

namespace Analytics.Tests.AI;

/// <summary>
/// The chat client middleware against a scripted inner client and a real recorder whose ring the spec reads directly
/// (no pump), so each spec sees exactly the record the call produced.
/// </summary>
public sealed class UsageAnalyticsChatClientSpecs
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "hello")];

    private readonly FakeTimeProvider _time = new();
    private readonly UsageRecorder _recorder = new(capacity: 64, shards: 1);
    private readonly FakeChatClient _inner;

    public UsageAnalyticsChatClientSpecs() => _inner = new FakeChatClient(_time);

    [Fact]
    public async Task A_response_is_recorded_with_its_usage_model_provider_attribution_and_duration()
    {
        _inner.Response.ModelId = "gpt-4o-2024-08-06";
        _inner.Response.Usage = new UsageDetails
        {
            InputTokenCount = 1_200, OutputTokenCount = 300, CachedInputTokenCount = 1_024, ReasoningTokenCount = 40,
            AdditionalCounts = new() { ["CacheCreationInputTokens"] = 100 },
        };
        var options = new ChatOptions { ModelId = "gpt-4o", AdditionalProperties = new() { ["agent_id"] = "agent-7", ["provider_id"] = "ip_openai-001" } };

        var response = await Client().GetResponseAsync(Prompt, options);

        Assert.Same(_inner.Response, response);
        var r = Assert.Single(Drain());
        Assert.Equal(AnalyticsEventKind.LlmRequestCompleted, r.Kind);
        Assert.Equal("gpt-4o-2024-08-06", r.Model);
        Assert.Equal("openai", r.Provider);
        Assert.Equal("agent-7", r.AgentId);
        Assert.Equal("ip_openai-001", r.ProviderId);
        Assert.Equal(new TokenUsage(1_200, 300, CacheRead: 1_024, CacheCreation: 100, Reasoning: 40), r.Usage);
        Assert.Equal(840, r.Duration);
        Assert.Null(r.TimeToFirstToken);
    }

    [Theory]
    [InlineData("from-response", "from-options", "from-metadata", "from-response")]
    [InlineData(null, "from-options", "from-metadata", "from-options")]
    [InlineData(null, null, "from-metadata", "from-metadata")]
    [InlineData(null, null, null, "unknown")]
    public async Task The_model_is_the_response_s_else_the_options_else_the_client_default(string? response, string? requested, string? fallback, string expected)
    {
        _inner.Response.ModelId = response;
        _inner.Metadata = new ChatClientMetadata("openai", null, fallback);

        await Client().GetResponseAsync(Prompt, new ChatOptions { ModelId = requested });

        Assert.Equal(expected, Assert.Single(Drain()).Model);
    }

    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("azure.ai.openai", "openai")]
    [InlineData("Azure OpenAI", "openai")]
    [InlineData("anthropic", "anthropic")]
    [InlineData("gcp.gemini", "google")]
    [InlineData("gcp.vertex_ai", "google")]
    [InlineData("mistral_ai", "mistral")]
    [InlineData("x_ai", "xai")]
    [InlineData("ollama", null)]
    [InlineData("aws.bedrock", null)]
    [InlineData("azure.ai.inference", null)]
    public async Task The_provider_is_mapped_from_the_client_metadata_or_left_to_inference(string providerName, string? expected)
    {
        _inner.Metadata = new ChatClientMetadata(providerName, null, "some-model");

        await Client().GetResponseAsync(Prompt);

        Assert.Equal(expected, Assert.Single(Drain()).Provider);
    }

    [Fact]
    public async Task A_configured_provider_and_resolvers_win_over_the_defaults()
    {
        var client = Client(o =>
        {
            o.Provider = "anthropic";
            o.AgentIdResolver = _ => "from-resolver";
            o.ProviderIdResolver = _ => "ip_custom";
        });

        await client.GetResponseAsync(Prompt, new ChatOptions { AdditionalProperties = new() { ["agent_id"] = "ignored" } });

        var r = Assert.Single(Drain());
        Assert.Equal(("anthropic", "from-resolver", "ip_custom"), (r.Provider, r.AgentId, r.ProviderId));
    }

    [Fact]
    public async Task A_failure_propagates_unchanged_and_is_recorded_as_a_failed_request()
    {
        var failure = new InvalidOperationException("backend exploded");
        _inner.Failure = failure;

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => Client().GetResponseAsync(Prompt, new ChatOptions { ModelId = "gpt-4o" }));

        Assert.Same(failure, thrown);
        Assert.Contains(nameof(FakeChatClient.GetResponseAsync), thrown.StackTrace);
        var r = Assert.Single(Drain());
        Assert.Equal(AnalyticsEventKind.LlmRequestFailed, r.Kind);
        Assert.Equal(("gpt-4o", "InvalidOperationException", "backend exploded"), (r.Model, r.ErrorCode, r.ErrorMessage));
        Assert.Equal(840, r.Duration);
    }

    [Fact]
    public async Task An_http_failure_is_recorded_with_its_status()
    {
        _inner.Failure = new HttpRequestException("slow down", null, HttpStatusCode.TooManyRequests);

        await Assert.ThrowsAsync<HttpRequestException>(() => Client().GetResponseAsync(Prompt));

        Assert.Equal("http_429", Assert.Single(Drain()).ErrorCode);
    }

    [Fact]
    public async Task A_cancelled_call_is_recorded_as_cancelled()
    {
        _inner.WaitForCancellation = true;
        using var cts = new CancellationTokenSource();

        var call = Client().GetResponseAsync(Prompt, cancellationToken: cts.Token);
        await _inner.Waiting.Task;
        _time.Advance(TimeSpan.FromMilliseconds(160));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var r = Assert.Single(Drain());
        Assert.Equal(("cancelled", 1_000L), (r.ErrorCode, r.Duration));
    }

    [Fact]
    public async Task A_stream_sums_usage_split_across_updates_as_ToChatResponse_does_and_measures_time_to_first_token()
    {
        Stream(200, new ChatResponseUpdate(ChatRole.Assistant, "Hel") { ModelId = "claude-sonnet-4-5" });
        Stream(300, new ChatResponseUpdate(ChatRole.Assistant, [new TextContent("lo"), new UsageContent(new UsageDetails { InputTokenCount = 24_500, CachedInputTokenCount = 20_000 })]));
        Stream(400, new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails
        {
            OutputTokenCount = 800, AdditionalCounts = new() { ["CacheCreationInputTokens"] = 3_000 },
        })]));
        _inner.Metadata = new ChatClientMetadata("anthropic", null, null);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Client().GetStreamingResponseAsync(Prompt)) updates.Add(update);

        Assert.Equal(3, updates.Count);
        var combined = updates.ToChatResponse().Usage!;
        var r = Assert.Single(Drain());
        Assert.Equal(AnalyticsEventKind.LlmRequestCompleted, r.Kind);
        Assert.Equal(("claude-sonnet-4-5", "anthropic"), (r.Model, r.Provider));
        Assert.Equal((combined.InputTokenCount, combined.OutputTokenCount, combined.CachedInputTokenCount), (r.InputTokens, r.OutputTokens, r.CacheReadTokens));
        Assert.Equal(new TokenUsage(24_500, 800, CacheRead: 20_000, CacheCreation: 3_000), r.Usage);
        Assert.Equal((200L, 900L), (r.TimeToFirstToken, r.Duration));
    }

    [Fact]
    public async Task A_stream_cancelled_before_any_usage_is_recorded_as_a_cancelled_request()
    {
        Stream(150, new ChatResponseUpdate(ChatRole.Assistant, "partial"));
        _inner.WaitForCancellation = true;
        _inner.WaitAfterUpdates = 1;
        using var cts = new CancellationTokenSource();

        var consumed = new List<ChatResponseUpdate>();
        var consume = Task.Run(async () =>
        {
            await foreach (var update in Client().GetStreamingResponseAsync(Prompt, cancellationToken: cts.Token)) consumed.Add(update);
        });
        await _inner.Waiting.Task;
        _time.Advance(TimeSpan.FromMilliseconds(350));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consume);
        Assert.Single(consumed);
        var r = Assert.Single(Drain());
        Assert.Equal(AnalyticsEventKind.LlmRequestFailed, r.Kind);
        Assert.Equal(("cancelled", 500L), (r.ErrorCode, r.Duration));
    }

    [Fact]
    public async Task A_stream_cancelled_after_usage_was_reported_keeps_the_usage_seen()
    {
        Stream(100, new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 500 })]));
        _inner.WaitForCancellation = true;
        _inner.WaitAfterUpdates = 1;
        using var cts = new CancellationTokenSource();

        var consume = Task.Run(async () =>
        {
            await foreach (var _ in Client().GetStreamingResponseAsync(Prompt, new ChatOptions { ModelId = "gpt-4o" }, cts.Token))
            {
            }
        });
        await _inner.Waiting.Task;
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consume);
        var r = Assert.Single(Drain());
        Assert.Equal(AnalyticsEventKind.LlmRequestCompleted, r.Kind);
        Assert.Equal(new TokenUsage(500, 0), r.Usage);
    }

    [Fact]
    public async Task An_exception_after_the_first_chunk_propagates_unchanged_and_is_recorded_as_failed()
    {
        var failure = new IOException("connection reset");
        Stream(120, new ChatResponseUpdate(ChatRole.Assistant, "first"));
        Stream(120, new ChatResponseUpdate(ChatRole.Assistant, "never seen"));
        _inner.Failure = failure;
        _inner.FailAfterUpdates = 1;

        var seen = 0;
        var thrown = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var _ in Client().GetStreamingResponseAsync(Prompt, new ChatOptions { ModelId = "gpt-4o-mini" })) seen++;
        });

        Assert.Same(failure, thrown);
        Assert.Equal(1, seen);
        var r = Assert.Single(Drain());
        Assert.Equal(AnalyticsEventKind.LlmRequestFailed, r.Kind);
        Assert.Equal(("gpt-4o-mini", "IOException", "connection reset"), (r.Model, r.ErrorCode, r.ErrorMessage));
        // A failed request keeps its duration; failed events carry no time to first token.
        Assert.Equal(120, r.Duration);
    }

    [Fact]
    public async Task A_stream_the_consumer_abandons_is_still_recorded_once()
    {
        Stream(50, new ChatResponseUpdate(ChatRole.Assistant, "one"));
        Stream(50, new ChatResponseUpdate(ChatRole.Assistant, "two"));
        Stream(50, new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 })]));

        await foreach (var _ in Client().GetStreamingResponseAsync(Prompt))
        {
            break;
        }

        var r = Assert.Single(Drain());
        Assert.Equal(AnalyticsEventKind.LlmRequestFailed, r.Kind);
        Assert.Equal("cancelled", r.ErrorCode);
        Assert.Equal(50, r.Duration);
    }

    [Fact]
    public async Task Recording_problems_never_reach_the_caller()
    {
        var client = Client(o => o.AgentIdResolver = _ => throw new InvalidOperationException("resolver bug"));
        var full = new UsageRecorder(capacity: 16, shards: 1);
        for (var i = 0; i < 16; i++) Assert.True(full.RecordCompleted("filler", 1, 1));
        var onFullRing = new UsageAnalyticsChatClient(_inner, full, new UsageAnalyticsChatClientOptions { TimeProvider = _time });

        Assert.Same(_inner.Response, await client.GetResponseAsync(Prompt));
        Assert.Same(_inner.Response, await onFullRing.GetResponseAsync(Prompt));

        Assert.Equal(1, ((UsageAnalyticsChatClient)client).RecordingErrors);
        Assert.Empty(Drain());
        Assert.Equal(1, full.DroppedCount);
    }

    [Fact]
    public async Task The_builder_takes_the_recorder_and_clock_from_the_service_provider()
    {
        using var services = new ServiceCollection().AddSingleton(_recorder).AddSingleton<TimeProvider>(_time).BuildServiceProvider();
        using var client = new ChatClientBuilder(_inner).UseUsageAnalytics().Build(services);

        await client.GetResponseAsync(Prompt);

        Assert.NotNull(client.GetService<UsageAnalyticsChatClient>());
        Assert.Equal(840, Assert.Single(Drain()).Duration);
    }

    [Fact]
    public void The_builder_explains_a_missing_recorder()
    {
        using var services = new ServiceCollection().BuildServiceProvider();

        var e = Assert.Throws<InvalidOperationException>(() => new ChatClientBuilder(_inner).UseUsageAnalytics().Build(services));

        Assert.Contains("AddUsageAnalytics", e.Message);
    }

    private IChatClient Client(Action<UsageAnalyticsChatClientOptions>? configure = null)
    {
        var options = new UsageAnalyticsChatClientOptions { TimeProvider = _time };
        configure?.Invoke(options);
        return new UsageAnalyticsChatClient(_inner, _recorder, options);
    }

    private void Stream(int delayMs, ChatResponseUpdate update) => _inner.Updates.Add((TimeSpan.FromMilliseconds(delayMs), update));

    private List<IngressRecord> Drain()
    {
        var sink = new CollectingSink();
        foreach (var shard in _recorder.Buffer.Shards) shard.Drain(ref sink, shard.TailSnapshot(), int.MaxValue, wait: false);
        return sink.Records;
    }
}
