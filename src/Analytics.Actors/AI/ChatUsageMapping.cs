using System.Globalization;
using System.Net.Http;
using Analytics.Contracts;
using Microsoft.Extensions.AI;

namespace Analytics.Actors.AI;

/// <summary>
/// Translates Microsoft.Extensions.AI's view of a call (usage details, client metadata, exceptions) into the recorder's
/// terms. Pure functions, so each mapping rule is tested on its own.
/// </summary>
internal static class ChatUsageMapping
{
    /// <summary>The model recorded when neither the response, the options nor the client metadata name one.</summary>
    public const string UnknownModel = "unknown";

    /// <summary>The error code of a call the caller cancelled or abandoned.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Longest error message kept (an exception message can be a whole response body).</summary>
    public const int MaxErrorMessageLength = 500;

    /// <summary>
    /// <see cref="UsageDetails.AdditionalCounts"/> keys read as cache-write (cache creation) tokens, first match wins:
    /// the Anthropic SDKs' <c>CacheCreationInputTokens</c>, and the wire name <c>cache_creation_input_tokens</c>.
    /// </summary>
    public static readonly string[] CacheWriteKeys = ["CacheCreationInputTokens", "cache_creation_input_tokens"];

    /// <summary>
    /// Keys read as cache-read tokens when <see cref="UsageDetails.CachedInputTokenCount"/> is not set (adapters that
    /// predate it): <c>CacheReadInputTokens</c>, <c>cache_read_input_tokens</c>.
    /// </summary>
    public static readonly string[] CacheReadKeys = ["CacheReadInputTokens", "cache_read_input_tokens"];

    /// <summary>
    /// The recorder's token usage for <paramref name="details"/>. Microsoft.Extensions.AI counts cached tokens inside
    /// <see cref="UsageDetails.InputTokenCount"/> and reasoning inside <see cref="UsageDetails.OutputTokenCount"/>, as this
    /// library does; an adapter that reports them apart (cache tokens above the input, reasoning above the output) has
    /// them added, so its usage is recorded rather than refused as inconsistent. Negative counts become 0.
    /// </summary>
    public static TokenUsage ToTokenUsage(UsageDetails? details)
    {
        if (details is null) return default;
        var cacheRead = NonNegative(details.CachedInputTokenCount ?? Additional(details, CacheReadKeys));
        var cacheWrite = NonNegative(Additional(details, CacheWriteKeys));
        var reasoning = NonNegative(details.ReasoningTokenCount);
        var input = NonNegative(details.InputTokenCount);
        var output = NonNegative(details.OutputTokenCount);
        if (cacheRead > input - cacheWrite) input = Saturating(Saturating(input, cacheRead), cacheWrite);
        if (reasoning > output) output = Saturating(output, reasoning);
        return new TokenUsage(input, output, cacheRead, cacheWrite, reasoning);
    }

    /// <summary>
    /// Our provider name for a <see cref="ChatClientMetadata.ProviderName"/>: OpenAI and Azure OpenAI are <c>openai</c>,
    /// Anthropic <c>anthropic</c>, Gemini and Vertex AI <c>google</c>, then mistral, deepseek, xai, cohere and meta. Null
    /// for hosts of many vendors' models (Ollama, Bedrock, Azure AI Inference, ...) and unknown names: the pump then
    /// infers the provider from the model name.
    /// </summary>
    public static string? Provider(string? providerName)
    {
        if (string.IsNullOrWhiteSpace(providerName)) return null;
        var name = providerName.Trim().ToLowerInvariant();
        if (name.Contains("openai", StringComparison.Ordinal)) return "openai";
        if (name.Contains("anthropic", StringComparison.Ordinal) || name.Contains("claude", StringComparison.Ordinal)) return "anthropic";
        if (name.Contains("gemini", StringComparison.Ordinal) || name.Contains("vertex", StringComparison.Ordinal) || name.StartsWith("gcp", StringComparison.Ordinal)
            || name.StartsWith("google", StringComparison.Ordinal)) return "google";
        if (name.Contains("mistral", StringComparison.Ordinal)) return "mistral";
        if (name.Contains("deepseek", StringComparison.Ordinal)) return "deepseek";
        if (name is "xai" or "x_ai" or "x-ai" or "x.ai" or "grok") return "xai";
        if (name.Contains("cohere", StringComparison.Ordinal)) return "cohere";
        if (name is "meta" or "llama" or "meta-llama") return "meta";
        return null;
    }

    /// <summary>
    /// A short, low-cardinality code for why a call failed: <c>cancelled</c> for a cancellation, <c>timeout</c>,
    /// <c>http_&lt;status&gt;</c> for an HTTP error with a status, else the exception's type name.
    /// </summary>
    public static string ErrorCode(Exception exception) => exception switch
    {
        OperationCanceledException => Cancelled,
        TimeoutException => "timeout",
        HttpRequestException { StatusCode: { } status } => string.Create(CultureInfo.InvariantCulture, $"http_{(int)status}"),
        _ => exception.GetType().Name,
    };

    /// <summary>The exception's message, cut to <see cref="MaxErrorMessageLength"/> characters.</summary>
    public static string ErrorMessage(Exception exception)
    {
        var message = exception.Message;
        return message.Length <= MaxErrorMessageLength ? message : string.Concat(message.AsSpan(0, MaxErrorMessageLength - 3), "...");
    }

    /// <summary>The string under <paramref name="key"/> in the options' additional properties, or null.</summary>
    public static string? Property(ChatOptions? options, string key)
        => options?.AdditionalProperties is { } properties && properties.TryGetValue(key, out var value) && value is not null
            ? value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture)
            : null;

    private static long? Additional(UsageDetails details, string[] keys)
    {
        if (details.AdditionalCounts is not { Count: > 0 } counts) return null;
        foreach (var key in keys)
        {
            if (counts.TryGetValue(key, out var value)) return value;
        }
        return null;
    }

    private static long NonNegative(long? value) => value is > 0 ? value.Value : 0;

    // Both operands are >= 0 here, so only the ceiling can be crossed.
    private static long Saturating(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
