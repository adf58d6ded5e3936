namespace Analytics.Contracts;

/// <summary>
/// Token counts of one completed request, in the convention this library uses everywhere:
/// <see cref="Input"/> counts every prompt token, and the two cache counts are parts of it;
/// <see cref="Output"/> counts every completion token, and <see cref="Reasoning"/> is part of it.
/// OpenAI reports usage this way; Anthropic reports <c>input_tokens</c> without the cache tokens,
/// so add <c>cache_read_input_tokens</c> and <c>cache_creation_input_tokens</c> to it first.
/// </summary>
/// <param name="Input">All prompt tokens.</param>
/// <param name="Output">All completion tokens.</param>
/// <param name="CacheRead">Prompt tokens read from the prompt cache.</param>
/// <param name="CacheCreation">Prompt tokens written to the prompt cache.</param>
/// <param name="Reasoning">Completion tokens spent on reasoning.</param>
public readonly record struct TokenUsage(long Input, long Output, long CacheRead = 0, long CacheCreation = 0, long Reasoning = 0)
{
    /// <summary>
    /// Checks the counts; returns null when they are consistent, else a message naming the field.
    /// </summary>
    public string? Validate()
    {
        if (Input < 0) return $"input_tokens must be >= 0 (got {Input})";
        if (Output < 0) return $"output_tokens must be >= 0 (got {Output})";
        if (CacheRead < 0) return $"cache_read_input_tokens must be >= 0 (got {CacheRead})";
        if (CacheCreation < 0) return $"cache_creation_input_tokens must be >= 0 (got {CacheCreation})";
        if (Reasoning < 0) return $"reasoning_tokens must be >= 0 (got {Reasoning})";
        // Compared by subtraction so two huge counts cannot overflow into a false pass.
        if (CacheRead > Input - CacheCreation)
            return $"cache_read_input_tokens + cache_creation_input_tokens ({CacheRead} + {CacheCreation}) exceed input_tokens ({Input})";
        if (Reasoning > Output) return $"reasoning_tokens ({Reasoning}) exceed output_tokens ({Output})";
        return null;
    }
}
