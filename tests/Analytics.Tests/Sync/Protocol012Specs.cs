using System.Text;
using System.Text.Json;
using Analytics.Actors.Sync;
using Analytics.Contracts;
using Xunit;

namespace Analytics.Tests.Sync;

public sealed class Protocol012Specs
{
    private static string Body(AnalyticsEvent e, string token = "tok") => Encoding.UTF8.GetString(Protocol012.Serialize(e, token));

    [Fact]
    public void Completed_event_carries_exactly_the_protocol_fields()
    {
        var e = new LlmRequestCompleted
        {
            EventId = "e-1", TimestampMs = 1_764_400_008_869, AgentId = "agent_support", Model = "gpt-4.1", Provider = "openai",
            ProviderId = "ip_openai-001", InputTokens = 10741, OutputTokens = 962, CacheReadInputTokens = 100, ReasoningTokens = 5,
            CostMicros = 29_178, DurationMs = 7759, TimeToFirstTokenMs = 2366,
        };
        Assert.Equal(
            """{"ic_token":"tok","event_id":"e-1","timestamp_ms":1764400008869,"event_type":"llm_request_completed","model":"gpt-4.1","provider":"openai","input_tokens":10741,"output_tokens":962,"cost_micros":29178,"provider_id":"ip_openai-001"}""",
            Body(e));
    }

    [Fact]
    public void Absent_optional_fields_are_omitted_not_null()
    {
        var completed = Body(SyncTestSupport.Completed(id: "e-2", providerId: null));
        Assert.DoesNotContain("provider_id", completed);
        Assert.DoesNotContain("null", completed);

        var failed = Body(SyncTestSupport.Failed(id: "e-3", errorCode: null, errorMessage: null));
        Assert.Equal(
            """{"ic_token":"tok","event_id":"e-3","timestamp_ms":1764400000500,"event_type":"llm_request_failed","model":"claude-3-5-haiku-20241022","provider":"anthropic"}""",
            failed);
    }

    [Fact]
    public void Failed_event_carries_its_error_fields()
    {
        using var doc = JsonDocument.Parse(Body(SyncTestSupport.Failed(id: "e-4")));
        Assert.Equal("llm_request_failed", doc.RootElement.GetProperty("event_type").GetString());
        Assert.Equal("rate_limit", doc.RootElement.GetProperty("error_code").GetString());
        Assert.Equal("slow down", doc.RootElement.GetProperty("error_message").GetString());
        Assert.False(doc.RootElement.TryGetProperty("input_tokens", out _));
    }

    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("anthropic", "anthropic")]
    [InlineData("OpenAI", "openai")]
    [InlineData("mistral", "unknown")]
    [InlineData("google", "unknown")]
    [InlineData("unknown", "unknown")]
    public void Providers_outside_the_accepted_set_are_sent_as_unknown(string provider, string wire)
    {
        using var doc = JsonDocument.Parse(Body(SyncTestSupport.Completed(provider: provider)));
        Assert.Equal(wire, doc.RootElement.GetProperty("provider").GetString());
    }

    [Fact]
    public void Dead_letter_line_redacts_the_token_and_keeps_status_body_and_reason()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var line = Encoding.UTF8.GetString(DeadLetterFile.Format(SyncTestSupport.Completed(id: "e-5"), 400, """{"error":"VALIDATION_ERROR"}""", "validation error (400)", at));
        Assert.EndsWith("\n", line);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("REDACTED", root.GetProperty("event").GetProperty("ic_token").GetString());
        Assert.Equal("e-5", root.GetProperty("event").GetProperty("event_id").GetString());
        Assert.Equal(400, root.GetProperty("status").GetInt32());
        Assert.Equal("""{"error":"VALIDATION_ERROR"}""", root.GetProperty("response_body").GetString());
        Assert.Equal("validation error (400)", root.GetProperty("reason").GetString());
        Assert.Equal("2026-01-02T03:04:05.0000000Z", root.GetProperty("at").GetString());
    }

    [Fact]
    public void Lifecycle_events_are_not_sendable()
        => Assert.Throws<ArgumentException>(() => Protocol012.Serialize(new RouterStarted { EventId = "x", Port = 1 }, "tok"));
}
