using Analytics.Actors.AI;
using Microsoft.Extensions.AI;

namespace Analytics.Tests.AI;

public sealed class ChatUsageMappingSpecs
{
    [Fact]
    public void Usage_in_the_Microsoft_Extensions_AI_convention_maps_one_to_one()
    {
        var usage = ChatUsageMapping.ToTokenUsage(new UsageDetails
        {
            InputTokenCount = 1_234, OutputTokenCount = 77, CachedInputTokenCount = 1_024, ReasoningTokenCount = 12,
            AdditionalCounts = new() { ["cache_creation_input_tokens"] = 100 },
        });

        Assert.Equal(new TokenUsage(1_234, 77, CacheRead: 1_024, CacheCreation: 100, Reasoning: 12), usage);
        Assert.Null(usage.Validate());
    }

    [Fact]
    public void An_adapter_that_counts_cache_tokens_apart_from_the_input_has_them_added_instead_of_being_refused()
    {
        // Anthropic's wire format: input_tokens excludes the cache reads and writes.
        var usage = ChatUsageMapping.ToTokenUsage(new UsageDetails
        {
            InputTokenCount = 1_500, OutputTokenCount = 800,
            AdditionalCounts = new() { ["CacheReadInputTokens"] = 20_000, ["CacheCreationInputTokens"] = 3_000 },
        });

        Assert.Equal(new TokenUsage(24_500, 800, CacheRead: 20_000, CacheCreation: 3_000), usage);
        Assert.Null(usage.Validate());
    }

    [Fact]
    public void Reasoning_reported_apart_from_the_output_is_added_and_negative_counts_become_zero()
    {
        var usage = ChatUsageMapping.ToTokenUsage(new UsageDetails { InputTokenCount = -5, OutputTokenCount = 10, ReasoningTokenCount = 30 });

        Assert.Equal(new TokenUsage(0, 40, Reasoning: 30), usage);
        Assert.Null(usage.Validate());
    }

    [Fact]
    public void No_usage_is_zero_tokens()
        => Assert.Equal(default, ChatUsageMapping.ToTokenUsage(null));

    [Theory]
    [InlineData(typeof(TaskCanceledException), "cancelled")]
    [InlineData(typeof(OperationCanceledException), "cancelled")]
    [InlineData(typeof(TimeoutException), "timeout")]
    [InlineData(typeof(ArgumentException), "ArgumentException")]
    public void Error_codes_name_the_kind_of_failure(Type exceptionType, string expected)
        => Assert.Equal(expected, ChatUsageMapping.ErrorCode((Exception)Activator.CreateInstance(exceptionType)!));

    [Fact]
    public void Long_error_messages_are_cut()
    {
        var message = ChatUsageMapping.ErrorMessage(new InvalidOperationException(new string('x', 5_000)));

        Assert.Equal(ChatUsageMapping.MaxErrorMessageLength, message.Length);
        Assert.EndsWith("...", message);
    }
}
