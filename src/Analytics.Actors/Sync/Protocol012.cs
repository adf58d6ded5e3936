using System.Buffers;
using System.Text.Json;
using Analytics.Contracts;

namespace Analytics.Actors.Sync;

/// <summary>The Protocol 012 wire format: one JSON body per event, exactly the protocol's fields, absent ones omitted.</summary>
internal static class Protocol012
{
    /// <summary>Stands in for the token wherever a body is written anywhere but the wire.</summary>
    public const string RedactedToken = "REDACTED";

    /// <summary>
    /// The provider as the server accepts it: <c>openai</c>, <c>anthropic</c> or <c>unknown</c>; any other provider
    /// (mistral, google, ...) would be refused with 400, so it is sent as <c>unknown</c>.
    /// </summary>
    /// <param name="provider">The event's canonical provider.</param>
    /// <returns>The wire value.</returns>
    public static string WireProvider(string? provider) =>
        string.Equals(provider, "openai", StringComparison.OrdinalIgnoreCase) ? "openai"
        : string.Equals(provider, "anthropic", StringComparison.OrdinalIgnoreCase) ? "anthropic"
        : "unknown";

    /// <summary>Writes the body of one event.</summary>
    /// <param name="e">A completed or failed LLM event with its id and timestamp assigned.</param>
    /// <param name="token">The <c>ic_token</c> to put in the body (<see cref="RedactedToken"/> for logs and files).</param>
    /// <returns>UTF-8 JSON.</returns>
    /// <exception cref="ArgumentException">The event is not an LLM event or has no id.</exception>
    public static byte[] Serialize(AnalyticsEvent e, string token)
    {
        if (string.IsNullOrEmpty(e.EventId)) throw new ArgumentException("the event has no event_id", nameof(e));
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("ic_token", token);
            w.WriteString("event_id", e.EventId);
            w.WriteNumber("timestamp_ms", e.TimestampMs);
            switch (e)
            {
                case LlmRequestCompleted c:
                    w.WriteString("event_type", EventTypes.LlmRequestCompleted);
                    w.WriteString("model", c.Model);
                    w.WriteString("provider", WireProvider(c.Provider));
                    w.WriteNumber("input_tokens", c.InputTokens);
                    w.WriteNumber("output_tokens", c.OutputTokens);
                    w.WriteNumber("cost_micros", c.CostMicros);
                    if (c.ProviderId is not null) w.WriteString("provider_id", c.ProviderId);
                    break;
                case LlmRequestFailed f:
                    w.WriteString("event_type", EventTypes.LlmRequestFailed);
                    w.WriteString("model", f.Model);
                    w.WriteString("provider", WireProvider(f.Provider));
                    if (f.ProviderId is not null) w.WriteString("provider_id", f.ProviderId);
                    if (f.ErrorCode is not null) w.WriteString("error_code", f.ErrorCode);
                    if (f.ErrorMessage is not null) w.WriteString("error_message", f.ErrorMessage);
                    break;
                default:
                    throw new ArgumentException($"Protocol 012 takes only completed and failed LLM events (got {e.Kind})", nameof(e));
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
