using Analytics.Host.Replay;

namespace Analytics.Tests.UsageLog;

public sealed class UsageLogParserSpecs
{
    [Fact]
    public void A_full_completed_line_maps_every_field()
    {
        const string line = """
            {"event_type":"llm_request_completed","model":"gpt-4o","event_id":"e1","timestamp_ms":1700000000000,"agent_id":"a1",
             "provider":"openai","provider_id":"ip_openai-001","input_tokens":100,"output_tokens":50,"cache_read_input_tokens":40,
             "cache_creation_input_tokens":10,"reasoning_tokens":20,"cost_micros":999,"duration_ms":1200,"time_to_first_token_ms":300,"extra":"ignored"}
            """;
        var e = UsageLogParser.Parse(line.ReplaceLineEndings(""), out var error);
        Assert.Null(error);
        Assert.NotNull(e);
        Assert.False(e.Failed);
        Assert.Equal("gpt-4o", e.Model);
        Assert.Equal("e1", e.Identity.EventId);
        Assert.Equal(1700000000000, e.Identity.TimestampMs);
        Assert.Equal("a1", e.Attribution.AgentId);
        Assert.Equal("openai", e.Attribution.Provider);
        Assert.Equal("ip_openai-001", e.Attribution.ProviderId);
        Assert.Equal(new Analytics.Contracts.TokenUsage(100, 50, 40, 10, 20), e.Usage);
        Assert.Equal(999, e.CostMicros);
        Assert.Equal(1200, e.Timing.DurationMs);
        Assert.Equal(300, e.Timing.TimeToFirstTokenMs);
    }

    [Fact]
    public void A_minimal_failed_line_leaves_optional_fields_absent()
    {
        var e = UsageLogParser.Parse("""{"event_type":"llm_request_failed","model":"claude-3-opus-20240229","error_code":"overloaded"}""", out _);
        Assert.NotNull(e);
        Assert.True(e.Failed);
        Assert.Null(e.Attribution.Provider);
        Assert.Null(e.CostMicros);
        Assert.Null(e.Identity.EventId);
        Assert.Equal(0, e.Identity.TimestampMs);
        Assert.Equal("overloaded", e.Failure.ErrorCode);
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\"", "not valid JSON")]
    [InlineData("[1,2]", "expected a JSON object, got array")]
    [InlineData("{\"model\":\"gpt-4o\"}", "missing event_type")]
    [InlineData("{\"event_type\":\"router_started\",\"model\":\"m\"}", "event_type must be \"llm_request_completed\" or \"llm_request_failed\" (got \"router_started\")")]
    [InlineData("{\"event_type\":\"llm_request_completed\"}", "missing model")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"  \"}", "missing model")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":42}", "model must be a string (got number)")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"input_tokens\":-5}", "input_tokens must be >= 0 (got -5)")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"output_tokens\":1.5}", "output_tokens must be an integer (got 1.5)")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"output_tokens\":\"12\"}", "output_tokens must be an integer (got \"12\")")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"input_tokens\":10,\"cache_read_input_tokens\":11}", "exceed input_tokens")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"output_tokens\":1,\"reasoning_tokens\":2}", "reasoning_tokens (2) exceed output_tokens (1)")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"cost_micros\":-1}", "cost_micros must be >= 0 (got -1)")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"event_id\":\"\"}", "event_id must not be empty")]
    [InlineData("{\"event_type\":\"llm_request_completed\",\"model\":\"m\",\"timestamp_ms\":-3}", "timestamp_ms must be >= 0 (got -3)")]
    public void Malformed_lines_are_refused_with_a_reason_naming_the_problem(string line, string reason)
    {
        Assert.Null(UsageLogParser.Parse(line, out var error));
        Assert.Contains(reason, error);
    }
}
