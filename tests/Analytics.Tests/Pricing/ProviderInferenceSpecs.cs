using Analytics.Actors.Pricing;
using Xunit;

namespace Analytics.Tests.Pricing;

/// <summary>Provider inference from model names, for every vendor of the catalog.</summary>
public sealed class ProviderInferenceSpecs
{
    [Theory]
    [InlineData("gpt-4o", "openai")]
    [InlineData("GPT-4.1-MINI", "openai")]
    [InlineData("o1", "openai")]
    [InlineData("o3-mini", "openai")]
    [InlineData("o4-mini-2025-04-16", "openai")]
    [InlineData("chatgpt-4o-latest", "openai")]
    [InlineData("codex-mini-latest", "openai")]
    [InlineData("text-embedding-3-large", "openai")]
    [InlineData("ft:gpt-4o-mini-2024-07-18:acme::9xYz12", "openai")]
    [InlineData("openai/gpt-oss-120b", "openai")]
    [InlineData("azure/my-gpt-deployment", "openai")]
    [InlineData("claude-sonnet-4-5", "anthropic")]
    [InlineData("anthropic/claude-3-5-haiku", "anthropic")]
    [InlineData("vertex_ai/claude-opus-4-1@20250805", "anthropic")]
    [InlineData("bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic")]
    [InlineData("openrouter/anthropic/claude-sonnet-4.5", "anthropic")]
    [InlineData("gemini-2.5-pro", "google")]
    [InlineData("gemini/gemini-2.5-flash", "google")]
    [InlineData("models/gemini-2.0-flash", "google")]
    [InlineData("gemma-3-27b-it", "google")]
    [InlineData("text-embedding-004", "google")]
    [InlineData("vertex_ai/some-tuned-endpoint", "google")]
    [InlineData("mistral-large-latest", "mistral")]
    [InlineData("codestral-2508", "mistral")]
    [InlineData("magistral-medium-latest", "mistral")]
    [InlineData("open-mixtral-8x22b", "mistral")]
    [InlineData("mistralai/Mistral-7B-Instruct-v0.3", "mistral")]
    [InlineData("bedrock/mistral.mistral-large-2402-v1:0", "mistral")]
    [InlineData("deepseek-chat", "deepseek")]
    [InlineData("deepseek-ai/DeepSeek-R1", "deepseek")]
    [InlineData("grok-4-0709", "xai")]
    [InlineData("xai/grok-3-mini", "xai")]
    [InlineData("x-ai/grok-code-fast-1", "xai")]
    [InlineData("llama-3.3-70b-versatile", "meta")]
    [InlineData("meta-llama/Llama-3.1-8B-Instruct", "meta")]
    [InlineData("bedrock/meta.llama3-1-70b-instruct-v1:0", "meta")]
    [InlineData("groq/llama-3.1-8b-instant", "meta")]
    [InlineData("command-a-03-2025", "cohere")]
    [InlineData("cohere/command-r-plus", "cohere")]
    [InlineData("c4ai-aya-expanse-32b", "cohere")]
    [InlineData("acme-private-llm", "unknown")]
    [InlineData("qwen3-235b-a22b", "unknown")]
    [InlineData("bedrock/amazon.nova-pro-v1:0", "unknown")]
    [InlineData("", "unknown")]
    [InlineData("   ", "unknown")]
    [InlineData(null, "unknown")]
    public void Infers_the_vendor_from_the_model_name(string? model, string expected)
    {
        Assert.Equal(expected, ProviderInference.Infer(model));
    }

    [Theory]
    [InlineData("OpenAI", "openai")]
    [InlineData(" anthropic ", "anthropic")]
    [InlineData("xai", "xai")]
    [InlineData("", "unknown")]
    [InlineData(null, "unknown")]
    public void Canonical_lowercases_and_trims(string? provider, string expected)
    {
        Assert.Equal(expected, ProviderInference.Canonical(provider));
    }
}
