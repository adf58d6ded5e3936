using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Analytics.Actors.UsageLog;
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

    /// <summary>Writes the body of one event, exactly as it goes on the wire.</summary>
    /// <param name="e">A completed or failed LLM event with its id and timestamp assigned.</param>
    /// <param name="token">The <c>ic_token</c> to put in the body (<see cref="RedactedToken"/> for logs and files).</param>
    /// <returns>UTF-8 JSON.</returns>
    /// <exception cref="ArgumentException">
    /// The event is not an LLM event, has no id, or holds a string JSON cannot carry (an unpaired UTF-16 surrogate,
    /// which a library caller can pass: the recorder does not scan strings on the hot path); the message names the field.
    /// </exception>
    public static byte[] Serialize(AnalyticsEvent e, string token) => Write(e, token, sanitize: false);

    /// <summary>
    /// Writes the body of one event for a file or a log: like <see cref="Serialize"/>, but a string JSON cannot carry has
    /// its unpaired surrogates replaced by U+FFFD instead of failing, so an event that could not be sent can still be
    /// dead-lettered.
    /// </summary>
    /// <param name="e">The event.</param>
    /// <param name="token">The token to write (normally <see cref="RedactedToken"/>).</param>
    /// <returns>UTF-8 JSON.</returns>
    /// <exception cref="ArgumentException">The event is not an LLM event or has no id.</exception>
    public static byte[] SerializeForFile(AnalyticsEvent e, string token) => Write(e, token, sanitize: true);

    private static byte[] Write(AnalyticsEvent e, string token, bool sanitize)
    {
        if (string.IsNullOrEmpty(e.EventId)) throw new ArgumentException("the event has no event_id", nameof(e));
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            void Str(string name, string value) => w.WriteString(name, Checked(name, value, sanitize));

            w.WriteStartObject();
            Str("ic_token", token);
            Str("event_id", e.EventId);
            w.WriteNumber("timestamp_ms", e.TimestampMs);
            switch (e)
            {
                case LlmRequestCompleted c:
                    w.WriteString("event_type", EventTypes.LlmRequestCompleted);
                    Str("model", c.Model);
                    w.WriteString("provider", WireProvider(c.Provider));
                    w.WriteNumber("input_tokens", c.InputTokens);
                    w.WriteNumber("output_tokens", c.OutputTokens);
                    w.WriteNumber("cost_micros", c.CostMicros);
                    if (c.ProviderId is not null) Str("provider_id", c.ProviderId);
                    break;
                case LlmRequestFailed f:
                    w.WriteString("event_type", EventTypes.LlmRequestFailed);
                    Str("model", f.Model);
                    w.WriteString("provider", WireProvider(f.Provider));
                    if (f.ProviderId is not null) Str("provider_id", f.ProviderId);
                    if (f.ErrorCode is not null) Str("error_code", f.ErrorCode);
                    if (f.ErrorMessage is not null) Str("error_message", f.ErrorMessage);
                    break;
                default:
                    throw new ArgumentException($"Protocol 012 takes only completed and failed LLM events (got {e.Kind})", nameof(e));
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string Checked(string field, string value, bool sanitize)
    {
        if (sanitize) return Text.WithoutUnpairedSurrogates(value);
        var bad = Text.FindUnpairedSurrogate(value);
        return bad < 0
            ? value
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{field} holds an unpaired UTF-16 surrogate (0x{(int)value[bad]:X4}) at character {bad + 1}, which JSON cannot carry"));
    }
}
